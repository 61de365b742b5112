// Kuberpult's own parsing cases as facts: the argument vectors and expected errors of the
// *_parsing_test.go files in github.com/freiheit-com/kuberpult (cli/pkg/...), each run through
// trainyard's parser and request builder: argument vector in, request or usage error out (pure,
// no process, no network). Kuberpult's messages are compared without the "error while ...,
// error: " prefixes its layers add around them. Where Trainyard answers otherwise, `deviation`
// says why (cli.md: signatures, revisions, prepublish and dry-run are refused; retries may be 0).
// Every accepted vector is also run in Go's other spellings (-flag, --flag=value, -flag=value).
import { describe, expect, it } from 'vitest';
import { parseArgs, parseGlobalFlags } from '../../src/cli/args.js';
import { buildRequest, type RequestBody } from '../../src/cli/client.js';
import type { FlagSpec } from '../../src/cli/flags.js';
import { findSubcommand } from '../../src/cli/subcommands.js';

const SERVER = 'http://kuberpult.example.com';

interface ExpectedRequest {
  readonly method: 'GET' | 'PUT' | 'POST' | 'DELETE';
  readonly path: string;
  /** JSON: the parsed body; a form: its fields as [name, value] in order. */
  readonly json?: unknown;
  readonly form?: readonly (readonly [string, string])[];
}

type Outcome = { readonly usage: string } | { readonly request: ExpectedRequest };

interface Case {
  /** Kuberpult's name of the test case. */
  readonly name: string;
  readonly args: readonly string[];
  /** Kuberpult's expected error; absent where Kuberpult accepts the vector. */
  readonly kuberpult?: string;
  /** What trainyard does; absent: Kuberpult's error (without its prefixes). */
  readonly trainyard?: Outcome;
  /** Why trainyard's outcome is not Kuberpult's. */
  readonly deviation?: string;
}

/** Kuberpult's layers wrap an error in "error while <doing>, error: "; the message is what is left. */
function withoutContext(message: string): string {
  let rest = message;
  for (;;) {
    const stripped = rest.replace(/^error while [^,]*, error: /, '');
    if (stripped === rest) return rest;
    rest = stripped;
  }
}

/** A manifest file's content in these tests: named after the file. */
const manifestOf = (file: string) => `content of ${file}\n`;

function outcome(argv: readonly string[]): Outcome {
  const parsed = parseArgs(argv, {});
  if (parsed.kind === 'usage') return { usage: parsed.message };
  if (parsed.kind === 'help') throw new Error('unexpected help');
  const { command } = parsed.invocation;
  const files = new Map(
    command.kind === 'release'
      ? command.manifests.map(({ file }) => [file, Buffer.from(manifestOf(file))] as const)
      : [],
  );
  const request = buildRequest(parsed.invocation, {}, files);
  return {
    request: {
      method: request.method,
      path: request.url.slice(SERVER.length),
      ...describeBody(request.body),
    },
  };
}

function describeBody(body: RequestBody | undefined): Pick<ExpectedRequest, 'json' | 'form'> {
  if (body === undefined) return {};
  if (body.kind === 'json') return { json: JSON.parse(body.text) };
  return { form: body.fields.map(({ name, value }) => [name, value.toString()] as const) };
}

const put = (path: string, json?: unknown): Outcome => ({
  request: { method: 'PUT', path, ...(json !== undefined && { json }) },
});
const del = (path: string): Outcome => ({ request: { method: 'DELETE', path } });
const get = (path: string): Outcome => ({ request: { method: 'GET', path } });
const release = (...form: (readonly [string, string])[]): Outcome => ({
  request: { method: 'POST', path: '/api/release', form },
});
const manifest = (environment: string, file: string) =>
  [`manifests[${environment}]`, manifestOf(file)] as const;

/** The same vector in Go's other spellings of a flag with a value: -flag v, --flag=v, -flag=v. */
function spellings(args: readonly string[], flags: readonly FlagSpec[]): (readonly string[])[] {
  const takesValue = (arg: string) =>
    /^--[^-=]/.test(arg) && flags.some((flag) => flag.name === arg.slice(2) && flag.kind !== 'bool');
  const rewrite = (form: 'single' | 'equals' | 'single-equals') => {
    const out: string[] = [];
    for (let index = 0; index < args.length; index++) {
      const arg = args[index] as string;
      const dashes = form === 'equals' ? '--' : '-';
      if (takesValue(arg) && index + 1 < args.length) {
        const name = arg.slice(2);
        if (form === 'single') out.push(`-${name}`, args[index + 1] as string);
        else out.push(`${dashes}${name}=${args[index + 1]}`);
        index++;
      } else if (/^--[^-=]/.test(arg) && form !== 'equals') {
        out.push(arg.slice(1));
      } else {
        out.push(arg);
      }
    }
    return out;
  };
  return [rewrite('single'), rewrite('equals'), rewrite('single-equals')];
}

function runTable(subcommand: string, cases: readonly Case[]): void {
  const flags = findSubcommand(subcommand)?.flags ?? [];
  it.each(cases.map((testCase) => [testCase.name, testCase] as const))('%s', (_name, testCase) => {
    const expected: Outcome =
      testCase.trainyard ??
      (testCase.kuberpult !== undefined ? { usage: withoutContext(testCase.kuberpult) } : { usage: '?' });
    if (testCase.trainyard === undefined && testCase.kuberpult === undefined) {
      throw new Error('a case Kuberpult accepts says which request trainyard sends');
    }
    if (testCase.deviation === undefined && testCase.kuberpult !== undefined) {
      // No deviation claimed: trainyard gives Kuberpult's message.
      expect(expected).toEqual({ usage: withoutContext(testCase.kuberpult) });
    }
    const argv = ['--url', SERVER, subcommand, ...testCase.args];
    expect(outcome(argv)).toEqual(expected);
    if ('request' in expected) {
      for (const spelling of spellings(testCase.args, flags)) {
        expect(outcome(['--url', SERVER, subcommand, ...spelling]), spelling.join(' ')).toEqual(expected);
      }
    }
  });
}

const COMMIT = '0123abcdef0123abcdef0123abcdef0123abcdef';
const PREVIOUS = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';

