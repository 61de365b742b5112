// Client text that tries to forge commit trailers or commit header lines (security.md "Input" and
// "Audit", release-train.md "Writing a train"): a ciLink is one line and an absolute http(s) URL,
// or a 400 that writes nothing; other free text is refused or kept out of the commit message;
// author-* headers never add a header line; an x-request-id that is not a plain token is replaced.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { base64, type Harness, startHarness } from '../support/appHarness.js';
import type { SavedRefs } from '../support/gitFixture.js';
import { WORLD } from './world.js';

// One harness for the file; before every test the branch and the tags are put back.
let h: Harness;
let initialTip: string;
let initialRefs: SavedRefs;

beforeAll(async () => {
  h = await startHarness(WORLD);
  initialRefs = h.fixture.saveRefs();
  initialTip = initialRefs.refs.get('refs/heads/main') as string;
  // The world has the branch and no tag: a refused request leaves exactly that.
  expect([...initialRefs.refs.keys()]).toEqual(['refs/heads/main']);
});

afterAll(async () => {
  await h.close();
});

beforeEach(() => h.fixture.restoreRefs(initialRefs));

type Answer = Awaited<ReturnType<Harness['app']['inject']>>;

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const COMMITTER_LINE = /^committer Trainyard <trainyard@trainyard\.invalid> \d+ \+0000$/;
const GOOD_LINK = 'https://ci.example.com/runs/42?attempt=1#log';

const what = (response: Answer) => `${response.statusCode} ${response.body.slice(0, 300)}`;

function expectRefused(response: Answer, statusCode = 400): void {
  // The branch and every ref: no commit, no tag.
  const refs = h.fixture.refsSince(initialRefs);
  const wrote =
    refs.get('refs/heads/main') === initialTip
      ? ''
      : ` and committed trailers ${JSON.stringify(tipTrailers())}`;
  expect(response.statusCode, `${what(response)}${wrote}`).toBe(statusCode);
  expect(response.json()).toMatchObject({
    statusCode,
    error: expect.any(String),
    message: expect.any(String),
    code: expect.any(String),
  });
  expect(refs.get('refs/heads/main'), 'a refused request wrote a commit').toBe(initialTip);
  expect([...refs.keys()], 'a refused request made a ref').toEqual(['refs/heads/main']);
}

/** The trailers of the tip as `git log -1 --format=%(trailers)` prints them, one per line. */
function tipTrailers(): string[] {
  return h.fixture
    .git(['log', '-1', '--format=%(trailers)', 'main'])
    .split('\n')
    .filter((line) => line !== '');
}

/** The header lines of the tip commit object (up to the blank line before the message). */
function tipHeader(): string[] {
  const raw = h.fixture.git(['cat-file', 'commit', 'main']);
  return raw.slice(0, raw.indexOf('\n\n')).split('\n');
}

/**
 * Exactly one new commit; its header is tree, parent, one author (as given), one committer (the
 * service); its trailers are exactly `trailers` followed by the Request-Id the response names.
 */
