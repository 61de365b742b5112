// Entry of the `trainyard` CLI, and its only I/O: parse, read the manifest files, call, print
// (or write --out), exit 0 (done), 1 (the request failed), 2 (invalid arguments: nothing sent).
import { readFile, writeFile } from 'node:fs/promises';
import { parseArgs } from './args.js';
import { buildRequest, call } from './client.js';
import { formatResponse, formatWrite } from './format.js';

export async function main(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  const parsed = parseArgs(argv, env);
  if (parsed.kind === 'help') {
    process.stdout.write(parsed.text);
    return 0;
  }
  if (parsed.kind === 'usage') {
    process.stderr.write(`error: ${parsed.message}\n${parsed.hint}\n`);
    return 2;
  }
  const { connection, command } = parsed.invocation;

  // Every manifest is read before anything is sent, as Kuberpult does: a missing one is a usage error.
  const manifests = new Map<string, Buffer>();
  if (command.kind === 'release') {
    for (const { file } of command.manifests) {
      try {
        manifests.set(file, await readFile(file));
      } catch (error) {
        process.stderr.write(`error: cannot read the manifest file '${file}': ${reason(error)}\n`);
        return 2;
      }
    }
  }

  const delay = Number(env.TRAINYARD_RETRY_DELAY_MS ?? '1000');
  const token = env.TRAINYARD_TOKEN || env.KUBERPULT_DEX_ACCESS_TOKEN;
  const iapToken = env.KUBERPULT_IAP_TOKEN;
  const request = buildRequest(
    parsed.invocation,
    { ...(token && { token }), ...(iapToken && { iapToken }) },
    manifests,
  );
  const result = await call(request, {
    retries: connection.retries,
    timeoutSeconds: connection.timeoutSeconds,
    retryDelayMs: Number.isFinite(delay) && delay >= 0 ? delay : 1000,
    log: (line) => process.stderr.write(`${line}\n`),
  });
  if (!result.ok) {
    process.stderr.write(`error: ${result.message}\n`);
    return 1;
  }

  if (command.kind === 'get-commit-deployments' && command.out !== undefined) {
    try {
      await writeFile(command.out, result.body);
    } catch (error) {
      process.stderr.write(`error: cannot write '${command.out}': ${reason(error)}\n`);
      return 1;
    }
    return 0;
  }
  // Exactly as received, so scripts can pipe it into jq; the lookups always print their answer.
  const verbatim = () => {
    if (result.body !== '')
      process.stdout.write(result.body.endsWith('\n') ? result.body : `${result.body}\n`);
    return 0;
  };
  if (command.kind === 'get-commit-deployments' || command.kind === 'get-deployment-commit')
    return verbatim();
  if (connection.json) return verbatim();
  let body: unknown;
  try {
    body = result.body === '' ? undefined : JSON.parse(result.body);
  } catch {
    process.stderr.write(`error: the server answered ${result.status} with a body that is not JSON\n`);
    return 1;
  }
  // Trains and prognoses (the commands with a target) have their own report.
  const lines =
    'target' in command ? formatResponse(command, body) : [formatWrite(command, result.status, body)];
  process.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}

function reason(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : error instanceof Error ? error.message : String(error);
}

const code = await main(process.argv.slice(2), process.env);
// Exit once stdout is flushed, so kept-alive sockets cannot hold the process open.
process.stdout.write('', () => process.exit(code));
