// Go's flag grammar (the flag package's FlagSet.Parse), case by case: what kuberpult-client's
// parsers inherit from it.
import { describe, expect, it } from 'vitest';
import { type FlagSpec, FlagValues, parseFlags, UsageError } from '../../src/cli/flags.js';

const SPECS: FlagSpec[] = [
  { name: 'name', kind: 'string', usage: '' },
  { name: 'count', kind: 'int', usage: '' },
  { name: 'seconds', kind: 'number', usage: '' },
  { name: 'verbose', kind: 'bool', usage: '' },
];

const parse = (...args: string[]) => parseFlags(args, SPECS);

describe('parseFlags', () => {
  it.each([
    [['-name', 'a'], [['name', 'a']], []],
    [['--name', 'a'], [['name', 'a']], []],
    [['-name=a'], [['name', 'a']], []],
    [['--name=a=b'], [['name', 'a=b']], []],
    [['--name='], [['name', '']], []],
    // A non-boolean flag takes the next argument, whatever it looks like.
    [['--name', '--verbose'], [['name', '--verbose']], []],
    [['--count', '-5'], [['count', '-5']], []],
    [['--count=+7'], [['count', '+7']], []],
    [['--seconds', '.5'], [['seconds', '.5']], []],
    [['--verbose'], [['verbose', 'true']], []],
    [['-verbose=false'], [['verbose', 'false']], []],
    [
      ['--verbose=0', '--verbose=T'],
      [
        ['verbose', 'false'],
        ['verbose', 'true'],
      ],
      [],
    ],
    // A boolean never takes the next argument: it is positional.
    [['--verbose', 'false'], [['verbose', 'true']], ['false']],
    // Parsing stops at the first non-flag; "-" is no flag; "--" is consumed.
    [['-name', 'a', 'rest', '-verbose'], [['name', 'a']], ['rest', '-verbose']],
    [['-', '-verbose'], [], ['-', '-verbose']],
    [['--', '-verbose'], [], ['-verbose']],
    [['-name', 'a', '--', '--'], [['name', 'a']], ['--']],
    [[''], [], ['']],
    [[], [], []],
  ])('%j', (args, occurrences, rest) => {
    expect(parseFlags(args, SPECS)).toEqual({
      kind: 'parsed',
      occurrences: occurrences.map(([name, value]) => ({ name, value })),
      rest,
    });
  });

  it.each([
    [['-nope'], 'flag provided but not defined: -nope'],
    [['--nope=1'], 'flag provided but not defined: -nope'],
    [['---name', 'a'], 'bad flag syntax: ---name'],
    [['-=a'], 'bad flag syntax: -=a'],
    [['--=a'], 'bad flag syntax: --=a'],
    [['-name'], 'flag needs an argument: -name'],
    [['-verbose=yes'], 'invalid boolean value "yes" for -verbose: parse error'],
    [['-count', '1.5'], 'invalid value "1.5" for flag -count: the provided value "1.5" is not an integer'],
    [
      ['-count', '9223372036854775808'],
      'invalid value "9223372036854775808" for flag -count: the provided value "9223372036854775808" is not an integer',
    ],
    [['-count='], 'invalid value "" for flag -count: the provided value "" is not an integer'],
    [
      ['-seconds', 'soon'],
      'invalid value "soon" for flag -seconds: the provided value "soon" is not a number',
    ],
  ])('%j fails: %s', (args, message) => {
    expect(parseFlags(args, SPECS)).toEqual({ kind: 'error', message });
  });

  it('keeps the largest and smallest int64', () => {
    expect(parse('-count', '9223372036854775807', '-count', '-9223372036854775808').kind).toBe('parsed');
  });

  it('answers help for -h, -help and --help unless a flag has that name', () => {
    for (const flag of ['-h', '-help', '--help', '--h=1'])
      expect(parse('-name', 'a', flag).kind).toBe('help');
    expect(parseFlags(['-help', 'x'], [{ name: 'help', kind: 'string', usage: '' }])).toEqual({
      kind: 'parsed',
      occurrences: [{ name: 'help', value: 'x' }],
      rest: [],
    });
  });
});

describe('FlagValues', () => {
  const values = (...args: string[]) => {
    const parsed = parse(...args);
    if (parsed.kind !== 'parsed') throw new Error(parsed.kind);
    return new FlagValues(parsed.occurrences);
  };

  it('says which flag breaks "exactly once" and "at most once"', () => {
    expect(() => values().exactlyOnce('name')).toThrow(
      new UsageError('the --name arg must be set exactly once'),
    );
    expect(() => values('-name', 'a', '--name=b').exactlyOnce('name')).toThrow(
      'the --name arg must be set exactly once',
    );
    expect(() => values('-name', 'a', '--name=a').atMostOnce('name')).toThrow(
      'the --name arg must be set at most once',
    );
    expect(values('-name', 'a').exactlyOnce('name')).toBe('a');
    expect(values().atMostOnce('name')).toBeUndefined();
  });

  it('takes the last value of a repeated boolean, as Go does', () => {
    expect(values('-verbose', '-verbose=false').bool('verbose')).toBe(false);
    expect(values('-verbose=false', '-verbose').bool('verbose')).toBe(true);
    expect(values().bool('verbose')).toBe(false);
  });
});
