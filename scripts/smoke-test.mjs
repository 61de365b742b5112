#!/usr/bin/env node
// A smoke test of a built server as it is shipped, for CI: starts the given command in a directory
// (on the embedded demo repo, port 0), checks the probes, a prognosis and a train, then stops it
// with SIGTERM and expects exit 0 with nothing left running.
//   node scripts/smoke-test.mjs --cwd <dir> -- <command> [args...]
import { spawn } from 'node:child_process';

const separator = process.argv.indexOf('--');
const cwdIndex = process.argv.indexOf('--cwd');
if (separator < 0 || cwdIndex < 0 || cwdIndex > separator) {
  process.stderr.write('usage: smoke-test.mjs --cwd <dir> -- <command> [args...]\n');
  process.exit(2);
}
const cwd = process.argv[cwdIndex + 1];
const [command, ...args] = process.argv.slice(separator + 1);

const child = spawn(command, args, {
  cwd,
  env: { PATH: process.env.PATH ?? '', HOME: cwd, PORT: '0', LOG_LEVEL: 'info' },
  stdio: ['ignore', 'pipe', 'inherit'],
  detached: true,
});
const killGroup = () => {
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    // Gone already.
  }
};
// A CI step must not hang: a server that does not come up or stop within a minute fails it.
const deadline = setTimeout(() => fail('the server did not start and stop within 60 s'), 60_000);
const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));

function fail(message) {
  process.stderr.write(`smoke test failed: ${message}\n`);
  killGroup();
  process.exit(1);
}

let output = '';
const listening = new Promise((resolve) => {
  child.stdout.on('data', (chunk) => {
    output += chunk;
    process.stdout.write(chunk);
    const line = output.split('\n').find((text) => text.includes('Server listening at'));
    if (line) resolve(JSON.parse(line));
  });
});
exited.then(({ code }) => {
  if (!stopping) fail(`the server exited with ${code} before it was stopped`);
});

let stopping = false;
const { msg, pid } = await listening;
const url = msg.replace('Server listening at ', '');
async function expectStatus(method, path, status) {
  const response = await fetch(`${url}${path}`, { method });
  const body = await response.text();
  if (response.status !== status) fail(`${method} ${path} answered ${response.status}: ${body}`);
  return body ? JSON.parse(body) : undefined;
}
await expectStatus('GET', '/healthz', 200);
await expectStatus('GET', '/readyz', 200);
const prognosis = await expectStatus('GET', '/api/environment-groups/prod/releasetrain/prognosis', 200);
if (Object.keys(prognosis.envsPrognoses).length !== 3)
  fail('the demo prognosis for prod has not 3 environments');
const train = await expectStatus('PUT', '/api/environment-groups/prod/releasetrain', 200);
// The web UI: its templates, style sheet and script ship with the production install.
for (const [path, text] of [
  ['/ui/', '<h1>Overview</h1>'],
  ['/ui/trains/prod', 'Run release train'],
  ['/ui/static/style.css', 'focus-visible'],
  ['/ui/static/htmx.min.js', 'htmx'],
]) {
  const response = await fetch(`${url}${path}`);
  const body = await response.text();
  if (response.status !== 200 || !body.includes(text))
    fail(`GET ${path} answered ${response.status} without ${text}`);
}
if (typeof train.commitId !== 'string') fail('the demo train to prod committed nothing');

stopping = true;
child.kill('SIGTERM');
const { code, signal } = await exited;
clearTimeout(deadline);
if (code !== 0) fail(`after SIGTERM the command exited with ${code ?? signal}`);
try {
  process.kill(pid, 0);
  fail(`the server (pid ${pid}) still runs after its command exited`);
} catch {
  // Stopped, as it should.
}
killGroup();
process.stdout.write(
  `smoke test passed: ${command} ${args.join(' ')} (node ${process.version} ran the test)\n`,
);
