// The tokens file (security.md "Who is calling"): parseTokensFile names the line of what is wrong;
// TokenStore follows the file on disk (revocation without a restart, fail closed when broken).
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rename, rm, stat, symlink, unlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { matchToken, parseTokensFile, TokenStore, TokensFileError } from '../../src/auth/tokens.js';

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

const CI_TOKEN = 'ty_ci_Q3vX9kLm2PzR7tYw4NbJ8sHd5Gf';
const BOT_TOKEN = 'ty_bt_Hh7Kq2Lw9Xz4Cv6Bn1Mm3Pp8Rr0T';
const NEW_TOKEN = 'ty_nw_Aa1Bb2Cc3Dd4Ee5Ff6Gg7Hh8Ii9J';

function entry(name: string, token: string, groups = '[ci]'): string {
  return `- name: ${name}\n  email: ${name.toLowerCase()}@example.com\n  sha256: ${sha256(token)}\n  groups: ${groups}\n`;
}

/** The message parseTokensFile throws for `text` (fails the test when it parses). */
function parseError(text: string): string {
  try {
    parseTokensFile(text, 'tokens.yaml');
  } catch (error) {
    expect(error).toBeInstanceOf(TokensFileError);
    return (error as Error).message;
  }
  throw new Error(`parsed without an error:\n${text}`);
}

