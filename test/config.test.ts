// Settings that only make sense together (the process itself stops with these messages: see
// server.test.ts and authentication.test.ts for the start-up as a user sees it).
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { ConfigError, ConfigSchema, loadConfig } from '../src/config.js';

/** The message loadConfig stops with (fails the test when the settings are accepted). */
function refusal(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error(`accepted: ${JSON.stringify(env)}`);
}

const OIDC = {
  AUTH_MODE: 'oidc',
  OIDC_ISSUER: 'https://token.actions.githubusercontent.com',
  OIDC_AUDIENCE: 'trainyard',
};

describe('AUTH_MODE oidc', () => {
  it('needs RBAC_POLICY_FILE, and says OIDC_ALLOW_ANY_IDENTITY=true is the way to go without one', () => {
    for (const mode of ['oidc', 'token,oidc', 'oidc,token']) {
      const message = refusal({ ...OIDC, AUTH_MODE: mode, AUTH_TOKENS_FILE: 'tokens.yaml' });
      expect(message).toContain('RBAC_POLICY_FILE');
      expect(message).toContain('OIDC_ALLOW_ANY_IDENTITY=true');
    }
    expect(loadConfig({ ...OIDC, RBAC_POLICY_FILE: 'policy.csv' }).RBAC_POLICY_FILE).toBe('policy.csv');
    expect(loadConfig({ ...OIDC, OIDC_ALLOW_ANY_IDENTITY: 'true' }).OIDC_ALLOW_ANY_IDENTITY).toBe(true);
    expect(refusal({ ...OIDC, OIDC_ALLOW_ANY_IDENTITY: 'false' })).toContain('RBAC_POLICY_FILE');
    expect(refusal({ ...OIDC, OIDC_ALLOW_ANY_IDENTITY: 'yes' })).toContain('OIDC_ALLOW_ANY_IDENTITY');
    // token alone: the tokens file is the operator's own list of identities.
    expect(
      loadConfig({ AUTH_MODE: 'token', AUTH_TOKENS_FILE: 'tokens.yaml' }).RBAC_POLICY_FILE,
    ).toBeUndefined();
  });

  it('takes OIDC_ISSUER and OIDC_JWKS_URL over https, and over plain http only to a loopback address', () => {
    const allowed = { ...OIDC, OIDC_ALLOW_ANY_IDENTITY: 'true' };
    for (const url of [
      'https://dex.example.com',
      'https://10.0.0.5:5556/dex',
      'http://127.0.0.1:5556',
      'http://127.1.2.3',
      'http://localhost:8080/realms/x',
      'http://LOCALHOST',
      'http://[::1]:5556',
    ]) {
      expect(loadConfig({ ...allowed, OIDC_ISSUER: url, OIDC_JWKS_URL: url }).OIDC_ISSUER, url).toBe(url);
    }
    for (const url of [
      'http://dex.example.com',
      'http://10.0.0.5:5556',
      'http://0.0.0.0',
      'http://localhost.example.com',
      'http://127.0.0.1.example.com',
      'http://[::ffff:127.0.0.1]',
      'ftp://127.0.0.1',
    ]) {
      expect(refusal({ ...allowed, OIDC_ISSUER: url }), url).toContain('OIDC_ISSUER');
      expect(refusal({ ...allowed, OIDC_JWKS_URL: url }), url).toContain('OIDC_JWKS_URL');
    }
  });
});

describe('HTTP timeouts', () => {
  it('default to 30 s for the headers and 300 s for the whole request; the headers bound cannot exceed the request bound', () => {
    const config = loadConfig({});
    expect([config.HTTP_HEADERS_TIMEOUT_SECONDS, config.HTTP_REQUEST_TIMEOUT_SECONDS]).toEqual([30, 300]);
    expect(refusal({ HTTP_HEADERS_TIMEOUT_SECONDS: '301' })).toContain('HTTP_HEADERS_TIMEOUT_SECONDS');
    expect(refusal({ HTTP_REQUEST_TIMEOUT_SECONDS: '0' })).toContain('HTTP_REQUEST_TIMEOUT_SECONDS');
  });
});

describe('the web UI', () => {
  it('signs in with OIDC only in oidc mode, takes a client secret only with a client id, and wants a long session secret', () => {
    const oidc = { ...OIDC, OIDC_ALLOW_ANY_IDENTITY: 'true' };
    expect(
      loadConfig({ ...oidc, OIDC_CLIENT_ID: 'trainyard-ui', OIDC_CLIENT_SECRET: 's' }).OIDC_CLIENT_ID,
    ).toBe('trainyard-ui');
    expect(refusal({ AUTH_MODE: 'token', AUTH_TOKENS_FILE: 't.yaml', OIDC_CLIENT_ID: 'x' })).toContain(
      'OIDC_CLIENT_ID: the web UI signs in with OIDC only with AUTH_MODE oidc',
    );
    expect(refusal({ ...oidc, OIDC_CLIENT_SECRET: 's' })).toContain(
      'OIDC_CLIENT_SECRET: set OIDC_CLIENT_ID too',
    );
    expect(refusal({ UI_SESSION_SECRET: 'short' })).toContain(
      'UI_SESSION_SECRET: must be at least 32 characters',
    );
    expect(loadConfig({}).UI_SESSION_HOURS).toBe(8);
    expect(refusal({ UI_SESSION_HOURS: '0' })).toContain('UI_SESSION_HOURS');
  });

  it('takes PUBLIC_URL as an http(s) origin (the UI is at /ui/ there), a trailing slash dropped', () => {
    expect(loadConfig({ PUBLIC_URL: 'https://trainyard.example.com/' }).PUBLIC_URL).toBe(
      'https://trainyard.example.com',
    );
    expect(loadConfig({ PUBLIC_URL: 'http://127.0.0.1:8080' }).PUBLIC_URL).toBe('http://127.0.0.1:8080');
    for (const url of [
      'ftp://example.com',
      'https://example.com/?x=1',
      'https://example.com/deploy',
      'not a url',
    ]) {
      expect(refusal({ PUBLIC_URL: url }), url).toContain('PUBLIC_URL');
    }
  });
});

describe('docs/configuration.md', () => {
  it('documents every variable the service reads, with its default', async () => {
    const page = await readFile(new URL('../docs/configuration.md', import.meta.url), 'utf8');
    const defaults = loadConfig({}) as Record<string, unknown>;
    for (const variable of Object.keys(ConfigSchema.shape)) {
      const row = page.split('\n').find((line) => line.startsWith(`| \`${variable}\` |`));
      expect(row, `${variable} has no row in docs/configuration.md`).toBeDefined();
      const value = defaults[variable];
      if (typeof value === 'string' || typeof value === 'number') expect(row).toContain(`\`${value}\``);
    }
  });
});
