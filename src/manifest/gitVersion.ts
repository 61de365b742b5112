// The oldest git the service works with: `cat-file --batch-command` came in git 2.36. Checked
// once at start, so an old git is a clear message instead of a reader that fails on every request.
import { execFile } from 'node:child_process';
import { gitEnvironment } from './git.js';

export const MINIMUM_GIT_VERSION: readonly [number, number] = [2, 36];

export class GitVersionError extends Error {}

/** "git version 2.39.5" (or "2.39.5.windows.1", "2.45.1 (Apple Git-154)") -> [2, 39]. */
export function parseGitVersion(output: string): [number, number] | undefined {
  const match = /git version (\d+)\.(\d+)/.exec(output);
  return match ? [Number(match[1]), Number(match[2])] : undefined;
}

/** Resolves with the version text; GitVersionError when git is missing or older than needed. */
export function requireGitVersion(): Promise<string> {
  const [major, minor] = MINIMUM_GIT_VERSION;
  const needed = `git ${major}.${minor} or newer is needed`;
  return new Promise((resolve, reject) => {
    execFile('git', ['--version'], { env: gitEnvironment(), timeout: 10_000 }, (error, stdout) => {
      if (error) {
        reject(new GitVersionError(`${needed}, and git cannot be run: ${error.message}`));
        return;
      }
      const text = stdout.trim();
      const version = parseGitVersion(text);
      if (!version) return reject(new GitVersionError(`${needed}; "git --version" said "${text}"`));
      const [foundMajor, foundMinor] = version;
      if (foundMajor < major || (foundMajor === major && foundMinor < minor)) {
        return reject(new GitVersionError(`${needed}; this machine has ${text}`));
      }
      resolve(text);
    });
  });
}
