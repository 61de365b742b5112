// Entry of the `trainyard` CLI: parse, call, print, exit 0 (done), 1 (request failed), 2 (usage).
import { parseArgs } from './args.js';
import { call } from './client.js';
import { formatResponse } from './format.js';

export async function main(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  const parsed = parseArgs(argv, env);
  if (parsed.kind === 'help') {
    process.stdout.write(parsed.text);
    return 0;
  }
  if (parsed.kind === 'usage') {
    process.stderr.write(`${parsed.message}\nRun 'trainyard --help' for usage.\n`);
    return 2;
  }
  const command = parsed.command;
  const delay = Number(env.TRAINYARD_RETRY_DELAY_MS ?? '1000');
  const token = env.TRAINYARD_TOKEN || env.KUBERPULT_DEX_ACCESS_TOKEN;
  const result = await call(command, {
    retryDelayMs: Number.isFinite(delay) && delay >= 0 ? delay : 1000,
    ...(token && { token }),
    log: (line) => process.stderr.write(`${line}\n`),
  });
  if (!result.ok) {
    process.stderr.write(`error: ${result.message}\n`);
    return 1;
  }
  if (command.json) {
    // Exactly as received, so scripts can pipe it into jq.
    process.stdout.write(result.body.endsWith('\n') ? result.body : `${result.body}\n`);
    return 0;
  }
  let body: unknown;
  try {
    body = JSON.parse(result.body);
  } catch {
    process.stderr.write(`error: the server answered ${result.status} with a body that is not JSON\n`);
    return 1;
  }
  process.stdout.write(`${formatResponse(command, body).join('\n')}\n`);
  return 0;
}

const code = await main(process.argv.slice(2), process.env);
// Exit once stdout is flushed, so kept-alive sockets cannot hold the process open.
process.stdout.write('', () => process.exit(code));