describe('kuberpult-client global flags', () => {
  // cli/pkg/cmd/parsing_test.go (TestParseArgs): Kuberpult splits each vector at spaces, so ""
  // is one empty argument (Go's flag package stops at it).
  const cases: {
    name: string;
    cmdArgs: string;
    kuberpult?: string;
    globals?: Record<string, unknown>;
    other?: string[];
    deviation?: string;
    trainyard?: string;
  }[] = [
    {
      name: 'nothing provided',
      cmdArgs: '',
      kuberpult:
        'error while creating kuberpult client parameters, error: the --url arg must be set exactly once',
    },
    {
      name: 'something other than --url is provided',
      cmdArgs: '--potato tomato',
      kuberpult:
        'error while parsing command line arguments, error: error while reading command line arguments, error: flag provided but not defined: -potato',
    },
    { name: 'only --url is provided', cmdArgs: '--url something.somewhere', globals: {} },
    {
      name: '--url is provided along with some other stuff',
      cmdArgs: '--url something.somewhere --potato tomato',
      kuberpult:
        'error while parsing command line arguments, error: error while reading command line arguments, error: flag provided but not defined: -potato',
    },
    {
      name: '--url is provided twice',
      cmdArgs: '--url something.somewhere --url somethingelse.somewhere',
      kuberpult:
        'error while creating kuberpult client parameters, error: the --url arg must be set exactly once',
    },
    {
      name: '--url is provided with some tail',
      cmdArgs: '--url something.somewhere potato --tomato',
      globals: {},
      other: ['potato', '--tomato'],
    },
    {
      name: '--url and --author_name are provided with some tail',
      cmdArgs: '--url something.somewhere --author_name john subcommand --arg1 val1 etc etc',
      globals: { authorName: 'john' },
      other: ['subcommand', '--arg1', 'val1', 'etc', 'etc'],
    },
    {
      name: '--author_name is provided twice',
      cmdArgs:
        '--url something.somewhere --author_name john --author_name joseph subcommand --arg1 val1 etc etc',
      kuberpult:
        'error while creating kuberpult client parameters, error: the --author_name arg must be set at most once',
    },
    {
      name: '--url and --author_email are provided with some tail',
      cmdArgs: '--url something.somewhere --author_email john subcommand --arg1 val1 etc etc',
      globals: { authorEmail: 'john' },
      other: ['subcommand', '--arg1', 'val1', 'etc', 'etc'],
    },
    {
      name: '--author_email is provided twice',
      cmdArgs:
        '--url something.somewhere --author_email john --author_email joseph subcommand --arg1 val1 etc etc',
      kuberpult:
        'error while creating kuberpult client parameters, error: the --author_email arg must be set at most once',
    },
    {
      name: '--url and --client_uuid are provided with some tail',
      cmdArgs:
        '--url something.somewhere --client_uuid 123456-1234-1234-1234-123456789012 subcommand --arg1 val1 etc etc',
      globals: { clientUuid: '123456-1234-1234-1234-123456789012' },
      other: ['subcommand', '--arg1', 'val1', 'etc', 'etc'],
    },
    {
      name: '--client_uuid is provided twice',
      cmdArgs:
        '--url something.somewhere --client_uuid 123456-1234-1234-1234-123456789012 --client_uuid 123456-1234-1234-1234-123456789012 subcommand --arg1 val1 etc etc',
      kuberpult:
        'error while creating kuberpult client parameters, error: the --client_uuid arg must be set at most once',
    },
    {
      name: 'overriding default retries',
      cmdArgs: '--url something.somewhere --retries 10 potato --tomato',
      globals: { retries: 10 },
      other: ['potato', '--tomato'],
    },
    {
      name: '--retries is negative',
      cmdArgs: '--url something.somewhere --retries -1 --author_email john  subcommand --arg1 val1 etc etc',
      kuberpult:
        'error while creating kuberpult client parameters, error: --retries arg value must be positive',
      trainyard: '--retries arg value must not be negative',
      deviation: 'cli.md: --retries is an integer >= 0 (0: one attempt); Kuberpult refuses 0 too',
    },
    {
      name: 'overriding default timeout',
      cmdArgs: '--url something.somewhere --retries 10 --timeout 7200 potato --tomato',
      globals: { retries: 10, timeoutSeconds: 7200 },
      other: ['potato', '--tomato'],
    },
    {
      name: '--timeout is negative',
      cmdArgs: '--url something.somewhere --timeout -1 --author_email john subcommand --arg1 val1 etc etc',
      kuberpult:
        'error while creating kuberpult client parameters, error: --timeout arg value must be positive',
    },
  ];

  it.each(cases.map((testCase) => [testCase.name, testCase] as const))('%s', (_name, testCase) => {
    const parsed = parseGlobalFlags(testCase.cmdArgs.split(' '), {});
    if (testCase.kuberpult !== undefined) {
      const expected = testCase.trainyard ?? withoutContext(testCase.kuberpult);
      if (testCase.deviation === undefined) expect(testCase.trainyard).toBeUndefined();
      expect(parsed).toEqual({ kind: 'usage', message: expected });
      return;
    }
    expect(parsed).toEqual({
      kind: 'globals',
      globals: {
        url: 'something.somewhere',
        retries: 3,
        timeoutSeconds: 180,
        json: false,
        ...testCase.globals,
      },
      rest: testCase.other ?? [],
    });
  });

  it('accepts --retries 0 (one attempt), decimal timeouts, TRAINYARD_URL for a missing --url, and --json', () => {
    expect(
      parseGlobalFlags(['-retries=0', '-timeout', '0.5', '-json', 'release-train'], {
        TRAINYARD_URL: SERVER,
      }),
    ).toEqual({
      kind: 'globals',
      globals: { url: SERVER, retries: 0, timeoutSeconds: 0.5, json: true },
      rest: ['release-train'],
    });
  });

  it('refuses what Go refuses, and a URL that is not http(s) once a subcommand needs it', () => {
    const usage = (argv: string[], env: Record<string, string> = {}) => {
      const parsed = parseArgs(argv, env);
      return parsed.kind === 'usage' ? parsed.message : parsed.kind;
    };
    expect(usage(['--url', SERVER, '--retries', 'x', 'help'])).toBe(
      'invalid value "x" for flag -retries: the provided value "x" is not an integer',
    );
    expect(usage(['--url', SERVER, '--timeout=soon', 'help'])).toBe(
      'invalid value "soon" for flag -timeout: the provided value "soon" is not a number',
    );
    expect(usage(['--url', SERVER, '--json=maybe', 'help'])).toBe(
      'invalid boolean value "maybe" for -json: parse error',
    );
    expect(usage(['--url'])).toBe('flag needs an argument: -url');
    expect(usage(['---url', SERVER])).toBe('bad flag syntax: ---url');
    expect(usage(['-=x'])).toBe('bad flag syntax: -=x');
    expect(usage(['--url', SERVER])).toBe('a subcommand must be specified');
    expect(usage(['--url', SERVER, 'deploy'])).toBe('unknown subcommand deploy');
    expect(usage(['--url', 'something.somewhere', 'delete-environment', '--environment', 'dev'])).toBe(
      "the --url value 'something.somewhere' is not an absolute http(s) URL",
    );
    expect(usage(['--url', 'ftp://example.com', 'delete-environment', '--environment', 'dev'])).toBe(
      "the --url value 'ftp://example.com' is not an absolute http(s) URL",
    );
    expect(usage(['delete-environment', '--environment', 'dev'])).toBe(
      'the --url arg must be set exactly once',
    );
    // "--" ends the global flags; "-" is no flag.
    expect(usage(['--url', SERVER, '--', '--json'])).toBe('unknown subcommand --json');
    expect(usage(['--url', SERVER, '-'])).toBe('unknown subcommand -');
    expect(usage(['--url', SERVER, 'release-train', '--target-environment', 'dev', '--json'])).toBe(
      'flag provided but not defined: -json (a global flag: put it before the subcommand)',
    );
    expect(usage(['-timeout', '1e9', '--url', SERVER, 'help'])).toBe(
      'invalid value "1e9" for flag -timeout: the provided value "1e9" is not a number',
    );
    expect(usage(['-timeout', '9999999', '--url', SERVER, 'help'])).toBe(
      '--timeout arg value must be at most 2147483',
    );
  });

  it('answers help, -h and --help with usage text, without a URL', () => {
    for (const argv of [['help'], ['-h'], ['--help'], ['-help=false']]) {
      const parsed = parseArgs(argv, {});
      expect(parsed.kind, argv.join(' ')).toBe('help');
      if (parsed.kind === 'help') expect(parsed.text).toContain('get-commit-deployments');
    }
    const release = parseArgs(['help', 'release'], {});
    expect(release.kind === 'help' && release.text).toContain('-previous_commit_id value');
    const sub = parseArgs(['--url', SERVER, 'release-train', '-h'], {});
    expect(sub.kind === 'help' && sub.text).toContain('-target-environment value');
    expect(parseArgs(['help', 'deploy'], {})).toMatchObject({
      kind: 'usage',
      message: 'unknown subcommand deploy',
    });
  });
});

