// Command-line parsing as kuberpult-client does it (cli.md): the global flags in Go's grammar up
// to the subcommand, then the subcommand's own flags and rules (subcommands.ts). Pure: no process
// access, the environment comes in as an argument. Anything wrong is a usage error naming it.
import { type FlagSpec, FlagValues, parseFlags, UsageError } from './flags.js';
import { type Command, findSubcommand, SUBCOMMANDS, type Subcommand } from './subcommands.js';

export interface Connection {
  /** Without a trailing slash. */
  readonly url: string;
  readonly authorName?: string;
  readonly authorEmail?: string;
  readonly clientUuid?: string;
  readonly retries: number;
  readonly timeoutSeconds: number;
  readonly json: boolean;
}

export interface CliCommand {
  readonly connection: Connection;
  readonly command: Command;
}

export type ParseResult =
  | { readonly kind: 'command'; readonly invocation: CliCommand }
  // help, -h, --help: text for stdout, exit 0.
  | { readonly kind: 'help'; readonly text: string }
  // Anything wrong with the arguments: exit 2, nothing is sent.
  | { readonly kind: 'usage'; readonly message: string; readonly hint: string };

export const DEFAULT_RETRIES = 3;
/** Kuberpult's default (cli_utils.HttpDefaultTimeout). */
export const DEFAULT_TIMEOUT_SECONDS = 180;
/** Node's timers hold at most 2^31-1 ms. */
const MAX_TIMEOUT_SECONDS = 2_147_483;

export const GLOBAL_FLAGS: readonly FlagSpec[] = [
  {
    name: 'url',
    kind: 'string',
    usage: 'the URL of the server (must be set exactly once; TRAINYARD_URL stands in when it is not)',
  },
  { name: 'author_name', kind: 'string', usage: 'the name of the commit author (must be set at most once)' },
  {
    name: 'author_email',
    kind: 'string',
    usage: 'the email of the commit author (must be set at most once)',
  },
  {
    name: 'client_uuid',
    kind: 'string',
    usage: 'sent as the client-uuid header, for debugging (must be set at most once)',
  },
  {
    name: 'retries',
    kind: 'int',
    usage: `retries after a network error, a timeout or a 5xx answer (at most once) - default=${DEFAULT_RETRIES}`,
  },
  {
    name: 'timeout',
    kind: 'number',
    usage: `seconds each attempt may take (at most once) - default=${DEFAULT_TIMEOUT_SECONDS}`,
  },
  { name: 'json', kind: 'bool', usage: "print the server's answer as it is (Trainyard only)" },
];

export interface GlobalFlags {
  /** From --url, else TRAINYARD_URL; undefined only for `help`. */
  readonly url: string | undefined;
  readonly authorName?: string;
  readonly authorEmail?: string;
  readonly clientUuid?: string;
  readonly retries: number;
  readonly timeoutSeconds: number;
  readonly json: boolean;
}

export type GlobalParse =
  | { readonly kind: 'globals'; readonly globals: GlobalFlags; readonly rest: readonly string[] }
  | { readonly kind: 'help' }
  | { readonly kind: 'usage'; readonly message: string };

/** The flags before the subcommand, with Kuberpult's rules (its cmd/parsing.go) in its order. */
export function parseGlobalFlags(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): GlobalParse {
  const parsed = parseFlags(argv, GLOBAL_FLAGS);
  if (parsed.kind === 'help') return parsed;
  if (parsed.kind === 'error') return { kind: 'usage', message: parsed.message };
  const flags = new FlagValues(parsed.occurrences);
  try {
    const urls = flags.all('url');
    const url = urls[0] ?? (env.TRAINYARD_URL || undefined);
    if (urls.length > 1 || (url === undefined && parsed.rest[0] !== 'help')) {
      throw new UsageError('the --url arg must be set exactly once');
    }
    const authorName = flags.atMostOnce('author_name');
    const authorEmail = flags.atMostOnce('author_email');
    const clientUuid = flags.atMostOnce('client_uuid');
    const retries = flags.atMostOnce('retries');
    const timeout = flags.atMostOnce('timeout');
    if (retries !== undefined && Number(retries) < 0) {
      throw new UsageError('--retries arg value must not be negative');
    }
    if (timeout !== undefined && Number(timeout) <= 0) {
      throw new UsageError('--timeout arg value must be positive');
    }
    if (timeout !== undefined && Number(timeout) > MAX_TIMEOUT_SECONDS) {
      throw new UsageError(`--timeout arg value must be at most ${MAX_TIMEOUT_SECONDS}`);
    }
    return {
      kind: 'globals',
      globals: {
        url,
        ...(authorName !== undefined && { authorName }),
        ...(authorEmail !== undefined && { authorEmail }),
        ...(clientUuid !== undefined && { clientUuid }),
        retries: retries === undefined ? DEFAULT_RETRIES : Number(retries),
        timeoutSeconds: timeout === undefined ? DEFAULT_TIMEOUT_SECONDS : Number(timeout),
        json: flags.bool('json'),
      },
      rest: parsed.rest,
    };
  } catch (error) {
    if (error instanceof UsageError) return { kind: 'usage', message: error.message };
    throw error;
  }
}