describe('parseTokensFile', () => {
  it('reads {name, email, sha256, groups}; groups are optional; upper-case hex is the same hash', () => {
    const text = `# CI tokens\n${entry('CI', CI_TOKEN)}- name: Bot\n  email: bot@example.com\n  sha256: ${sha256(BOT_TOKEN).toUpperCase()}\n`;
    const entries = parseTokensFile(text, 'tokens.yaml');
    expect(entries.map(({ name, email, groups }) => ({ name, email, groups }))).toEqual([
      { name: 'CI', email: 'ci@example.com', groups: ['ci'] },
      { name: 'Bot', email: 'bot@example.com', groups: [] },
    ]);
    expect(matchToken(entries, BOT_TOKEN)?.name).toBe('Bot');
    expect(matchToken(entries, CI_TOKEN)?.name).toBe('CI');
    expect(matchToken(entries, sha256(CI_TOKEN))).toBeUndefined();
    expect(matchToken(entries, CI_TOKEN.toLowerCase())).toBeUndefined();
    expect(matchToken(entries, '')).toBeUndefined();
    expect(parseTokensFile('', 'tokens.yaml')).toEqual([]);
    expect(parseTokensFile('# no tokens yet\n', 'tokens.yaml')).toEqual([]);
  });

  it('a missing sha256 in the 3rd entry names the line of that entry', () => {
    // Entry 3 starts at line 10 (a comment, then two entries of four lines).
    const text = `# CI tokens\n${entry('CI', CI_TOKEN)}${entry('Bot', BOT_TOKEN)}- name: Third\n  email: third@example.com\n  groups: [ci]\n`;
    const message = parseError(text);
    expect(message).toContain('tokens.yaml');
    expect(message).toContain('line 10');
    expect(message).toContain('sha256');
  });

  it('a sha256 that is not 64 hex digits (or is the token itself) names its entry’s line', () => {
    const nonHex = `${entry('CI', CI_TOKEN)}- name: Bot\n  email: bot@example.com\n  sha256: ${'g'.repeat(64)}\n`;
    expect(parseError(nonHex)).toMatch(/line 5\b.*sha256/);
    const theToken = `${entry('CI', CI_TOKEN)}${entry('Bot', BOT_TOKEN)}- name: Leaky\n  email: leaky@example.com\n  sha256: ${CI_TOKEN}\n`;
    const message = parseError(theToken);
    expect(message).toMatch(/line 9\b.*sha256/);
    // The error names the field, and never repeats the secret it found there.
    expect(message).not.toContain(CI_TOKEN);
    const short = `${entry('CI', CI_TOKEN)}- name: Bot\n  email: bot@example.com\n  sha256: ${sha256(BOT_TOKEN).slice(1)}\n`;
    expect(parseError(short)).toMatch(/line 5\b.*sha256/);
  });

  it('a YAML syntax error names its line', () => {
    const badIndent = `${entry('CI', CI_TOKEN)}- name: Bot\n  email: bot@example.com\n   sha256: ${sha256(BOT_TOKEN)}\n`;
    expect(parseError(badIndent)).toContain('line 7');
    const unclosed = `${entry('CI', CI_TOKEN)}${entry('Bot', BOT_TOKEN)}- name: [Third\n  email: third@example.com\n`;
    expect(parseError(unclosed)).toMatch(/line (9|10)\b/);
  });

  it('the same sha256 twice (in any case) names the line of the second entry', () => {
    const text = `${entry('CI', CI_TOKEN)}${entry('Bot', BOT_TOKEN)}- name: Copy\n  email: copy@example.com\n  sha256: ${sha256(CI_TOKEN).toUpperCase()}\n`;
    const message = parseError(text);
    expect(message).toContain('line 9');
    expect(message).toContain('sha256');
  });

  it('an unknown field, an email with < or a line break, and a file that is not a list are refused', () => {
    expect(
      parseError(
        `${entry('CI', CI_TOKEN)}- name: Bot\n  email: bot@example.com\n  token: ${BOT_TOKEN}\n  sha256: ${sha256(BOT_TOKEN)}\n`,
      ),
    ).toContain('line 5');
    expect(
      parseError(`- name: Bot\n  email: "bot@example.com>\\nCommitter: x"\n  sha256: ${sha256(BOT_TOKEN)}\n`),
    ).toMatch(/line 1\b.*email/);
    expect(
      parseError(
        `- name: "Eve <eve@example.com>"\n  email: eve@example.com\n  sha256: ${sha256(BOT_TOKEN)}\n`,
      ),
    ).toMatch(/line 1\b.*name/);
    expect(parseError(`name: CI\nemail: ci@example.com\nsha256: ${sha256(CI_TOKEN)}\n`)).toContain('list');
  });

  it('a name or email with a bidirectional control (U+202E, U+2066) is refused like a line break', () => {
    expect(
      parseError(
        `${entry('CI', CI_TOKEN)}- name: "Bot \\u202Enimda"\n  email: bot@example.com\n  sha256: ${sha256(BOT_TOKEN)}\n`,
      ),
    ).toMatch(/line 5\b.*name.*bidirectional/);
    expect(
      parseError(`- name: Bot\n  email: "bot\\u2066@example.com"\n  sha256: ${sha256(BOT_TOKEN)}\n`),
    ).toMatch(/line 1\b.*email/);
  });

  it('a list indented under the document still names the line of the entry', () => {
    // "  - name: ..." is the same YAML list as "- name: ...".
    const text =
      `${entry('CI', CI_TOKEN)}${entry('Bot', BOT_TOKEN)}- name: Third\n  email: third@example.com\n`
        .split('\n')
        .map((line) => (line === '' ? line : `  ${line}`))
        .join('\n');
    expect(
      parseTokensFile(`${entry('CI', CI_TOKEN)}`.replace(/^/gm, '  ').trimEnd(), 'tokens.yaml'),
    ).toHaveLength(1);
    expect(parseError(text)).toMatch(/line 9\b.*sha256/);
  });
});

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'trainyard-tokens-'));
  dirs.push(dir);
  return dir;
}

