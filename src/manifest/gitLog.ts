// Reading the branch's history with `git log`: one fixed format, parsed field by field.
import { type GitIdentity, gitOutput } from './git.js';

export interface LogOptions {
  /** Pathspecs (git's syntax, magic allowed) the commits must touch; none: every commit. */
  readonly paths?: readonly string[];
  /** At most this many commits, newest first. */
  readonly limit: number;
}

export interface LogEntry {
  readonly commitId: string;
  /** The first line of the message. */
  readonly subject: string;
  readonly author: GitIdentity;
  readonly committer: GitIdentity;
  /** The author date. */
  readonly authorTime: Date;
  /** The first `Request-Id` trailer, when there is one. */
  readonly requestId?: string;
  /** The first `Ci-Link` trailer, when there is one. */
  readonly ciLink?: string;
}

// Each field ends with a NUL (a commit message cannot hold one), each commit with \x1e. The
// fields are read by count, so a \x1e in a subject or a name cannot split a commit.
const FIELDS = {
  commitId: '%H',
  authorName: '%an',
  authorEmail: '%ae',
  committerName: '%cn',
  committerEmail: '%ce',
  time: '%at',
  subject: '%s',
  requestId: '%(trailers:key=Request-Id,valueonly)',
  ciLink: '%(trailers:key=Ci-Link,valueonly)',
} as const;
type Field = keyof typeof FIELDS;
const MAX_DATE_SECONDS = 8.64e12;
const FORMAT = `${Object.values(FIELDS)
  .map((placeholder) => `${placeholder}%x00`)
  .join('')}%x1e`;

/**
 * The commits reachable from `commitId` along first parents that touch `paths`, newest first.
 * `commitId` must be a commit id (not a name a client chose); the paths are pathspecs built from
 * validated names only.
 */
export async function readLog(
  repoPath: string,
  commitId: string,
  { paths = [], limit }: LogOptions,
): Promise<LogEntry[]> {
  if (!Number.isSafeInteger(limit) || limit < 1) throw new Error(`invalid log limit ${limit}`);
  const output = await gitOutput(repoPath, [
    'log',
    '--first-parent',
    '--no-show-signature',
    '--no-follow',
    `--max-count=${limit}`,
    `--format=${FORMAT}`,
    '--end-of-options',
    commitId,
    '--',
    ...paths,
  ]);
  return parseLog(output.toString('utf8'));
}

export function parseLog(text: string): LogEntry[] {
  const entries: LogEntry[] = [];
  let position = 0;
  const next = (terminator: string): string => {
    const end = text.indexOf(terminator, position);
    if (end < 0) throw new Error('unexpected git log output');
    const value = text.slice(position, end);
    position = end + terminator.length;
    return value;
  };
  while (position < text.length) {
    const fields = Object.fromEntries(Object.keys(FIELDS).map((field) => [field, next('\0')])) as Record<
      Field,
      string
    >;
    if (text[position] !== '\x1e') throw new Error('unexpected git log output');
    position += text[position + 1] === '\n' ? 2 : 1;
    const seconds = Number(fields.time);
    // A date JavaScript cannot hold (git takes any number) is as unexpected as a broken format.
    if (
      !/^[0-9a-f]{40}(?:[0-9a-f]{24})?$/.test(fields.commitId) ||
      !(Math.abs(seconds) <= MAX_DATE_SECONDS)
    ) {
      throw new Error('unexpected git log output');
    }
    const requestId = firstValue(fields.requestId);
    const ciLink = firstValue(fields.ciLink);
    entries.push({
      commitId: fields.commitId,
      subject: fields.subject,
      author: { name: fields.authorName, email: fields.authorEmail },
      committer: { name: fields.committerName, email: fields.committerEmail },
      authorTime: new Date(seconds * 1000),
      ...(requestId !== undefined ? { requestId } : {}),
      ...(ciLink !== undefined ? { ciLink } : {}),
    });
  }
  return entries;
}

/** valueonly prints one trailer value a line; the first non-empty one counts. */
function firstValue(lines: string): string | undefined {
  return lines
    .split('\n')
    .map((line) => line.trim())
    .find((line) => line !== '');
}
