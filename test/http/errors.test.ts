import { type AddressInfo, connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { base64, type Harness, harnessPerWorld } from '../support/appHarness.js';
import { layoutFiles } from '../support/layout.js';
import { WORLD } from './world.js';

let harness: Harness;
// One harness per world for the file, its refs put back before each test that starts it.
const start = harnessPerWorld();

function expectError(response: { statusCode: number; json(): unknown }, statusCode: number, code: string) {
  expect(response.statusCode).toBe(statusCode);
  const body = response.json() as Record<string, unknown>;
  expect(body).toEqual({ statusCode, error: expect.any(String), message: expect.any(String), code });
  return body;
}

describe('invalid input is a 400 that writes nothing', () => {
  const badTargets = [
    '..%2F..%2Fetc',
    '%2E%2E%2Fetc',
    'Prod',
    'prod_eu',
    '-prod',
    'prod-',
    'a'.repeat(64),
    'a'.repeat(500), // longer than the router's default parameter limit: still a 400, not a 414
    '%00',
    'prod%0A',
  ];
  for (const target of badTargets) {
    it(`rejects the target name ${JSON.stringify(target)}`, async () => {
      harness = await start(WORLD);
      const before = harness.fixture.tip();
      for (const [method, url] of [
        ['GET', `/api/environments/${target}/releasetrain/prognosis`],
        ['GET', `/api/environment-groups/${target}/releasetrain/prognosis`],
        ['PUT', `/api/environments/${target}/releasetrain`],
        ['PUT', `/api/environment-groups/${target}/releasetrain`],
        ['PUT', `/environments/${target}/releasetrain`],
      ] as const) {
        const body = expectError(await harness.app.inject({ method, url }), 400, 'INVALID_INPUT');
        expect(body.message).toMatch(/name must/);
      }
      expect(harness.fixture.tip()).toBe(before);
    });
  }

  it('rejects an invalid team', async () => {
    harness = await start(WORLD);
    const response = await harness.app.inject({
      url: '/api/environments/prod/releasetrain/prognosis?team=Shop%0A',
    });
    expect(expectError(response, 400, 'INVALID_INPUT').message).toContain('querystring.team');
  });

  for (const ciLink of [
    'ci.example.com/1',
    'ftp://ci.example.com/1',
    'https://ci.example.com/1\nRequest-Id: x',
    '',
  ]) {
    it(`rejects the ciLink ${JSON.stringify(ciLink)}`, async () => {
      harness = await start(WORLD);
      const before = harness.fixture.tip();
      const response = await harness.app.inject({
        method: 'PUT',
        url: '/api/environments/prod-ca/releasetrain',
        payload: { ciLink },
      });
      expect(expectError(response, 400, 'INVALID_INPUT').message).toContain('ciLink');
      expect(harness.fixture.tip()).toBe(before);
    });
  }

  it('rejects a body that is not JSON', async () => {
    harness = await start(WORLD);
    const response = await harness.app.inject({
      method: 'PUT',
      url: '/api/environments/prod-ca/releasetrain',
      headers: { 'content-type': 'application/json' },
      payload: '{"ciLink": ',
    });
    expectError(response, 400, 'INVALID_JSON');
  });

  it('rejects a body of another content type with 415', async () => {
    harness = await start(WORLD);
    const before = harness.fixture.tip();
    const response = await harness.app.inject({
      method: 'PUT',
      url: '/api/environments/prod-ca/releasetrain',
      headers: { 'content-type': 'text/plain' },
      payload: 'go',
    });
    expectError(response, 415, 'UNSUPPORTED_MEDIA_TYPE');
    expect(harness.fixture.tip()).toBe(before);
  });

  it('rejects a multipart train body with 415, even one that names a ciLink', async () => {
    harness = await start(WORLD);
    const before = harness.fixture.tip();
    const boundary = 'b0undary';
    const response = await harness.app.inject({
      method: 'PUT',
      url: '/api/environments/prod-ca/releasetrain',
      headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
      payload: `--${boundary}\r\ncontent-disposition: form-data; name="ciLink"\r\n\r\nnot a url\r\n--${boundary}--\r\n`,
    });
    expectError(response, 415, 'UNSUPPORTED_MEDIA_TYPE');
    expect(harness.fixture.tip()).toBe(before);
  });

  it('rejects a body over 1 MiB with 413', async () => {
    harness = await start(WORLD);
    const response = await harness.app.inject({
      method: 'PUT',
      url: '/api/environments/prod-ca/releasetrain',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ ciLink: `https://ci.example.com/${'x'.repeat(1024 * 1024)}` }),
    });
    expectError(response, 413, 'BODY_TOO_LARGE');
  });

  for (const [header, value] of [
    ['author-name', 'not base64!'],
    ['author-name', base64('Eve <root@example.com>')],
    ['author-email', base64('eve@example.com\nSigned-off-by: x')],
    ['author-name', Buffer.from([0xff, 0xfe]).toString('base64')],
  ]) {
    it(`rejects the ${header} header ${JSON.stringify(value)}`, async () => {
      harness = await start(WORLD);
      const before = harness.fixture.tip();
      const response = await harness.app.inject({
        method: 'PUT',
        url: '/api/environments/prod-ca/releasetrain',
        headers: { [header as string]: value as string },
      });
      expect(expectError(response, 400, 'INVALID_AUTHOR').message).toContain(header);
      expect(harness.fixture.tip()).toBe(before);
    });
  }

  it('accepts base64 author headers without padding and in the URL-safe alphabet', async () => {
    harness = await start(WORLD);
    const response = await harness.app.inject({
      method: 'PUT',
      url: '/api/environments/prod-ca/releasetrain',
      headers: {
        'author-name': base64('Jo').replace(/=+$/, ''),
        'author-email': Buffer.from('jo+ci@example.com?').toString('base64url'),
      },
    });
    expect(response.statusCode).toBe(200);
    expect(harness.fixture.git(['log', '-1', '--format=%an <%ae>', 'main']).trim()).toBe(
      'Jo <jo+ci@example.com?>',
    );
  });
});