describe('TokenStore', () => {
  it('verifies a token as the entry’s identity and groups', async () => {
    const path = join(await tempDir(), 'tokens.yaml');
    await writeFile(path, entry('CI', CI_TOKEN, '[ci, deployers]'));
    const store = new TokenStore(path);
    await store.load();
    expect(await store.verify(CI_TOKEN)).toEqual({
      name: 'CI',
      email: 'ci@example.com',
      groups: ['ci', 'deployers'],
      via: 'token',
    });
    expect(await store.verify(BOT_TOKEN)).toBeUndefined();
  });

  it('load() of a malformed file throws the error with the line', async () => {
    const path = join(await tempDir(), 'tokens.yaml');
    await writeFile(path, `${entry('CI', CI_TOKEN)}- name: Bot\n  email: bot@example.com\n`);
    const store = new TokenStore(path);
    await expect(store.load()).rejects.toThrow(/line 5\b.*sha256/);
  });

  it('rotating a token in place (the new hash has the same length as the old) takes effect at the next check', async () => {
    const path = join(await tempDir(), 'tokens.yaml');
    await writeFile(path, entry('CI', CI_TOKEN));
    const store = new TokenStore(path);
    await store.load();
    expect(await store.verify(CI_TOKEN)).toBeDefined();
    // Same size, same inode: only the timestamps tell the change. The clock the file system
    // stamps with may not have moved since the first write, so the new time is set explicitly.
    const { atime, mtimeMs } = await stat(path);
    await writeFile(path, entry('CI', NEW_TOKEN));
    await utimes(path, atime, new Date(mtimeMs + 1000));
    expect(await store.verify(CI_TOKEN)).toBeUndefined();
    expect(await store.verify(NEW_TOKEN)).toMatchObject({ name: 'CI' });
  });

  it('follows a Kubernetes-style Secret mount (the ..data symlink swapped to a new directory)', async () => {
    const dir = await tempDir();
    await mkdir(join(dir, '..v1'));
    await writeFile(join(dir, '..v1', 'tokens.yaml'), `${entry('CI', CI_TOKEN)}${entry('Bot', BOT_TOKEN)}`);
    await symlink('..v1', join(dir, '..data'));
    await symlink('..data/tokens.yaml', join(dir, 'tokens.yaml'));
    const store = new TokenStore(join(dir, 'tokens.yaml'));
    await store.load();
    expect(await store.verify(CI_TOKEN)).toBeDefined();

    // Revoke CI and add a new one, atomically as the kubelet does.
    await mkdir(join(dir, '..v2'));
    await writeFile(join(dir, '..v2', 'tokens.yaml'), `${entry('Bot', BOT_TOKEN)}${entry('New', NEW_TOKEN)}`);
    await symlink('..v2', join(dir, '..data_tmp'));
    await rename(join(dir, '..data_tmp'), join(dir, '..data'));
    await rm(join(dir, '..v1'), { recursive: true });
    expect(await store.verify(CI_TOKEN)).toBeUndefined();
    expect(await store.verify(BOT_TOKEN)).toMatchObject({ name: 'Bot' });
    expect(await store.verify(NEW_TOKEN)).toMatchObject({ name: 'New' });
  });

  it('a file that becomes malformed or disappears verifies nothing, reports it once, and recovers when fixed', async () => {
    const path = join(await tempDir(), 'tokens.yaml');
    await writeFile(path, `${entry('CI', CI_TOKEN)}${entry('Bot', BOT_TOKEN)}`);
    const store = new TokenStore(path);
    const reported: string[] = [];
    store.onReloadError((error) => reported.push(error.message));
    await store.load();
    expect(await store.verify(CI_TOKEN)).toBeDefined();

    await writeFile(path, `${entry('CI', CI_TOKEN)}- name: [Bot\n`);
    expect(await store.verify(CI_TOKEN)).toBeUndefined();
    expect(await store.verify(BOT_TOKEN)).toBeUndefined();
    expect(await store.verify(CI_TOKEN)).toBeUndefined();
    expect(reported).toHaveLength(1);
    expect(reported[0]).toContain(path);
    expect(reported[0]).toMatch(/line \d+/);

    await writeFile(path, `${entry('CI', CI_TOKEN)}${entry('Bot', BOT_TOKEN)}`);
    expect(await store.verify(BOT_TOKEN)).toBeDefined();

    await unlink(path);
    expect(await store.verify(CI_TOKEN)).toBeUndefined();
    expect(await store.verify(BOT_TOKEN)).toBeUndefined();
    expect(reported).toHaveLength(2);
    await writeFile(path, entry('Bot', BOT_TOKEN));
    expect(await store.verify(BOT_TOKEN)).toBeDefined();
    expect(await store.verify(CI_TOKEN)).toBeUndefined();
  });

  it('concurrent checks while the file changes all see a consistent answer and the change', async () => {
    const path = join(await tempDir(), 'tokens.yaml');
    await writeFile(path, `${entry('CI', CI_TOKEN)}${entry('Bot', BOT_TOKEN)}`);
    const store = new TokenStore(path);
    await store.load();
    await writeFile(path, entry('Bot', BOT_TOKEN));
    const results = await Promise.all(Array.from({ length: 20 }, () => store.verify(CI_TOKEN)));
    expect(results.every((result) => result === undefined)).toBe(true);
    const bots = await Promise.all(Array.from({ length: 20 }, () => store.verify(BOT_TOKEN)));
    expect(bots.every((result) => result?.name === 'Bot')).toBe(true);
  });
});