describe('release-train', () => {
  // cli/pkg/releasetrain/releasetrain_parsing_test.go (TestReadArgsReleaseTrain)
  runTable('release-train', [
    {
      name: 'some unrecognized positional arguments',
      args: ['potato', 'tomato'],
      kuberpult: 'these arguments are not recognised: "potato tomato"',
    },
    {
      name: "some flags that don't exist",
      args: ['--target-environment', 'development', '--potato', 'tomato'],
      kuberpult: 'error while parsing command line arguments, error: flag provided but not defined: -potato',
    },
    {
      name: 'nothing provided',
      args: [],
      kuberpult: 'the --target-environment arg must be set exactly once',
    },
    {
      name: 'only target environment is specified',
      args: ['--target-environment', 'development'],
      trainyard: put('/api/environments/development/releasetrain'),
    },
    {
      name: 'target environment and team are specified',
      args: ['--target-environment', 'development', '--team', 'test-team'],
      trainyard: put('/api/environments/development/releasetrain?team=test-team'),
    },
    {
      name: 'target environment, team and use dex are specified',
      args: ['--target-environment', 'development', '--team', 'test-team', '--use_dex_auth'],
      trainyard: put('/api/environments/development/releasetrain?team=test-team'),
    },
    {
      name: 'ci_link is specified',
      args: [
        '--target-environment',
        'development',
        '--team',
        'test-team',
        '--ci_link',
        'https://localhost:8000',
      ],
      trainyard: put('/api/environments/development/releasetrain?team=test-team', {
        ciLink: 'https://localhost:8000',
      }),
    },
    {
      name: '--ci_link is invalid url',
      args: [
        '--target-environment',
        'development',
        '--team',
        'test-team',
        '--ci_link',
        'https//localhost:8000',
      ],
      kuberpult: "provided invalid --ci_link value 'https//localhost:8000'",
    },
    {
      name: '--ci_link is specified twice',
      args: [
        '--target-environment',
        'development',
        '--team',
        'test-team',
        '--ci_link',
        'https//localhost:8000',
        '--ci_link',
        'https//localhost:8000',
      ],
      kuberpult: 'the --ci_link arg must be set at most once',
    },
    // TestParseArgsReleaseTrainLock
    {
      name: 'target only',
      args: ['--target-environment', 'development'],
      trainyard: put('/api/environments/development/releasetrain'),
    },
    {
      name: 'target and team',
      args: ['--target-environment', 'development', '--team', 'my-team'],
      trainyard: put('/api/environments/development/releasetrain?team=my-team'),
    },
    {
      name: 'target, team and ciLink',
      args: [
        '--target-environment',
        'development',
        '--team',
        'my-team',
        '--ci_link',
        'https://localhost:8000',
      ],
      trainyard: put('/api/environments/development/releasetrain?team=my-team', {
        ciLink: 'https://localhost:8000',
      }),
    },
    {
      name: 'target, team and use dex auth',
      args: ['--target-environment', 'development', '--team', 'my-team', '--use_dex_auth'],
      trainyard: put('/api/environments/development/releasetrain?team=my-team'),
    },
    // Beyond Kuberpult's table: the other flags of its parser, and what it silently took.
    {
      name: 'an environment group target',
      args: ['--target-environment', 'prod', '--use_env_group_target'],
      trainyard: put('/api/environment-groups/prod/releasetrain'),
    },
    {
      name: '--use_env_group_target=false is an environment target',
      args: ['--target-environment', 'prod', '--use_env_group_target=false'],
      trainyard: put('/api/environments/prod/releasetrain'),
    },
    {
      name: 'the target twice',
      args: ['--target-environment', 'dev', '--target-environment', 'staging'],
      kuberpult: 'the --target-environment arg must be set exactly once',
    },
    {
      name: 'the team twice',
      args: ['--target-environment', 'dev', '--team', 'a', '--team', 'b'],
      kuberpult: 'the --team arg must be set at most once',
    },
    {
      name: 'a relative ci link',
      args: ['--target-environment', 'dev', '--ci_link', '/pipelines/1'],
      trainyard: { usage: "provided invalid --ci_link value '/pipelines/1'" },
      deviation: "Kuberpult's url.ParseRequestURI takes a path; the server records an absolute http(s) URL",
    },
    {
      name: 'a target that is not a name',
      args: ['--target-environment', 'Prod_CA'],
      trainyard: {
        usage:
          "the --target-environment value 'Prod_CA' must match ^[a-z0-9]+(?:-[a-z0-9]+)*$ and be at most 63 characters",
      },
      deviation:
        'Kuberpult sends it and fails at the server (exit 1); trainyard knows the rule and sends nothing',
    },
    {
      name: 'a flag value that starts with a dash is still the value',
      args: ['--target-environment', '-dev'],
      trainyard: {
        usage:
          "the --target-environment value '-dev' must match ^[a-z0-9]+(?:-[a-z0-9]+)*$ and be at most 63 characters",
      },
      deviation: 'as above',
    },
    {
      name: 'a bare -- ends the flags, what follows is positional',
      args: ['--target-environment', 'dev', '--', '--team', 'shop'],
      kuberpult: 'these arguments are not recognised: "--team shop"',
    },
  ]);
});

describe('prognosis (trainyard only)', () => {
  runTable('prognosis', [
    {
      name: 'an environment with a team',
      args: ['--target-environment', 'prod-ca', '--team', 'payments'],
      trainyard: get('/api/environments/prod-ca/releasetrain/prognosis?team=payments'),
    },
    {
      name: 'a group, with dex',
      args: ['--target-environment', 'prod', '--use_env_group_target', '--use_dex_auth'],
      trainyard: get('/api/environment-groups/prod/releasetrain/prognosis'),
    },
    {
      name: 'no ci link: a prognosis writes nothing',
      args: ['--target-environment', 'dev', '--ci_link', 'https://ci.example.com'],
      trainyard: { usage: 'flag provided but not defined: -ci_link' },
    },
    {
      name: 'with the manifest diffs',
      args: ['--target-environment', 'prod-ca', '--team', 'payments', '--diff'],
      trainyard: get('/api/environments/prod-ca/releasetrain/prognosis?team=payments&diff=true'),
    },
    {
      name: 'written to a plan file (--out changes the request in nothing)',
      args: ['--target-environment', 'prod', '--use_env_group_target', '--out', 'plan.json'],
      trainyard: get('/api/environment-groups/prod/releasetrain/prognosis'),
    },
    {
      name: 'one plan file only',
      args: ['--target-environment', 'prod', '--out', 'a.json', '--out', 'b.json'],
      trainyard: { usage: 'the --out arg must be set at most once' },
    },
    {
      name: 'no --plan: a plan is run by release-train',
      args: ['--target-environment', 'prod', '--plan', 'plan.json'],
      trainyard: { usage: 'flag provided but not defined: -plan' },
    },
  ]);
});

describe('release-train --plan (trainyard only; the file is read later, see plans.test.ts)', () => {
  runTable('release-train', [
    {
      name: 'one plan only',
      args: ['--plan', 'a.json', '--plan', 'b.json'],
      trainyard: { usage: 'the --plan arg must be set at most once' },
    },
    {
      name: 'a plan names a file',
      args: ['--plan', ''],
      trainyard: { usage: 'the --plan arg must name a file' },
    },
    {
      name: 'the flags beside it follow their rules',
      args: ['--plan', 'plan.json', '--target-environment', 'a', '--target-environment', 'b'],
      trainyard: { usage: 'the --target-environment arg must be set at most once' },
    },
    {
      name: 'a bad ci link beside it',
      args: ['--plan', 'plan.json', '--ci_link', 'not a url'],
      trainyard: { usage: "provided invalid --ci_link value 'not a url'" },
    },
    {
      name: 'no --diff: a train shows no diffs',
      args: ['--target-environment', 'prod', '--diff'],
      trainyard: { usage: 'flag provided but not defined: -diff' },
    },
  ]);
});