export function parseArgs(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): ParseResult {
  const usage = (message: string, subcommand?: string): ParseResult => ({
    kind: 'usage',
    message,
    hint: `Run 'trainyard help${subcommand ? ` ${subcommand}` : ''}' for usage.`,
  });
  const global = parseGlobalFlags(argv, env);
  if (global.kind === 'help') return { kind: 'help', text: generalHelp() };
  if (global.kind === 'usage') return usage(global.message);
  const [name, ...args] = global.rest;
  if (name === undefined) return usage('a subcommand must be specified');
  if (name === 'help') {
    const [about, ...more] = args;
    if (about === undefined) return { kind: 'help', text: generalHelp() };
    const subcommand = findSubcommand(about);
    if (!subcommand) return usage(`unknown subcommand ${about}`);
    if (more.length > 0) return usage(`these arguments are not recognised: "${more.join(' ')}"`);
    return { kind: 'help', text: subcommandHelp(subcommand) };
  }
  const subcommand = findSubcommand(name);
  if (!subcommand) return usage(`unknown subcommand ${name}`);
  const url = global.globals.url as string;
  if (!isHttpUrl(url)) return usage(`the --url value '${url}' is not an absolute http(s) URL`);

  const parsed = parseFlags(args, subcommand.flags);
  if (parsed.kind === 'help') return { kind: 'help', text: subcommandHelp(subcommand) };
  if (parsed.kind === 'error') {
    const unknown = /^flag provided but not defined: -(.+)$/.exec(parsed.message)?.[1];
    const misplaced = unknown !== undefined && GLOBAL_FLAGS.some((flag) => flag.name === unknown);
    return usage(
      misplaced ? `${parsed.message} (a global flag: put it before the subcommand)` : parsed.message,
      name,
    );
  }
  if (parsed.rest.length > 0) {
    return usage(`these arguments are not recognised: "${parsed.rest.join(' ')}"`, name);
  }
  let command: Command;
  try {
    command = subcommand.build(new FlagValues(parsed.occurrences));
  } catch (error) {
    if (error instanceof UsageError) return usage(error.message, name);
    throw error;
  }
  const { url: _url, ...connection } = global.globals;
  // A trailing slash would double up with the API path.
  return {
    kind: 'command',
    invocation: { connection: { ...connection, url: url.replace(/\/+$/, '') }, command },
  };
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.host !== '';
  } catch {
    return false;
  }
}

function describeFlags(flags: readonly FlagSpec[]): string[] {
  return flags.flatMap((flag) => [
    `  -${flag.name}${flag.kind === 'bool' ? '' : ' value'}`,
    `        ${flag.usage}`,
  ]);
}

function generalHelp(): string {
  const width = Math.max(...SUBCOMMANDS.map((subcommand) => subcommand.name.length)) + 2;
  return [
    "trainyard: Kuberpult's kuberpult-client for a Trainyard server (the same subcommands and flags).",
    '',
    'Usage: trainyard [global flags] <subcommand> [subcommand flags]',
    'Flags as in Go: -name or --name, -name=value or -name value, -bool or -bool=false.',
    '',
    'Subcommands:',
    ...SUBCOMMANDS.map((subcommand) => `  ${subcommand.name.padEnd(width)}${subcommand.summary}`),
    `  ${'help'.padEnd(width)}this help; help <subcommand> lists its flags`,
    '',
    'Global flags:',
    ...describeFlags(GLOBAL_FLAGS),
    '',
    'Environment: TRAINYARD_URL (instead of --url); TRAINYARD_TOKEN or KUBERPULT_DEX_ACCESS_TOKEN, sent as',
    '"Authorization: Bearer"; KUBERPULT_IAP_TOKEN, sent as "Proxy-Authorization: Bearer".',
    'Exit codes: 0 success, 1 the request failed (after the retries), 2 invalid arguments.',
    '',
  ].join('\n');
}

function subcommandHelp(subcommand: Subcommand): string {
  return [
    `Usage: trainyard [global flags] ${subcommand.name} [flags]`,
    '',
    `${subcommand.summary[0]?.toUpperCase()}${subcommand.summary.slice(1)}.`,
    '',
    'Flags:',
    ...describeFlags(subcommand.flags),
    '',
  ].join('\n');
}