describe('unknown targets and routes', () => {
  it('answers 404 naming an unknown environment', async () => {
    harness = await start(WORLD);
    const body = expectError(
      await harness.app.inject({ method: 'PUT', url: '/api/environments/nowhere/releasetrain' }),
      404,
      'TARGET_NOT_FOUND',
    );
    expect(body.message).toBe("No environment named 'nowhere' exists.");
  });

  it('answers 404 for a group that has no environment, even when an environment has that name', async () => {
    harness = await start(WORLD);
    const body = expectError(
      await harness.app.inject({ url: '/api/environment-groups/staging/releasetrain/prognosis' }),
      404,
      'TARGET_NOT_FOUND',
    );
    expect(body.message).toBe("No environment group named 'staging' exists.");
  });

  it('answers 404 on an empty repository', async () => {
    harness = await start({});
    expectError(
      await harness.app.inject({ url: '/api/environments/dev/releasetrain/prognosis' }),
      404,
      'TARGET_NOT_FOUND',
    );
  });

  it('answers 405 with Allow for a known path and another method', async () => {
    harness = await start(WORLD);
    const put = await harness.app.inject({ method: 'POST', url: '/api/environments/dev/releasetrain' });
    expectError(put, 405, 'METHOD_NOT_ALLOWED');
    expect(put.headers.allow).toBe('PUT');
    const prognosis = await harness.app.inject({
      method: 'DELETE',
      url: '/api/environments/dev/releasetrain/prognosis',
    });
    expectError(prognosis, 405, 'METHOD_NOT_ALLOWED');
    expect(prognosis.headers.allow).toBe('GET');
  });

  it('answers 404 for an unknown path', async () => {
    harness = await start(WORLD);
    expectError(await harness.app.inject({ url: '/api/nothing-here' }), 404, 'NOT_FOUND');
  });
});

