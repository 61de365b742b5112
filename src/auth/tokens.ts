// CI tokens (AUTH_MODE=token): a YAML list of {name, email, sha256, groups}. The file holds only
// the SHA-256 of each token; a presented token is hashed and compared in constant time against
// every entry. The file is re-read when it changes, so revoking a token needs no restart.
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { z } from 'zod';
import type { Caller } from './caller.js';
import { IDENTITY_TEXT_RULE, isIdentityText } from './identity.js';
import { lineOfListItem, loadSettingsYaml } from './lineNumbers.js';

const IdentityText = z.string().refine(isIdentityText, `must be ${IDENTITY_TEXT_RULE}`);

const TokenEntrySchema = z.strictObject({
  name: IdentityText,
  email: IdentityText,
  sha256: z
    .string()
    .regex(/^[0-9a-fA-F]{64}$/, 'must be the hex SHA-256 of the token (64 hex digits), never the token'),
  groups: z.array(z.string().min(1).max(256)).default([]),
});

const TokensFileSchema = z.array(TokenEntrySchema);

export interface TokenEntry {
  readonly name: string;
  readonly email: string;
  readonly hash: Buffer;
  readonly groups: readonly string[];
}

export class TokensFileError extends Error {}

/** Parses the tokens file; errors name the file and the line. */
export function parseTokensFile(text: string, fileName: string): TokenEntry[] {
  const document = loadSettingsYaml(text, fileName, [], (message) => new TokensFileError(message));
  const parsed = TokensFileSchema.safeParse(document);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const index = typeof issue?.path[0] === 'number' ? issue.path[0] : undefined;
    const line = index === undefined ? undefined : lineOfListItem(text, index);
    const where = line === undefined ? fileName : `${fileName} line ${line}`;
    const field = issue?.path.slice(1).join('.') || 'entry';
    throw new TokensFileError(
      index === undefined
        ? `${where}: must be a list of {name, email, sha256, groups}`
        : `${where}: ${field}: ${issue?.message}`,
    );
  }
  const entries = parsed.data.map((entry) => ({
    name: entry.name,
    email: entry.email,
    hash: Buffer.from(entry.sha256.toLowerCase(), 'hex'),
    groups: entry.groups,
  }));
  const seen = new Set<string>();
  entries.forEach((entry, index) => {
    const key = entry.hash.toString('hex');
    if (seen.has(key)) {
      throw new TokensFileError(
        `${fileName} line ${lineOfListItem(text, index) ?? '?'}: the same sha256 twice`,
      );
    }
    seen.add(key);
  });
  return entries;
}

/** Finds the entry of a token: every entry is compared, each in constant time. */
export function matchToken(entries: readonly TokenEntry[], token: string): TokenEntry | undefined {
  const presented = createHash('sha256').update(token, 'utf8').digest();
  let match: TokenEntry | undefined;
  for (const entry of entries) {
    if (timingSafeEqual(entry.hash, presented) && match === undefined) match = entry;
  }
  return match;
}

/**
 * The tokens of AUTH_TOKENS_FILE, kept in step with the file: each check looks at the file's
 * size, mtime and inode (one stat), and re-reads it when they changed. A file that became
 * unreadable or malformed verifies no token at all (fail closed) until it is fixed.
 */
export class TokenStore {
  private entries: readonly TokenEntry[] = [];
  private version = '';
  private reloading: Promise<void> | undefined;

  private reportReloadError: (error: Error) => void = () => {};

  constructor(readonly path: string) {}

  /** Told when a changed file cannot be used (every token is refused until it is fixed). */
  onReloadError(report: (error: Error) => void): void {
    this.reportReloadError = report;
  }

  /** Reads the file for the first time; throws TokensFileError with the line when malformed. */
  async load(): Promise<void> {
    const version = await this.fileVersion();
    this.entries = parseTokensFile(await readFile(this.path, 'utf8'), this.path);
    this.version = version;
  }

  async verify(token: string): Promise<Caller | undefined> {
    await this.refresh();
    const entry = matchToken(this.entries, token);
    return entry && { name: entry.name, email: entry.email, groups: entry.groups, via: 'token' };
  }

  private async refresh(): Promise<void> {
    // Concurrent requests share one re-read.
    this.reloading ??= this.reloadIfChanged().finally(() => {
      this.reloading = undefined;
    });
    await this.reloading;
  }

  private async reloadIfChanged(): Promise<void> {
    let version: string;
    try {
      version = await this.fileVersion();
    } catch (error) {
      this.failClosed(error as Error, 'missing');
      return;
    }
    if (version === this.version) return;
    try {
      this.entries = parseTokensFile(await readFile(this.path, 'utf8'), this.path);
      this.version = version;
    } catch (error) {
      this.failClosed(error as Error, version);
    }
  }

  private failClosed(error: Error, version: string): void {
    if (this.version !== version) this.reportReloadError(error);
    this.entries = [];
    this.version = version;
  }

  private async fileVersion(): Promise<string> {
    const info = await stat(this.path, { bigint: true });
    return `${info.ino}:${info.size}:${info.mtimeNs}:${info.ctimeNs}`;
  }
}