function expectOneCleanCommit(
  response: Answer,
  trailers: readonly string[],
  author?: { name: string; email: string },
): string {
  expect(response.statusCode, what(response)).toBeLessThan(300);
  // The tip's one parent is where the test started: exactly one new commit.
  const header = tipHeader();
  expect(header.map((line) => line.split(' ')[0])).toEqual(['tree', 'parent', 'author', 'committer']);
  expect(header[1]).toBe(`parent ${initialTip}`);
  expect(header[3]).toMatch(COMMITTER_LINE);
  if (author)
    expect(header[2]).toMatch(
      new RegExp(`^author ${escapeRegExp(`${author.name} <${author.email}>`)} \\d+ \\+0000$`),
    );
  const requestId = response.headers['x-request-id'];
  expect(requestId).toEqual(expect.any(String));
  // All trailers as git reads them, and the Request-Id one by its key, in one git process.
  const [all, byKey] = h.fixture
    .git(['log', '-1', '--format=%(trailers)%x00%(trailers:key=Request-Id,valueonly)', 'main'])
    .split('\0') as [string, string];
  expect(all.split('\n').filter((line) => line !== '')).toEqual([...trailers, `Request-Id: ${requestId}`]);
  expect(byKey.trim()).toBe(requestId);
  return String(requestId);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

// ---------------------------------------------------------------------------------------------
// Requests.

const json = (payload: unknown) => ({ 'content-type': 'application/json', payload: JSON.stringify(payload) });

function putLock(lockId: string, body: Record<string, unknown>, headers: Record<string, string> = {}) {
  const { payload, ...type } = json(body);
  return h.app.inject({
    method: 'PUT',
    url: `/api/environments/dev/locks/${encodeURIComponent(lockId)}`,
    headers: { ...type, ...headers },
    payload,
  });
}

function train(
  query: Record<string, string> = {},
  body?: Record<string, unknown>,
  headers: Record<string, string> = {},
) {
  const search = Object.entries(query)
    .map(([key, value]) => `${key}=${encodeURIComponent(value)}`)
    .join('&');
  return h.app.inject({
    method: 'PUT',
    url: `/api/environment-groups/prod/releasetrain${search ? `?${search}` : ''}`,
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
  });
}

const BOUNDARY = '----trainyard-trailer-7MA4YWxkTrZu0gW';

/** POST /api/release with these text fields and a manifest for dev (a new app: it is deployed there). */
function postRelease(fields: Record<string, string>, headers: Record<string, string> = {}) {
  const all: Record<string, string> = {
    application: 'texty',
    'manifests[dev]': 'kind: ConfigMap\n',
    ...fields,
  };
  const chunks: Buffer[] = [];
  for (const [name, value] of Object.entries(all)) {
    chunks.push(
      Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n`, 'utf8'),
    );
    chunks.push(Buffer.from(value, 'utf8'), Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${BOUNDARY}--\r\n`));
  return h.app.inject({
    method: 'POST',
    url: '/api/release',
    headers: { 'content-type': `multipart/form-data; boundary=${BOUNDARY}`, ...headers },
    payload: Buffer.concat(chunks),
  });
}

const TRAIN_TRAILERS = ['Release-Train-Target: prod'];

// ---------------------------------------------------------------------------------------------

describe('ciLink: one line, an absolute http(s) URL, else a 400 that writes nothing', () => {
  const LINE_BREAKS = {
    'a newline': 'https://ci.example.com/runs/1\nRequest-Id: forged',
    'two newlines': 'https://ci.example.com/runs/1\n\nSigned-off-by: evil',
    'CR LF': 'https://ci.example.com/runs/1\r\nRequest-Id: forged',
    'a lone CR': 'https://ci.example.com/runs/1\rRequest-Id: forged',
    'a leading newline': '\nhttps://ci.example.com/runs/1',
    'a trailing newline': 'https://ci.example.com/runs/1\n',
    'a tab': 'https://ci.example.com/runs/1\tRequest-Id: forged',
    'a vertical tab': 'https://ci.example.com/runs/1\u000bx',
    'a form feed': 'https://ci.example.com/runs/1\u000cx',
    'U+2028 (line separator)': 'https://ci.example.com/runs/1\u2028Request-Id: forged',
    'U+2029 (paragraph separator)': 'https://ci.example.com/runs/1\u2029Request-Id: forged',
    'U+0085 (next line)': 'https://ci.example.com/runs/1\u0085Request-Id:forged',
    'a trailing U+0085': 'https://ci.example.com/runs/1\u0085',
    'a NUL': 'https://ci.example.com/runs/1\u0000x',
  };
  const NOT_ABSOLUTE_HTTP = {
    'javascript:': 'javascript:alert(1)',
    'ftp:': 'ftp://ci.example.com/runs/1',
    'file:': 'file:///etc/passwd',
    'data:': 'data:text/plain,hello',
    'mailto:': 'mailto:ci@example.com',
    relative: '/runs/1',
    'relative without a slash': 'runs/1',
    'protocol-relative': '//ci.example.com/runs/1',
    'no host': 'https://',
    'a space in the host': 'https://x y',
    'a space in the path': 'https://ci.example.com/a b',
    empty: '',
    'too long': `https://ci.example.com/${'a'.repeat(2100)}`,
  };
  // Not line breaks, but not text a one-line URL holds either: git would print them raw.
  const CONTROL_CHARACTERS = {
    'an escape sequence': 'https://ci.example.com/runs/1\u001b[2K\u001b[1Gforged',
    'a backspace': 'https://ci.example.com/runs/1\u0008\u0008',
    SOH: 'https://ci.example.com/runs/1\u0001',
    DEL: 'https://ci.example.com/runs/1\u007f',
  };

  const routes = {
    'lock PUT': (ciLink: string) => putLock('ci-link-lock', { message: 'm', ciLink }),
    train: (ciLink: string) => train({}, { ciLink }),
    release: (ciLink: string) => postRelease({ ci_link: ciLink }),
  };

  for (const [route, send] of Object.entries(routes)) {
    describe(route, () => {
      it.each(Object.entries(LINE_BREAKS))('with %s', async (_name, ciLink) => {
        expectRefused(await send(ciLink));
      });

      it.each(Object.entries(NOT_ABSOLUTE_HTTP))('%s', async (_name, ciLink) => {
        expectRefused(await send(ciLink));
      });

      it.each(Object.entries(CONTROL_CHARACTERS))('with %s', async (_name, ciLink) => {
        expectRefused(await send(ciLink));
      });

      it('%0A is not a line break: refused, or kept verbatim as the one Ci-Link trailer', async () => {
        const ciLink = 'https://ci.example.com/runs/1%0ARequest-Id:%20forged%0D%0ASigned-off-by:%20evil';
        const response = await send(ciLink);
        if (response.statusCode === 400) return expectRefused(response);
        const before = route === 'train' ? TRAIN_TRAILERS : [];
        expectOneCleanCommit(response, [...before, `Ci-Link: ${ciLink}`]);
      });

      it('a good link is the one Ci-Link trailer, before Request-Id', async () => {
        const response = await send(GOOD_LINK);
        const before = route === 'train' ? TRAIN_TRAILERS : [];
        expectOneCleanCommit(response, [...before, `Ci-Link: ${GOOD_LINK}`]);
      });
    });
  }
});

describe('free text reaches files, never the commit message', () => {
  const FORGERIES = [
    'x\n\nSigned-off-by: evil <evil@example.com>',
    'Request-Id: forged',
    'x\n\nRequest-Id: forged\nCi-Link: https://evil.example.com/',
    'x\r\n\r\nRequest-Id: forged',
    'x\u2028Request-Id: forged',
    '\n\nRelease-Train-Target: evil\n',
  ];

  it.each(FORGERIES)(
    "a lock message %j is stored as sent, and the trailers are the request's",
    async (message) => {
      const response = await putLock('free-text', { message });
      expectOneCleanCommit(response, []);
      expect(h.fixture.show('environments/dev/locks/free-text/message')).toBe(message);
      expect(h.fixture.git(['log', '-1', '--format=%B', 'main'])).not.toMatch(/forged|evil/);
    },
  );

  it.each(FORGERIES)(
    'a lock with a ciLink and message %j has exactly Ci-Link and Request-Id',
    async (message) => {
      const response = await putLock('free-text', { message, ciLink: GOOD_LINK });
      expectOneCleanCommit(response, [`Ci-Link: ${GOOD_LINK}`]);
    },
  );

  it.each(FORGERIES)('suggestedLifetime %j: refused, or kept out of the commit message', async (text) => {
    const response = await putLock('free-lifetime', { message: 'm', suggestedLifetime: text });
    if (response.statusCode === 400) return expectRefused(response);
    expectOneCleanCommit(response, []);
  });

  for (const field of ['source_message', 'source_author', 'display_version', 'source_commit_id']) {
    it.each(FORGERIES)(
      `release ${field} %j: refused, or accepted with exactly the request's trailers`,
      async (text) => {
        const response = await postRelease({ [field]: text, ci_link: GOOD_LINK });
        if (response.statusCode === 400) return expectRefused(response);
        expect(response.statusCode, what(response)).toBe(201);
        expectOneCleanCommit(response, [`Ci-Link: ${GOOD_LINK}`]);
        expect(h.fixture.show(`applications/texty/releases/1/${field}`)).toBe(text);
      },
    );
  }
});

describe('author-name / author-email headers never add a header line or a trailer', () => {
  const NAMES = [
    'Evil\n\nSigned-off-by: evil <evil@example.com>',
    'Evil\nRequest-Id: forged',
    'Evil\r\ncommitter Mallory <m@example.com> 0 +0000',
    'Evil\rx',
    'Evil <evil@example.com>',
    'Evil> <x',
    'Evil\u0000x',
    'Request-Id: forged',
    'Evil\u2028Request-Id: forged',
    'Evil\u0085x',
  ];
  const EMAILS = [
    'evil@example.com\n\nRequest-Id: forged',
    'evil@example.com>\ncommitter x <y> 0 +0000',
    'evil@example.com> 0 +0000\nx',
    'a>b@example.com',
  ];
  const cases = [
    ...NAMES.map((name) => ({ name, email: 'evil@example.com' })),
    ...EMAILS.map((email) => ({ name: 'Evil', email })),
  ];

  const routes = {
    'lock PUT': (headers: Record<string, string>) => putLock('author-lock', { message: 'm' }, headers),
    train: (headers: Record<string, string>) => train({}, undefined, headers),
    release: (headers: Record<string, string>) => postRelease({}, headers),
  };

  for (const [route, send] of Object.entries(routes)) {
    it.each(cases)(`${route}: author %j is refused, or is the one author line`, async (author) => {
      const response = await send({
        'author-name': base64(author.name),
        'author-email': base64(author.email),
      });
      if (response.statusCode === 400) {
        expectRefused(response);
        expect(response.json()).toMatchObject({ code: 'INVALID_AUTHOR' });
        return;
      }
      expectOneCleanCommit(response, route === 'train' ? TRAIN_TRAILERS : [], author);
    });
  }

  it('URL-safe base64 and missing padding of a clean name are still accepted', async () => {
    const name = 'Zoë Müller ~?';
    const encoded = Buffer.from(name, 'utf8').toString('base64url');
    const response = await putLock('author-ok', { message: 'm' }, { 'author-name': encoded });
    expectOneCleanCommit(response, [], { name, email: 'trainyard-user@trainyard.invalid' });
  });
});

describe('x-request-id: used only when it is a plain token', () => {
  const REFUSED = {
    'a newline': 'abc\nRequest-Id: forged',
    'CR LF': 'abc\r\nSigned-off-by: evil',
    'a colon and a space': 'abc: def',
    'a trailer of its own': 'Request-Id: forged',
    spaces: ' abc ',
    'a slash': 'a/b',
    'non-ASCII': 'abc\u00e9',
    '129 characters': 'r'.repeat(129),
    '10000 characters': 'r'.repeat(10000),
    empty: '',
  };

  it.each(Object.entries(REFUSED))(
    'with %s: a new id, and the trailer names it',
    async (_name, requestId) => {
      const response = await train({}, undefined, { 'x-request-id': requestId });
      const answered = response.headers['x-request-id'];
      expect(answered).toMatch(UUID_PATTERN);
      expect(answered).not.toBe(requestId);
      expectOneCleanCommit(response, TRAIN_TRAILERS);
      expect(h.fixture.git(['log', '-1', '--format=%B', 'main'])).not.toContain('forged');
    },
  );

  it.each(['ci-run_42.3:7', 'r'.repeat(128), 'ABC'])('%s is used as given', async (requestId) => {
    const response = await train({}, undefined, { 'x-request-id': requestId });
    expect(response.headers['x-request-id']).toBe(requestId);
    expect(expectOneCleanCommit(response, TRAIN_TRAILERS)).toBe(requestId);
  });

  it('given twice: a new id', async () => {
    const response = await putLock(
      'twice',
      { message: 'm' },
      { 'x-request-id': ['a', 'b'] as unknown as string },
    );
    expect(response.headers['x-request-id']).toMatch(UUID_PATTERN);
    expectOneCleanCommit(response, []);
  });

  it('a refused request still answers with a sane id', async () => {
    const response = await train({ team: 'a\nb' }, undefined, { 'x-request-id': 'abc\nRequest-Id: forged' });
    expectRefused(response);
    expect(response.headers['x-request-id']).toMatch(UUID_PATTERN);
  });
});

describe('train query values never forge a trailer', () => {
  it.each([
    ['team', 'a\nb'],
    ['team', 'shop\nRelease-Train-Team: evil'],
    ['team', 'shop\r\nRequest-Id: forged'],
    ['team', 'shop\u2028x'],
    ['team', 'shop%0Ax'],
    ['team', 'shop '],
    ['gitTag', 'v1\nRequest-Id: forged'],
    ['gitTag', 'v1\r'],
    ['sourceGitTag', 'base\nx'],
  ])('%s=%j is a 400', async (key, value) => {
    expectRefused(await train({ [key]: value }));
  });

  it.each([
    '/api/environment-groups/prod%0ARelease-Train-Target:%20evil/releasetrain',
    '/api/environments/prod-ca%0D%0ARequest-Id:%20forged/releasetrain',
    '/environments/prod%0A/releasetrain',
  ])('a target with a line break in %s is a 400', async (url) => {
    expectRefused(await h.app.inject({ method: 'PUT', url }));
  });

  it('a valid team, ciLink and id give exactly the four trailers, in order', async () => {
    const response = await train({ team: 'shop' }, { ciLink: GOOD_LINK }, { 'x-request-id': 'train-1' });
    expect(response.json()).toMatchObject({ target: 'prod', team: 'shop', commitId: expect.any(String) });
    expect(
      expectOneCleanCommit(response, [
        ...TRAIN_TRAILERS,
        'Release-Train-Team: shop',
        `Ci-Link: ${GOOD_LINK}`,
      ]),
    ).toBe('train-1');
  });
});