describe('corrupt data', () => {
  const corrupt = {
    ...WORLD,
    ...layoutFiles({ environments: { 'prod-de': { config: '{"upstream": {"environment": "staging",' } } }),
  };

  it('is a 500 MANIFEST_REPO_CORRUPT naming the file inside the repo, without host paths or stacks', async () => {
    harness = await start(corrupt);
    const response = await harness.app.inject({ url: '/api/environments/prod-de/releasetrain/prognosis' });
    const body = expectError(response, 500, 'MANIFEST_REPO_CORRUPT');
    expect(body.message).toContain('environments/prod-de/config.json');
    expect(body.message).not.toContain(harness.fixture.path);
    expect(response.body).not.toMatch(/\n\s+at /);
  });

  it('leaves the environments that do not need the file working', async () => {
    harness = await start(corrupt);
    const response = await harness.app.inject({ url: '/api/environments/prod-ca/releasetrain/prognosis' });
    expect(response.statusCode).toBe(200);
  });

  it('aborts a whole group train when one environment is corrupt: no commit', async () => {
    // prod-ca alone would deploy; an app lock of prod-jp's... here: a version symlink pointing outside.
    harness = await start({
      ...WORLD,
      ...layoutFiles({
        environments: {
          'prod-jp': { config: { upstream: { environment: 'staging' }, environmentGroup: 'prod' } },
        },
      }),
      'environments/prod-jp/applications/checkout/version': { symlink: '/etc/passwd' },
    });
    const before = harness.fixture.tip();
    const response = await harness.app.inject({
      method: 'PUT',
      url: '/api/environment-groups/prod/releasetrain',
    });
    const body = expectError(response, 500, 'MANIFEST_REPO_CORRUPT');
    expect(body.message).toContain('environments/prod-jp/applications/checkout/version');
    expect(harness.fixture.tip()).toBe(before);
  });
});

describe('strict input: what the service does not know is refused, not dropped', () => {
  it('an unknown body field is a 400 naming it, and writes nothing', async () => {
    harness = await start(WORLD);
    const before = harness.fixture.tip();
    const json = { 'content-type': 'application/json' };
    for (const [method, url, payload] of [
      // A typo of ciLink: the CI link would be lost.
      ['PUT', '/api/environments/prod-ca/releasetrain', { ciLnk: 'https://ci.example.com/1' }],
      ['PUT', '/api/environment-groups/prod/releasetrain', { ciLink: 'https://ci.example.com/1', team: 'x' }],
      ['PUT', '/api/environments/dev/locks/l1', { message: 'm', ciLnk: 'https://ci.example.com/1' }],
      [
        'PUT',
        '/api/environments/dev/applications/checkout/deployment',
        { version: 1, lockBehavior: 'ignore', force: true },
      ],
    ] as const) {
      const response = await harness.app.inject({
        method,
        url,
        headers: json,
        payload: JSON.stringify(payload),
      });
      const body = expectError(response, 400, 'INVALID_INPUT');
      const unknown = Object.keys(payload).find(
        (key) => !['ciLink', 'message', 'version', 'lockBehavior'].includes(key),
      );
      expect(body.message, `${method} ${url}`).toContain(`'${unknown}'`);
    }
    expect(harness.fixture.tip()).toBe(before);
  });

  it('an unknown query key is a 400 naming it, and writes nothing; the known keys still work', async () => {
    harness = await start(WORLD);
    const before = harness.fixture.tip();
    for (const [method, url, unknown] of [
      ['GET', '/api/environments/prod/releasetrain/prognosis?tem=shop', 'tem'],
      ['PUT', '/api/environment-groups/prod/releasetrain?tem=shop', 'tem'],
      ['PUT', '/api/environment-groups/prod/releasetrain?team=shop&GitTag=v9', 'GitTag'],
      ['GET', '/api/history?limt=5', 'limt'],
      ['GET', '/api/overview?environment=dev', 'environment'],
      ['DELETE', '/api/environments/prod-de/locks/xmas?force=true', 'force'],
    ] as const) {
      const body = expectError(await harness.app.inject({ method, url }), 400, 'INVALID_INPUT');
      expect(body.message, `${method} ${url}`).toContain(`'${unknown}'`);
    }
    expect(harness.fixture.tip()).toBe(before);
    const known = await harness.app.inject({
      url: '/api/environments/prod/releasetrain/prognosis?team=shop',
    });
    expect(known.statusCode).toBe(200);
    expect((await harness.app.inject({ url: '/api/history?limit=5&environment=dev' })).statusCode).toBe(200);
  });

  for (const [what, character] of [
    ['U+202E RIGHT-TO-LEFT OVERRIDE', '\u202e'],
    ['U+202A LEFT-TO-RIGHT EMBEDDING', '\u202a'],
    ['U+2066 LEFT-TO-RIGHT ISOLATE', '\u2066'],
    ['U+2069 POP DIRECTIONAL ISOLATE', '\u2069'],
  ] as const) {
    it(`refuses an author name or email with ${what}, as it refuses a line break`, async () => {
      harness = await start(WORLD);
      const before = harness.fixture.tip();
      for (const [header, value] of [
        ['author-name', `Eve ${character}nimdA`],
        ['author-email', `eve${character}@example.com`],
      ] as const) {
        const response = await harness.app.inject({
          method: 'PUT',
          url: '/api/environments/prod-ca/releasetrain',
          headers: { [header]: base64(value) },
        });
        expect(expectError(response, 400, 'INVALID_AUTHOR').message).toContain(header);
      }
      expect(harness.fixture.tip()).toBe(before);
    });
  }
});

