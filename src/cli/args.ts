// Command-line parsing: commander for the grammar (Kuberpult's flag names, `--flag=value` and
// `--flag value`), then our own checks so every bad value is a usage error naming its flag.
// Pure: no process access, the environment comes in as an argument.
import { Command, CommanderError, Option } from 'commander';

export const DEFAULT_URL = 'http://127.0.0.1:8080';
const NAME = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

export interface CliCommand {
  readonly kind: 'release-train' | 'prognosis';
  readonly url: string;
  readonly target: string;
  readonly group: boolean;
  readonly team?: string;
  readonly ciLink?: string;
  readonly authorName?: string;
  readonly authorEmail?: string;
  readonly retries: number;
  readonly timeoutSeconds: number;
  readonly json: boolean;
}

export type ParseResult =
  | { readonly kind: 'command'; readonly command: CliCommand }
  // --help: text for stdout, exit 0.
  | { readonly kind: 'help'; readonly text: string }
  // Anything wrong with the arguments: exit 2.
  | { readonly kind: 'usage'; readonly message: string };

interface GlobalOptions {
  url?: string;
  author_name?: string;
  author_email?: string;
  retries: string;
  timeout: string;
  json?: boolean;
}

interface TargetOptions {
  targetEnvironment: string;
  team?: string;
  ci_link?: string;
  use_env_group_target?: boolean;
}

/** Thrown by our checks; carries a message that names the flag. */
class UsageError extends Error {}

function buildProgram(env: Readonly<Record<string, string | undefined>>, out: string[]): Command {
  const program = new Command('trainyard')
    .description('Run or preview a release train on a Trainyard (or Kuberpult-compatible) server')
    .option('--url <url>', 'server URL (env TRAINYARD_URL)', env.TRAINYARD_URL || DEFAULT_URL)
    .option('--author_name <name>', 'commit author name (sent base64 in the author-name header)')
    .option('--author_email <email>', 'commit author email (sent base64 in the author-email header)')
    .option('--retries <n>', 'retries after a network error, timeout or 5xx', '3')
    .option('--timeout <seconds>', 'timeout of each attempt in seconds', '30')
    .option('--json', 'print the response body as received')
    .addHelpText(
      'after',
      '\nA token in TRAINYARD_TOKEN (or KUBERPULT_DEX_ACCESS_TOKEN) is sent as "Authorization: Bearer".\n' +
        'Exit codes: 0 success, 1 request failed (after retries), 2 invalid arguments.',
    );
  for (const name of ['release-train', 'prognosis'] as const) {
    const sub = program
      .command(name)
      .description(
        name === 'release-train'
          ? 'run a release train to an environment or environment group'
          : 'show what a release train would deploy and skip, writing nothing',
      )
      .requiredOption('--target-environment <name>', 'target environment (or group)')
      .option('--team <team>', "only this team's apps");
    if (name === 'release-train') sub.option('--ci_link <url>', 'CI link recorded in the commit');
    sub.addOption(new Option('--use_env_group_target', 'the target is an environment group'));
  }
  // Capture commander's output instead of writing it, so parsing stays pure.
  const configure = (command: Command) =>
    command
      .exitOverride()
      .configureOutput({ writeOut: (text) => out.push(text), writeErr: (text) => out.push(text) });
  configure(program);
  for (const sub of program.commands) configure(sub);
  return program;
}

export function parseArgs(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): ParseResult {
  const out: string[] = [];
  const program = buildProgram(env, out);
  let chosen: { name: string; options: TargetOptions } | undefined;
  for (const sub of program.commands) {
    sub.action((options: TargetOptions) => {
      chosen = { name: sub.name(), options };
    });
  }
  try {
    program.parse([...argv], { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version') {
        return { kind: 'help', text: out.join('') };
      }
      // No command at all: commander prints the help as an error.
      if (error.code === 'commander.help') {
        return { kind: 'usage', message: 'error: missing command (release-train or prognosis)' };
      }
      return { kind: 'usage', message: error.message };
    }
    throw error;
  }
  if (!chosen) return { kind: 'usage', message: 'error: missing command (release-train or prognosis)' };
  try {
    return { kind: 'command', command: validate(chosen.name, program.opts<GlobalOptions>(), chosen.options) };
  } catch (error) {
    if (error instanceof UsageError) return { kind: 'usage', message: error.message };
    throw error;
  }
}

function validate(name: string, global: GlobalOptions, target: TargetOptions): CliCommand {
  const url = httpUrl(global.url ?? DEFAULT_URL, '--url');
  if (!NAME.test(target.targetEnvironment)) {
    fail(`--target-environment '${target.targetEnvironment}' must match ${NAME.source}`);
  }
  if (!/^\d+$/.test(global.retries)) fail(`--retries '${global.retries}' must be a non-negative integer`);
  const timeoutSeconds = Number(global.timeout);
  if (global.timeout.trim() === '' || !Number.isFinite(timeoutSeconds) || timeoutSeconds <= 0) {
    fail(`--timeout '${global.timeout}' must be a positive number of seconds`);
  }
  return {
    kind: name === 'prognosis' ? 'prognosis' : 'release-train',
    // A trailing slash would double up with the API path.
    url: url.replace(/\/+$/, ''),
    target: target.targetEnvironment,
    group: target.use_env_group_target === true,
    ...(target.team !== undefined && { team: target.team }),
    ...(target.ci_link !== undefined && { ciLink: httpUrl(target.ci_link, '--ci_link') }),
    ...(global.author_name !== undefined && { authorName: global.author_name }),
    ...(global.author_email !== undefined && { authorEmail: global.author_email }),
    retries: Number(global.retries),
    timeoutSeconds,
    json: global.json === true,
  };
}

function httpUrl(value: string, flag: string): string {
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    return fail(`${flag} '${value}' is not an absolute http(s) URL`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    fail(`${flag} '${value}' is not an absolute http(s) URL`);
  }
  return value;
}

function fail(message: string): never {
  throw new UsageError(`error: ${message}`);
}
