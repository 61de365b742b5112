// The grammar of Go's `flag` package, which Kuberpult's CLI uses (cli.md "Grammar"): `-name` and
// `--name` alike, `-name=value` or `-name value` (a non-boolean flag takes the next argument
// whatever it looks like), `-bool` or `-bool=false`, `--` ends the flags, and parsing stops at
// the first argument that is not a flag. Every occurrence is kept in order, so the rules of a
// subcommand can say "exactly once", "at most once" or "each --manifest right after its
// --environment". Messages are Go's. Pure: arguments in, occurrences or an error out.

export type FlagKind = 'string' | 'bool' | 'int' | 'number';

export interface FlagSpec {
  readonly name: string;
  readonly kind: FlagKind;
  /** For the help text. */
  readonly usage: string;
}

export interface Occurrence {
  readonly name: string;
  /** As given; a bare boolean flag is 'true', and booleans are normalised to 'true' / 'false'. */
  readonly value: string;
}

export type FlagParse =
  | { readonly kind: 'parsed'; readonly occurrences: readonly Occurrence[]; readonly rest: readonly string[] }
  /** `-h`, `-help`, `--help` where no such flag is defined: Go's ErrHelp. */
  | { readonly kind: 'help' }
  | { readonly kind: 'error'; readonly message: string };

// strconv.ParseBool
const TRUE = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);
const FALSE = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False']);
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

export function parseFlags(args: readonly string[], specs: readonly FlagSpec[]): FlagParse {
  const byName = new Map(specs.map((spec) => [spec.name, spec]));
  const occurrences: Occurrence[] = [];
  let index = 0;
  while (index < args.length) {
    const arg = args[index] as string;
    if (arg.length < 2 || arg[0] !== '-') break;
    let minuses = 1;
    if (arg[1] === '-') {
      minuses = 2;
      if (arg.length === 2) {
        index++;
        break;
      }
    }
    let name = arg.slice(minuses);
    if (name.length === 0 || name[0] === '-' || name[0] === '=') {
      return { kind: 'error', message: `bad flag syntax: ${arg}` };
    }
    index++;
    let value: string | undefined;
    const equals = name.indexOf('=');
    if (equals > 0) {
      value = name.slice(equals + 1);
      name = name.slice(0, equals);
    }
    const spec = byName.get(name);
    if (!spec) {
      if (name === 'help' || name === 'h') return { kind: 'help' };
      return { kind: 'error', message: `flag provided but not defined: -${name}` };
    }
    if (spec.kind === 'bool') {
      if (value === undefined) value = 'true';
      else if (TRUE.has(value)) value = 'true';
      else if (FALSE.has(value)) value = 'false';
      else
        return {
          kind: 'error',
          message: `invalid boolean value ${goQuote(value)} for -${name}: parse error`,
        };
    } else {
      if (value === undefined) {
        if (index >= args.length) return { kind: 'error', message: `flag needs an argument: -${name}` };
        value = args[index] as string;
        index++;
      }
      const problem = valueProblem(spec.kind, value);
      if (problem) {
        return { kind: 'error', message: `invalid value ${goQuote(value)} for flag -${name}: ${problem}` };
      }
    }
    occurrences.push({ name, value });
  }
  return { kind: 'parsed', occurrences, rest: args.slice(index) };
}

/** Why a value does not fit its flag (the text of Kuberpult's RepeatedInt), or undefined. */
function valueProblem(kind: FlagKind, value: string): string | undefined {
  if (kind === 'int') {
    // strconv.ParseInt(value, 10, 64)
    const fits = /^[+-]?[0-9]+$/.test(value) && BigInt(value) >= INT64_MIN && BigInt(value) <= INT64_MAX;
    return fits ? undefined : `the provided value ${goQuote(value)} is not an integer`;
  }
  if (kind === 'number') {
    return /^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)$/.test(value)
      ? undefined
      : `the provided value ${goQuote(value)} is not a number`;
  }
  return undefined;
}

/** Go's %q for the text people type: a double-quoted string with JSON's escapes. */
export function goQuote(value: string): string {
  return JSON.stringify(value);
}

/** The rules of a subcommand over its occurrences; each failure is a UsageError naming the flag. */
export class FlagValues {
  constructor(private readonly occurrences: readonly Occurrence[]) {}

  all(name: string): string[] {
    return this.occurrences.filter((occurrence) => occurrence.name === name).map(({ value }) => value);
  }

  /** In the order given, to check pairs such as --environment/--manifest. */
  get sequence(): readonly Occurrence[] {
    return this.occurrences;
  }

  exactlyOnce(name: string): string {
    const values = this.all(name);
    if (values.length !== 1) throw new UsageError(`the --${name} arg must be set exactly once`);
    return values[0] as string;
  }

  atMostOnce(name: string): string | undefined {
    const values = this.all(name);
    if (values.length > 1) throw new UsageError(`the --${name} arg must be set at most once`);
    return values[0];
  }

  /** A boolean: the last occurrence decides, as in Go. */
  bool(name: string): boolean {
    return this.all(name).at(-1) === 'true';
  }

  given(name: string): boolean {
    return this.all(name).length > 0;
  }
}

/** Invalid arguments: exit 2, nothing is sent. */
export class UsageError extends Error {}