describe('long URLs and headers: a short JSON error with a code, never the URL echoed', () => {
  const LONG = 'a'.repeat(6000);

  it('a 6,000-character path name is a short 400 INVALID_INPUT', async () => {
    harness = await start(WORLD);
    for (const [method, url] of [
      ['GET', `/api/environments/${LONG}/releasetrain/prognosis`],
      ['PUT', `/api/environments/${LONG}/releasetrain`],
      ['PUT', `/api/environments/dev/locks/${LONG}`],
      ['DELETE', `/api/environments/dev/applications/${LONG}/locks/x1`],
    ] as const) {
      const response = await harness.app.inject({ method, url });
      expectError(response, 400, 'INVALID_INPUT');
      expect(response.body.length, `${method} ${url.slice(0, 40)}`).toBeLessThan(300);
      expect(response.headers['content-type']).toMatch(/^application\/json/);
    }
  });

  it('an unknown path of 6,000 characters is a short 404, and a path that is not URL encoding a 400', async () => {
    harness = await start(WORLD);
    const long = await harness.app.inject({ url: `/api/${LONG}` });
    expectError(long, 404, 'NOT_FOUND');
    expect(long.body.length).toBeLessThan(300);
    const badEncoding = await harness.app.inject({
      url: '/api/environments/%E0%A4%A/releasetrain/prognosis',
    });
    expectError(badEncoding, 400, 'INVALID_INPUT');
  });

  it('headers (or a request line) over the limit are a 431 HEADERS_TOO_LARGE in JSON, over a real socket', async () => {
    harness = await start(WORLD);
    await harness.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = harness.app.server.address() as AddressInfo;
    for (const request of [
      `GET /api/overview HTTP/1.1\r\nHost: x\r\nX-Padding: ${'p'.repeat(20_000)}\r\n\r\n`,
      `GET /api/environments/${'a'.repeat(20_000)}/releasetrain/prognosis HTTP/1.1\r\nHost: x\r\n\r\n`,
    ]) {
      const answer = await rawExchange(port, request);
      const [head = '', body = ''] = answer.split('\r\n\r\n');
      expect(head).toMatch(/^HTTP\/1\.1 431 /);
      expect(head.toLowerCase()).toContain('content-type: application/json');
      expect(JSON.parse(body)).toEqual({
        statusCode: 431,
        error: 'Request Header Fields Too Large',
        message: expect.stringContaining('16384 bytes'),
        code: 'HEADERS_TOO_LARGE',
      });
    }
  });
});

/** Sends raw bytes on a new connection; resolves with everything received once the server closes it. */
function rawExchange(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(request));
    let received = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk) => {
      received += chunk;
    });
    socket.on('error', reject);
    socket.on('close', () => resolve(received));
  });
}