describe('release', () => {
  // cli/pkg/release/parsing_test.go (TestReadArgs; these never read a file)
  const base = ['--skip_signatures', '--application', 'potato', '--environment', 'production'];
  const withManifest = [...base, '--manifest', 'manifest-file.yaml'];
  const withTeam = [...withManifest, '--team', 'potato-team'];
  const withSource = [...withTeam, '--source_commit_id', COMMIT];
  const withPrevious = [...withSource, '--previous_commit_id', PREVIOUS];
  const withAuthor = [...withPrevious, '--source_author', 'potato@tomato.com'];
  const withMessage = [...withAuthor, '--source_message', 'test source message'];
  const app = ['application', 'potato'] as const;
  const production = manifest('production', 'manifest-file.yaml');
  const team = ['team', 'potato-team'] as const;
  const source = ['source_commit_id', COMMIT] as const;
  const previous = ['previous_commit_id', PREVIOUS] as const;
  const author = ['source_author', 'potato@tomato.com'] as const;
  const message = ['source_message', 'test source message'] as const;
  const signatureDeviation =
    'cli.md: signatures are not supported (--skip_signatures is implied), so --signature is refused';
  const signatureRefusal = {
    usage:
      '--signature is not supported: Trainyard does not check PGP signatures of manifests; leave it out (--skip_signatures is implied)',
  };
  const revisionRefusal = {
    usage: '--revision is not supported: Trainyard has one release per version, without revisions',
  };
  const revisionDeviation =
    'Trainyard has no release revisions; the server would ignore the field, so it is refused';

  runTable('release', [
    {
      name: 'some unrecognized positional arguments',
      args: ['--skip_signatures', 'potato', 'tomato'],
      kuberpult: 'these arguments are not recognised: "potato tomato"',
    },
    {
      name: "some flags that don't exist",
      args: ['--skip_signatures', '--potato', 'tomato'],
      kuberpult: 'error while parsing command line arguments, error: flag provided but not defined: -potato',
    },
    {
      name: 'nothing provided',
      args: ['--skip_signatures'],
      kuberpult: 'the --application arg must be set exactly once',
    },
    {
      name: 'only --application is properly provided but without --environment and --manifest',
      args: ['--skip_signatures', '--application', 'potato'],
      kuberpult: 'the args --environment and --manifest must be set at least once',
    },
    {
      name: '--environment is specified without --manifest',
      args: base,
      kuberpult: 'all --environment args must have a --manifest arg set immediately afterwards',
    },
    {
      name: '--environment and --manifest are specified',
      args: withManifest,
      trainyard: release(app, production),
    },
    {
      name: '--environment and --manifest are specified twice',
      args: [
        ...base,
        '--manifest',
        'manifest1-file.yaml',
        '--environment',
        'development',
        '--manifest',
        'manifest2-file.yaml',
      ],
      trainyard: release(
        app,
        manifest('production', 'manifest1-file.yaml'),
        manifest('development', 'manifest2-file.yaml'),
      ),
    },
    {
      name: '--environment and --manifest are specified but with an extra --manifest',
      args: [...withManifest, '--manifest', 'something-else.yaml'],
      kuberpult: 'all --manifest args must be set immediately after an --environment arg',
    },
    {
      name: 'signatures not skipped, --environment and --manifest and --signature are specified',
      args: [
        '--application',
        'potato',
        '--environment',
        'production',
        '--manifest',
        'manifest-file.yaml',
        '--signature',
        'signature-file.gpg',
      ],
      trainyard: signatureRefusal,
      deviation: signatureDeviation,
    },
    {
      name: 'signatures skipped, --environment and --manifest and --signature are specified',
      args: [...withManifest, '--signature', 'signature-file.gpg'],
      kuberpult: '--signature args are not allowed when --skip_signatures or use_dex_auth are set',
      trainyard: signatureRefusal,
      deviation: signatureDeviation,
    },
    {
      name: 'signatures not skipped, --environment and --manifest and --signature are specified twice',
      args: [
        '--application',
        'potato',
        '--environment',
        'production',
        '--manifest',
        'manifest1-file.yaml',
        '--signature',
        'signature1-file.gpg',
        '--environment',
        'development',
        '--manifest',
        'manifest2-file.yaml',
        '--signature',
        'signature2-file.gpg',
      ],
      trainyard: signatureRefusal,
      deviation: signatureDeviation,
    },
    {
      name: 'signatures not skipped, --environment and --manifest are specified without signature',
      args: ['--application', 'potato', '--environment', 'production', '--manifest', 'manifest-file.yaml'],
      kuberpult:
        'all --manifest args must have a --signature arg set immediately afterwards, unless --skip_signatures is set',
      trainyard: release(app, production),
      deviation: 'cli.md: --skip_signatures is implied',
    },
    {
      name: 'signatures not skipped, --environment and --manifest is specified with multiple signatures',
      args: [
        '--application',
        'potato',
        '--environment',
        'production',
        '--manifest',
        'manifest-file.yaml',
        '--signature',
        'signature1-file.gpg',
        '--signature',
        'signature2-file.gpg',
      ],
      kuberpult: 'all --signature args must be set immediately after a --manifest arg',
      trainyard: signatureRefusal,
      deviation: signatureDeviation,
    },
    { name: '--team is specified', args: withTeam, trainyard: release(app, production, team) },
    {
      name: '--team is specified twice',
      args: [...withTeam, '--team', 'tomato-team'],
      kuberpult: 'the --team arg must be set at most once',
    },
    {
      name: '--source_commit_id is specified',
      args: withSource,
      trainyard: release(app, production, team, source),
    },
    {
      name: '--source_commit_id is specified but has an invalid value',
      args: [...withTeam, '--source_commit_id', 'potato-commit'],
      kuberpult: 'the --source_commit_id arg must be assigned a complete SHA1 commit hash in hexadecimal',
    },
    {
      name: '--source_commit_id is specified twice',
      args: [...withSource, '--source_commit_id', COMMIT],
      kuberpult: 'the --source_commit_id arg must be set at most once',
    },
    {
      name: '--previous_commit_id is specified',
      args: withPrevious,
      trainyard: release(app, production, team, source, previous),
    },
    {
      name: '--previous_commit_id is specified without --source_commit_id',
      args: [...withTeam, '--previous_commit_id', PREVIOUS],
      kuberpult: 'the --previous_commit_id arg can be set only if --source_commit_id is set',
    },
    {
      name: '--previous_commit_id is specified twice',
      args: [...withPrevious, '--previous_commit_id', 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb'],
      kuberpult: 'the --previous_commit_id arg must be set at most once',
    },
    {
      name: '--previous_commit_id is specified but with an invalid value',
      args: [...withSource, '--previous_commit_id', 'potato'],
      kuberpult: 'the --previous_commit_id arg must be assigned a complete SHA1 commit hash in hexadecimal',
    },
    {
      name: '--source_author is specified',
      args: withAuthor,
      trainyard: release(app, production, team, source, previous, author),
    },
    {
      name: '--source_author is specified twice',
      args: [...withAuthor, '--source_author', 'foo@bar.com'],
      kuberpult: 'the --source_author arg must be set at most once',
    },
    {
      name: '--source_message is specified',
      args: withMessage,
      trainyard: release(app, production, team, source, previous, author, message),
    },
    {
      name: '--source_message is specified twice',
      args: [...withMessage, '--source_message', 'another test source message'],
      kuberpult: 'the --source_message arg must be set at most once',
    },
    {
      name: '--version is specified',
      args: [...withMessage, '--version', '1234'],
      trainyard: release(app, production, team, source, previous, author, message, ['version', '1234']),
    },
    {
      name: '--version is specified twice',
      args: [...withMessage, '--version', '123', '--version', '456'],
      kuberpult: 'the --version arg must be set at most once',
    },
    {
      name: '--version is set to non-integer value',
      args: [...withMessage, '--version', 'abc'],
      kuberpult:
        'error while parsing command line arguments, error: invalid value "abc" for flag -version: the provided value "abc" is not an integer',
    },
    {
      name: '--version is set to negative integer value',
      args: [...withMessage, '--version', '-123'],
      kuberpult: 'the --version arg value must be positive',
    },
    {
      name: '--revision is specified',
      args: [...withMessage, '--version', '1234', '--revision', '10'],
      trainyard: revisionRefusal,
      deviation: revisionDeviation,
    },
    {
      // Kuberpult names this second case "--version is specified twice" too.
      name: '--revision is specified twice',
      args: [...withMessage, '--version', '123', '--revision', '456', '--revision', '10'],
      kuberpult: 'the --revision arg must be set at most once',
      trainyard: revisionRefusal,
      deviation: revisionDeviation,
    },
    {
      name: '--revision is set to non-integer value',
      args: [...withMessage, '--version', '123', '--revision', 'abc'],
      kuberpult:
        'error while parsing command line arguments, error: invalid value "abc" for flag -revision: the provided value "abc" is not an integer',
    },
    {
      name: '--revision is set to negative integer value',
      args: [...withMessage, '--version', '123', '--revision', '-123'],
      kuberpult: 'the --revision arg value must be positive',
      trainyard: revisionRefusal,
      deviation: revisionDeviation,
    },
    {
      name: '--display_version is specified',
      args: [...withMessage, '--version', '1234', '--display_version', '1.23.4'],
      trainyard: release(
        app,
        production,
        team,
        source,
        previous,
        author,
        message,
        ['version', '1234'],
        ['display_version', '1.23.4'],
      ),
    },
    {
      name: '--display_version is specified twice',
      args: [...withMessage, '--version', '123', '--display_version', '1.23', '--display_version', 'a.bc'],
      kuberpult: 'the --display_version arg must be set at most once',
    },
    {
      name: '--display_version is specified but is too long',
      args: [
        ...withMessage,
        '--version',
        '123',
        '--display_version',
        'loooooooooooooooooooooooooooooooooooooooooong',
      ],
      kuberpult: 'the --display_version arg must be at most 15 characters long',
    },
    {
      name: '--ci_link is specified',
      args: [...withManifest, '--version', '1234', '--ci_link', 'https://localhost:8000'],
      trainyard: release(app, production, ['version', '1234'], ['ci_link', 'https://localhost:8000']),
    },
    {
      name: '--ci_link is invalid url',
      args: [...withManifest, '--version', '1234', '--ci_link', 'https//localhost:8000'],
      kuberpult: "provided invalid --ci_link value 'https//localhost:8000'",
    },
    {
      name: '--ci_link is specified twice',
      args: [
        ...withManifest,
        '--version',
        '1234',
        '--ci_link',
        'https://localhost:8000',
        '--ci_link',
        'https://localhost:8000',
      ],
      kuberpult: 'the --ci_link arg must be set at most once',
    },
    {
      name: 'use_dex_auth is passed',
      args: [...withManifest, '--use_dex_auth'],
      trainyard: release(app, production),
    },
    {
      name: 'prepublish request',
      args: [...withManifest, '--prepublish'],
      trainyard: { usage: '--prepublish is not supported: Trainyard has no prepublished releases' },
      deviation: 'cli.md: --prepublish is refused until the server supports it',
    },
    // TestParseArgs (these read the manifest files; here their content is named after them)
    {
      name: 'no environments and manifests',
      args: ['--skip_signatures', '--application', 'potato'],
      kuberpult:
        'error while reading command line arguments, error: the args --environment and --manifest must be set at least once',
    },
    {
      name: 'with environment and manifest',
      args: [...base, '--manifest', 'production-manifest.yaml'],
      trainyard: release(app, manifest('production', 'production-manifest.yaml')),
    },
    {
      name: 'with environment and manifest and signatures',
      args: [
        '--application',
        'potato',
        '--environment',
        'production',
        '--manifest',
        'production-manifest.yaml',
        '--signature',
        'production-signature.gpg',
      ],
      trainyard: signatureRefusal,
      deviation: signatureDeviation,
    },
    {
      name: 'with environment and manifest multiple times',
      args: [
        '--skip_signatures',
        '--application',
        'potato',
        '--environment',
        'development',
        '--manifest',
        'development-manifest.yaml',
        '--environment',
        'production',
        '--manifest',
        'production-manifest.yaml',
      ],
      trainyard: release(
        app,
        manifest('development', 'development-manifest.yaml'),
        manifest('production', 'production-manifest.yaml'),
      ),
    },
    {
      name: 'some error occurs in argument parsing',
      args: ['--skip_signatures', '--application'],
      kuberpult:
        'error while reading command line arguments, error: error while parsing command line arguments, error: flag needs an argument: -application',
    },
    {
      name: 'use_dex_auth is passed (without --skip_signatures)',
      args: [
        '--application',
        'potato',
        '--environment',
        'development',
        '--manifest',
        'development-manifest.yaml',
        '--use_dex_auth',
      ],
      trainyard: release(app, manifest('development', 'development-manifest.yaml')),
    },
    {
      name: 'signatures are not allowed when use_dex_auth is enabled',
      args: [
        '--use_dex_auth',
        '--application',
        'potato',
        '--environment',
        'development',
        '--manifest',
        'development-manifest.yaml',
        '--signature',
        'development-signature.gpg',
      ],
      kuberpult:
        'error while reading command line arguments, error: --signature args are not allowed when --skip_signatures or use_dex_auth are set',
      trainyard: signatureRefusal,
      deviation: signatureDeviation,
    },
    {
      name: 'with environment, manifest and ci link',
      args: [...base, '--manifest', 'production-manifest.yaml', '--ci_link', 'https://localhost:8000'],
      trainyard: release(app, manifest('production', 'production-manifest.yaml'), [
        'ci_link',
        'https://localhost:8000',
      ]),
    },
    {
      name: 'with dry-run',
      args: [
        '--dry-run',
        ...base,
        '--manifest',
        'production-manifest.yaml',
        '--ci_link',
        'https://localhost:8000',
      ],
      trainyard: {
        usage:
          '--dry-run is not supported: Trainyard cannot compare manifests without creating the release (nothing was sent)',
      },
      deviation: 'cli.md: --dry-run is refused until the server supports it',
    },
    // Beyond Kuberpult's table.
    {
      name: '--prepublish=false and --dry-run=false ask for nothing Trainyard lacks',
      args: [...withManifest, '--prepublish=false', '--dry-run=false'],
      trainyard: release(app, production),
    },
    {
      name: 'a source author with an email',
      args: [...withManifest, '--source_author', 'Ana Lima <ana@example.com>'],
      trainyard: release(app, production, ['source_author', 'Ana Lima <ana@example.com>']),
    },
    {
      name: 'a source author that is no author',
      args: [...withManifest, '--source_author', '<ana@example.com>'],
      kuberpult:
        'the --source_author must be assigned a proper author identifier, matching the regex ^[^<\\n]+( <[^@\\n]+@[^>\\n]+>)?$',
    },
    {
      name: 'the same environment twice',
      args: [...withManifest, '--environment', 'production', '--manifest', 'other.yaml'],
      trainyard: { usage: "the --environment 'production' is given more than once" },
      deviation: 'Kuberpult keeps the last manifest of an environment silently',
    },
    {
      name: 'a flag between --environment and its --manifest',
      args: [...base, '--use_dex_auth', '--manifest', 'manifest-file.yaml'],
      kuberpult: 'all --environment args must have a --manifest arg set immediately afterwards',
    },
    {
      name: 'a version beyond 2^53-1',
      args: [...withManifest, '--version', '9007199254740992'],
      trainyard: { usage: 'the --version arg value must be at most 9007199254740991' },
      deviation: 'release numbers are at most 2^53-1 (manifest-repo.md); Kuberpult would send it',
    },
    {
      name: 'an application that is not a name',
      args: ['--application', 'Potato', '--environment', 'production', '--manifest', 'm.yaml'],
      trainyard: {
        usage:
          "the --application value 'Potato' must match ^[a-z0-9]+(?:-[a-z0-9]+)*$ and be at most 70 characters",
      },
      deviation:
        'Kuberpult sends it and fails at the server (exit 1); trainyard knows the rule and sends nothing',
    },
  ]);
});

// Locks go to the /api/ paths of cli.md; Kuberpult's client sends environment, application and
// group locks to the older paths without /api/ (Trainyard serves both).
describe('create-env-lock and delete-env-lock', () => {
  // cli/pkg/locks/env_lock_parsing_test.go (TestReadArgs, TestParseArgs)
  const lock = '/api/environments/development/locks/my-lock';
  runTable('create-env-lock', [
    {
      name: 'some unrecognized positional arguments',
      args: ['potato', 'tomato'],
      kuberpult: 'these arguments are not recognised: "potato tomato"',
    },
    {
      name: "some flags that don't exist",
      args: ['--environment', 'development', '--potato', 'tomato'],
      kuberpult: 'error while parsing command line arguments, error: flag provided but not defined: -potato',
    },
    { name: 'nothing provided', args: [], kuberpult: 'the --lockID arg must be set exactly once' },
    {
      name: 'only --environment is properly provided but without --lockID',
      args: ['--environment', 'potato'],
      kuberpult: 'the --lockID arg must be set exactly once',
    },
    {
      name: 'only --lockID is properly provided but without --environment',
      args: ['--lockID', 'potato'],
      kuberpult: 'the --environment arg must be set exactly once',
    },
    {
      name: '--environment, lockID and message are are specified',
      args: ['--environment', 'development', '--lockID', 'my-lock', '--message', '"my message"'],
      trainyard: put(lock, { message: '"my message"' }),
    },
    {
      name: '--environment, lockID are are specified, but not the message',
      args: ['--environment', 'development', '--lockID', 'my-lock'],
      trainyard: put(lock, { message: '' }),
    },
    {
      name: 'environment, lockID and ciLink are specified',
      args: ['--environment', 'development', '--lockID', 'my-lock', '--ci_link', 'https://localhost:8000'],
      trainyard: put(lock, { message: '', ciLink: 'https://localhost:8000' }),
    },
    {
      name: '--ci_link is invalid url',
      args: ['--environment', 'development', '--lockID', 'my-lock', '--ci_link', 'https//localhost:8000'],
      kuberpult: "provided invalid --ci_link value 'https//localhost:8000'",
    },
    {
      name: '--ci_link is specified twice',
      args: [
        '--environment',
        'development',
        '--lockID',
        'my-lock',
        '--ci_link',
        'https://localhost:8000',
        '--ci_link',
        'https://localhost:8000',
      ],
      kuberpult: 'the --ci_link arg must be set at most once',
    },
    {
      name: '--suggested_lifetime is invalid',
      args: ['--environment', 'development', '--lockID', 'my-lock', '--suggested_lifetime', '12'],
      kuberpult: "provided invalid --suggested_lifetime value '12'",
    },
    {
      name: '--suggested_lifetime is specified twice',
      args: [
        '--environment',
        'development',
        '--lockID',
        'my-lock',
        '--suggested_lifetime',
        '6d',
        '--suggested_lifetime',
        '4h',
      ],
      kuberpult: 'the --suggested_lifetime arg must be set at most once',
    },
    {
      name: 'with environment and lockID and multi word message message',
      args: [
        '--environment',
        'development',
        '--lockID',
        'my-lock',
        '--message',
        'this is a very long message',
      ],
      trainyard: put(lock, { message: 'this is a very long message' }),
    },
    {
      name: 'with a suggested lifetime',
      args: [
        '--environment',
        'development',
        '--lockID',
        'my-lock',
        '--message',
        'm',
        '--suggested_lifetime',
        '2d',
      ],
      trainyard: put(lock, { message: 'm', suggestedLifetime: '2d' }),
    },
    {
      name: 'the message twice',
      args: ['--environment', 'development', '--lockID', 'my-lock', '--message', 'a', '--message', 'b'],
      kuberpult: 'the --message arg must be set at most once',
    },
    {
      name: 'a lock id that is not one',
      args: ['--environment', 'development', '--lockID', '.hidden'],
      trainyard: {
        usage:
          "the --lockID value '.hidden' must be 2 to 99 characters of [A-Za-z0-9._-], not starting with . or -",
      },
      deviation:
        'Kuberpult sends it and fails at the server (exit 1); trainyard knows the rule and sends nothing',
    },
  ]);
  // TestReadDeleteEnvLockArgs, TestParseArgsDeleteEnvLock
  runTable('delete-env-lock', [
    {
      name: 'some unrecognized positional arguments',
      args: ['potato', 'tomato'],
      kuberpult: 'these arguments are not recognised: "potato tomato"',
    },
    {
      name: "some flags that don't exist",
      args: ['--environment', 'development', '--potato', 'tomato'],
      kuberpult: 'error while parsing command line arguments, error: flag provided but not defined: -potato',
    },
    { name: 'nothing provided', args: [], kuberpult: 'the --lockID arg must be set exactly once' },
    {
      name: 'only --environment is properly provided but without --lockID',
      args: ['--environment', 'potato'],
      kuberpult: 'the --lockID arg must be set exactly once',
    },
    {
      name: 'only --lockID is properly provided but without --environment',
      args: ['--lockID', 'potato'],
      kuberpult: 'the --environment arg must be set exactly once',
    },
    {
      name: '--message is not accepted',
      args: ['--environment', 'development', '--lockID', 'my-lock', '--message', '"my message"'],
      kuberpult: 'error while parsing command line arguments, error: flag provided but not defined: -message',
    },
    {
      name: '--environment, lockID are are specified, but not the message',
      args: ['--environment', 'development', '--lockID', 'my-lock'],
      trainyard: del(lock),
    },
  ]);
});

describe('create-app-lock and delete-app-lock', () => {
  // cli/pkg/locks/app_lock_parsing_test.go (TestReadArgsAppLock, TestParseArgsCreateAppLock)
  const lock = '/api/environments/development/applications/my-app/locks/my-lock';
  const common: Case[] = [
    {
      name: 'some unrecognized positional arguments',
      args: ['potato', 'tomato'],
      kuberpult: 'these arguments are not recognised: "potato tomato"',
    },
    {
      name: "some flags that don't exist",
      args: ['--environment', 'development', '--potato', 'tomato'],
      kuberpult: 'error while parsing command line arguments, error: flag provided but not defined: -potato',
    },
    { name: 'nothing provided', args: [], kuberpult: 'the --lockID arg must be set exactly once' },
    {
      name: 'only --lockID is properly provided but without --environment',
      args: ['--lockID', 'potato'],
      kuberpult: 'the --environment arg must be set exactly once',
    },
  ];
  runTable('create-app-lock', [
    ...common,
    {
      name: 'lockID is not provided',
      args: ['--environment', 'development', '--application', 'my-app', '--message', '"my message"'],
      kuberpult: 'the --lockID arg must be set exactly once',
    },
    {
      name: 'environment is not provided',
      args: ['--application', 'my-app', '--lockID', 'my-lock', '--message', '"my message"'],
      kuberpult: 'the --environment arg must be set exactly once',
    },
    {
      name: 'application is not provided',
      args: ['--environment', 'development', '--lockID', 'my-lock', '--message', '"my message"'],
      kuberpult: 'the --application arg must be set exactly once',
    },
    {
      name: 'environment, lockID, application and message are are specified',
      args: [
        '--environment',
        'development',
        '--application',
        'my-app',
        '--lockID',
        'my-lock',
        '--message',
        '"my message"',
      ],
      trainyard: put(lock, { message: '"my message"' }),
    },
    {
      name: 'environment, lockID, application and ciLink are specified',
      args: [
        '--environment',
        'development',
        '--application',
        'my-app',
        '--lockID',
        'my-lock',
        '--ci_link',
        'https://localhost:8000',
      ],
      trainyard: put(lock, { message: '', ciLink: 'https://localhost:8000' }),
    },
    {
      name: '--ci_link is invalid url',
      args: [
        '--environment',
        'development',
        '--application',
        'my-app',
        '--lockID',
        'my-lock',
        '--ci_link',
        'https//localhost:8000',
      ],
      kuberpult: "provided invalid --ci_link value 'https//localhost:8000'",
    },
    {
      name: '--ci_link is specified twice',
      args: [
        '--environment',
        'development',
        '--application',
        'my-app',
        '--lockID',
        'my-lock',
        '--ci_link',
        'https://localhost:8000',
        '--ci_link',
        'https://localhost:8000',
      ],
      kuberpult: 'the --ci_link arg must be set at most once',
    },
    {
      name: '--suggested_lifetime is invalid',
      args: [
        '--environment',
        'development',
        '--application',
        'my-app',
        '--lockID',
        'my-lock',
        '--suggested_lifetime',
        '12',
      ],
      kuberpult: "provided invalid --suggested_lifetime value '12'",
    },
    {
      name: '--suggested_lifetime is specified twice',
      args: [
        '--environment',
        'development',
        '--application',
        'my-app',
        '--lockID',
        'my-lock',
        '--suggested_lifetime',
        '6d',
        '--suggested_lifetime',
        '4h',
      ],
      kuberpult: 'the --suggested_lifetime arg must be set at most once',
    },
    {
      name: 'with environment and lockID and message',
      args: [
        '--environment',
        'development',
        '--application',
        'my-app',
        '--lockID',
        'my-lock',
        '--message',
        'message',
      ],
      trainyard: put(lock, { message: 'message' }),
    },
    {
      name: 'with environment, app and lockID and no message',
      args: ['--environment', 'development', '--application', 'my-app', '--lockID', 'my-lock'],
      trainyard: put(lock, { message: '' }),
    },
    {
      name: 'with environment and lockID and multi word message message',
      args: [
        '--environment',
        'development',
        '--application',
        'my-app',
        '--lockID',
        'my-lock',
        '--message',
        'this is a very long message',
      ],
      trainyard: put(lock, { message: 'this is a very long message' }),
    },
  ]);
  // TestReadArgsDeleteAppLock, TestParseArgsDeleteAppLock
  runTable('delete-app-lock', [
    ...common,
    {
      name: 'lockID is not provided',
      args: ['--environment', 'development', '--application', 'my-app'],
      kuberpult: 'the --lockID arg must be set exactly once',
    },
    {
      name: 'environment is not provided',
      args: ['--application', 'my-app', '--lockID', 'my-lock'],
      kuberpult: 'the --environment arg must be set exactly once',
    },
    {
      name: 'application is not provided',
      args: ['--environment', 'development', '--lockID', 'my-lock'],
      kuberpult: 'the --application arg must be set exactly once',
    },
    {
      name: 'message is not accepted by delete',
      args: [
        '--environment',
        'development',
        '--application',
        'my-app',
        '--lockID',
        'my-lock',
        '--message',
        '"my message"',
      ],
      kuberpult: 'error while parsing command line arguments, error: flag provided but not defined: -message',
    },
    {
      name: 'environment, lockID and application are specified',
      args: ['--environment', 'development', '--application', 'my-app', '--lockID', 'my-lock'],
      trainyard: del(lock),
    },
  ]);
});

describe('create-team-lock and delete-team-lock', () => {
  // cli/pkg/locks/team_lock_parsing_test.go (TestReadArgsTeamLock, TestParseArgsCreateTeamLock)
  const lock = '/api/environments/development/lock/team/my-team/my-lock';
  const common: Case[] = [
    {
      name: 'some unrecognized positional arguments',
      args: ['potato', 'tomato'],
      kuberpult: 'these arguments are not recognised: "potato tomato"',
    },
    {
      name: "some flags that don't exist",
      args: ['--environment', 'development', '--potato', 'tomato'],
      kuberpult: 'error while parsing command line arguments, error: flag provided but not defined: -potato',
    },
    { name: 'nothing provided', args: [], kuberpult: 'the --lockID arg must be set exactly once' },
    {
      name: 'only --lockID is properly provided but without --environment',
      args: ['--lockID', 'potato'],
      kuberpult: 'the --environment arg must be set exactly once',
    },
  ];
  runTable('create-team-lock', [
    ...common,
    {
      name: 'lockID is not provided',
      args: ['--environment', 'development', '--team', 'my-team', '--message', '"my message"'],
      kuberpult: 'the --lockID arg must be set exactly once',
    },
    {
      name: 'environment is not provided',
      args: ['--team', 'my-team', '--lockID', 'my-lock', '--message', '"my message"'],
      kuberpult: 'the --environment arg must be set exactly once',
    },
    {
      name: 'application is not provided',
      args: ['--environment', 'development', '--lockID', 'my-lock', '--message', '"my message"'],
      kuberpult: 'the --team arg must be set exactly once',
    },
    {
      name: 'environment, lockID, application and message are are specified',
      args: [
        '--environment',
        'development',
        '--team',
        'my-team',
        '--lockID',
        'my-lock',
        '--message',
        '"my message"',
      ],
      trainyard: put(lock, { message: '"my message"' }),
    },
    {
      // Kuberpult's readArgs takes it; its ParseArgs (the next case's vector) refuses a team lock without message.
      name: 'environment, lockID, team and ciLink are specified',
      args: [
        '--environment',
        'development',
        '--team',
        'my-team',
        '--lockID',
        'my-lock',
        '--ci_link',
        'https://localhost:8000',
      ],
      kuberpult:
        'error while creating parameters for team lock, error: the --message arg is required for lock creation',
    },
    {
      name: '--ci_link is invalid url',
      args: [
        '--environment',
        'development',
        '--team',
        'my-team',
        '--lockID',
        'my-lock',
        '--ci_link',
        'https//localhost:8000',
      ],
      kuberpult: "provided invalid --ci_link value 'https//localhost:8000'",
    },
    {
      name: '--ci_link is specified twice',
      args: [
        '--environment',
        'development',
        '--team',
        'my-team',
        '--lockID',
        'my-lock',
        '--ci_link',
        'https://localhost:8000',
        '--ci_link',
        'https://localhost:8000',
      ],
      kuberpult: 'the --ci_link arg must be set at most once',
    },
    {
      name: '--suggested_lifetime is invalid',
      args: [
        '--environment',
        'development',
        '--team',
        'my-team',
        '--lockID',
        'my-lock',
        '--suggested_lifetime',
        '12',
      ],
      kuberpult: "provided invalid --suggested_lifetime value '12'",
    },
    {
      name: '--suggested_lifetime is specified twice',
      args: [
        '--environment',
        'development',
        '--team',
        'my-team',
        '--lockID',
        'my-lock',
        '--suggested_lifetime',
        '6d',
        '--suggested_lifetime',
        '4h',
      ],
      kuberpult: 'the --suggested_lifetime arg must be set at most once',
    },
    {
      name: 'with environment and lockID and message',
      args: [
        '--environment',
        'development',
        '--team',
        'my-team',
        '--lockID',
        'my-lock',
        '--message',
        'message',
      ],
      trainyard: put(lock, { message: 'message' }),
    },
    {
      name: 'with environment, app and lockID and no message',
      args: ['--environment', 'development', '--team', 'my-team', '--lockID', 'my-lock'],
      kuberpult:
        'error while creating parameters for team lock, error: the --message arg is required for lock creation',
    },
    {
      name: 'with environment and lockID and multi word message message',
      args: [
        '--environment',
        'development',
        '--team',
        'my-team',
        '--lockID',
        'my-lock',
        '--message',
        'this is a very long message',
      ],
      trainyard: put(lock, { message: 'this is a very long message' }),
    },
    {
      name: 'an empty message (convertToCreateTeamLockParams)',
      args: ['--environment', 'development', '--team', 'my-team', '--lockID', 'my-lock', '--message', ''],
      kuberpult: 'the --message arg may not be empty for lock creation',
    },
  ]);
  // TestReadArgsDeleteTeamLock, TestParseArgsDeleteTeamLock
  runTable('delete-team-lock', [
    ...common,
    {
      name: 'lockID is not provided',
      args: ['--environment', 'development', '--team', 'my-team'],
      kuberpult: 'the --lockID arg must be set exactly once',
    },
    {
      name: 'environment is not provided',
      args: ['--team', 'my-team', '--lockID', 'my-lock'],
      kuberpult: 'the --environment arg must be set exactly once',
    },
    {
      name: 'application is not provided',
      args: ['--environment', 'development', '--lockID', 'my-lock'],
      kuberpult: 'the --team arg must be set exactly once',
    },
    {
      name: 'delete does not accept message',
      args: [
        '--environment',
        'development',
        '--team',
        'my-team',
        '--lockID',
        'my-lock',
        '--message',
        'message',
      ],
      kuberpult: 'error while parsing command line arguments, error: flag provided but not defined: -message',
    },
    {
      name: 'environment, lockID and application are are specified',
      args: ['--environment', 'development', '--team', 'my-team', '--lockID', 'my-lock'],
      trainyard: del(lock),
    },
  ]);
});

describe('create-group-lock and delete-group-lock', () => {
  // cli/pkg/locks/group_lock_parsing_test.go (TestReadGroupLockArgs, TestParseEnvGroupArgs)
  const lock = '/api/environment-groups/development/locks/my-lock';
  const common: Case[] = [
    {
      name: 'some unrecognized positional arguments',
      args: ['potato', 'tomato'],
      kuberpult: 'these arguments are not recognised: "potato tomato"',
    },
    {
      name: "some flags that don't exist",
      args: ['--environment-group', 'development', '--potato', 'tomato'],
      kuberpult: 'error while parsing command line arguments, error: flag provided but not defined: -potato',
    },
    { name: 'nothing provided', args: [], kuberpult: 'the --lockID arg must be set exactly once' },
    {
      name: 'only --environment-group is properly provided but without --lockID',
      args: ['--environment-group', 'potato'],
      kuberpult: 'the --lockID arg must be set exactly once',
    },
    {
      name: 'only --lockID is properly provided but without --environment-group',
      args: ['--lockID', 'potato'],
      kuberpult: 'the --environment-group arg must be set exactly once',
    },
  ];
  runTable('create-group-lock', [
    ...common,
    {
      name: '--environment-group, lockID and message are are specified',
      args: ['--environment-group', 'development', '--lockID', 'my-lock', '--message', '"my message"'],
      trainyard: put(lock, { message: '"my message"' }),
    },
    {
      name: '--environment-group, lockID are are specified, but not the message',
      args: ['--environment-group', 'development', '--lockID', 'my-lock'],
      trainyard: put(lock, { message: '' }),
    },
    {
      name: 'environment group, lockID and ciLink are specified',
      args: [
        '--environment-group',
        'development',
        '--lockID',
        'my-lock',
        '--ci_link',
        'https://localhost:8000',
      ],
      trainyard: put(lock, { message: '', ciLink: 'https://localhost:8000' }),
    },
    {
      name: '--ci_link is invalid url',
      args: [
        '--environment-group',
        'development',
        '--lockID',
        'my-lock',
        '--ci_link',
        'https//localhost:8000',
      ],
      kuberpult: "provided invalid --ci_link value 'https//localhost:8000'",
    },
    {
      name: '--ci_link is specified twice',
      args: [
        '--environment-group',
        'development',
        '--lockID',
        'my-lock',
        '--ci_link',
        'https//localhost:8000',
        '--ci_link',
        'https//localhost:8000',
      ],
      kuberpult: 'the --ci_link arg must be set at most once',
    },
    {
      name: '--suggested_lifetime is invalid',
      args: ['--environment-group', 'development', '--lockID', 'my-lock', '--suggested_lifetime', '12'],
      kuberpult: "provided invalid --suggested_lifetime value '12'",
    },
    {
      name: '--suggested_lifetime is specified twice',
      args: [
        '--environment-group',
        'development',
        '--lockID',
        'my-lock',
        '--suggested_lifetime',
        '6d',
        '--suggested_lifetime',
        '4h',
      ],
      kuberpult: 'the --suggested_lifetime arg must be set at most once',
    },
    {
      name: 'with environment and lockID and multi word message message',
      args: [
        '--environment-group',
        'development',
        '--lockID',
        'my-lock',
        '--message',
        'this is a very long message',
      ],
      trainyard: put(lock, { message: 'this is a very long message' }),
    },
  ]);
  // TestReadDeleteGroupLockArgs, TestParseDeleteEnvGroupArgs
  runTable('delete-group-lock', [
    ...common,
    {
      name: '--environment-group and lockID',
      args: ['--environment-group', 'development', '--lockID', 'my-lock'],
      trainyard: del(lock),
    },
  ]);
});

describe('get-commit-deployments and get-deployment-commit', () => {
  // cli/pkg/deployments/deployments_parsing_test.go (TestParseArgsCommitDeployments, TestValidateCommitHash)
  runTable('get-commit-deployments', [
    {
      name: 'valid commit hash',
      args: ['--commit', '1234567890123456789012345678901234abcdef'],
      trainyard: get('/api/commit-deployments/1234567890123456789012345678901234abcdef'),
    },
    {
      name: 'invalid commit hash',
      args: ['--commit', '1234567890123456789012345678901234abcdeg'],
      kuberpult: 'the commit hash: 1234567890123456789012345678901234abcdeg is invalid',
    },
    {
      name: 'invalid number of arguments',
      args: ['--commit', '1234567890123456789012345678901234abcdef', 'extra'],
      kuberpult: 'these arguments are not recognised: "extra"',
    },
    {
      name: 'missing commit flag',
      args: [],
      kuberpult: 'the commit hash must be set with the --commit flag',
    },
    {
      name: 'length less than 40',
      args: ['--commit', '123456'],
      kuberpult: 'the commit hash: 123456 is invalid',
    },
    {
      name: 'length more than 40',
      args: ['--commit', '12345678901234567890123456789012345678901'],
      kuberpult: 'the commit hash: 12345678901234567890123456789012345678901 is invalid',
    },
    {
      name: 'invalid character',
      args: ['--commit', '1234567890123456789012345678901234567890g'],
      kuberpult: 'the commit hash: 1234567890123456789012345678901234567890g is invalid',
    },
    {
      name: 'valid commit hash with uppercase letters',
      args: ['--commit', '1234567890123456789012345678901234ABCDEF'],
      trainyard: get('/api/commit-deployments/1234567890123456789012345678901234ABCDEF'),
    },
    // Beyond Kuberpult's table: its flag.StringVar took the last of repeated flags.
    {
      name: 'the commit twice',
      args: ['--commit', COMMIT, '--commit', COMMIT],
      trainyard: { usage: 'the --commit arg must be set at most once' },
      deviation: 'Kuberpult takes the last one silently',
    },
    {
      name: 'an --out file (empty: stdout, as in Kuberpult)',
      args: ['--commit', COMMIT, '--out', ''],
      trainyard: get(`/api/commit-deployments/${COMMIT}`),
    },
  ]);
  // TestParseArgsDeploymentCommit
  runTable('get-deployment-commit', [
    {
      name: 'valid end and app',
      args: ['--environment', 'testenv', '--application', 'testapp'],
      trainyard: get('/api/environments/testenv/applications/testapp/commit'),
    },
    {
      name: 'missing env flag',
      args: ['--application', 'testapp'],
      kuberpult: 'the environment name must be set with the --environment flag',
    },
    {
      name: 'missing app flag',
      args: ['--environment', 'testenv'],
      kuberpult: 'the application name must be set with the --application flag',
    },
    {
      name: 'the environment twice',
      args: ['--environment', 'a', '--environment', 'b', '--application', 'testapp'],
      trainyard: { usage: 'the --environment arg must be set at most once' },
      deviation: 'Kuberpult takes the last one silently',
    },
  ]);
});

describe('delete-environment', () => {
  // cli/pkg/environments/parsing_test.go (TestReadArgsDeleteEnvironment, TestParseArgsDeleteEnvironment)
  runTable('delete-environment', [
    {
      name: 'some unrecognized positional arguments',
      args: ['potato', 'tomato'],
      kuberpult: 'these arguments are not recognised: "potato tomato"',
    },
    {
      name: "some flags that don't exist",
      args: ['--environment', 'development', '--potato', 'tomato'],
      kuberpult: 'error while parsing command line arguments, error: flag provided but not defined: -potato',
    },
    {
      name: 'environment is not provided',
      args: [],
      kuberpult: 'the --environment arg must be set exactly once',
    },
    {
      name: 'environment is specified',
      args: ['--environment', 'development'],
      trainyard: del('/api/environments/development'),
    },
  ]);
});
