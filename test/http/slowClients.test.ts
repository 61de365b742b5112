// Slow clients (slowloris): a connection that never finishes its headers, or drips its body, is
// answered 408 REQUEST_TIMEOUT and closed once the configured bounds have passed, whatever it
// keeps sending. Over a real listener on port 0 with raw sockets; each test waits for the
// sockets' 'close' events, never for a time.
import { type AddressInfo, connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from '../support/appHarness.js';
import { WORLD } from './world.js';

let harness: Harness | undefined;
const sockets: Socket[] = [];
const drips: NodeJS.Timeout[] = [];
afterEach(async () => {
  for (const drip of drips.splice(0)) clearInterval(drip);
  for (const socket of sockets.splice(0)) socket.destroy();
  await harness?.close();
  harness = undefined;
});

/** Small bounds, so that the tests end quickly; the defaults are in the configuration. */
const TIMEOUTS = { headersTimeoutMs: 300, requestTimeoutMs: 600 };

async function listeningApp(): Promise<number> {
  harness = await startHarness(WORLD, { httpTimeouts: TIMEOUTS });
  await harness.app.listen({ port: 0, host: '127.0.0.1' });
  return (harness.app.server.address() as AddressInfo).port;
}

interface SlowClient {
  /** Everything the server sent, once it closed the connection. */
  readonly closed: Promise<string>;
}

/** Connects, sends `start`, then `drip` every few milliseconds for as long as the socket is open. */
function slowClient(port: number, start: string, drip?: string): SlowClient {
  const socket = connect(port, '127.0.0.1');
  sockets.push(socket);
  let received = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk) => {
    received += chunk;
  });
  // A reset after the server's answer is a close as well.
  socket.on('error', () => {});
  socket.on('connect', () => {
    if (start !== '') socket.write(start);
    if (drip !== undefined) {
      drips.push(
        setInterval(() => {
          if (socket.writable) socket.write(drip);
        }, 20),
      );
    }
  });
  return { closed: new Promise((resolve) => socket.on('close', () => resolve(received))) };
}

function expectRequestTimeout(answer: string): void {
  const [head = '', body = ''] = answer.split('\r\n\r\n');
  expect(head).toMatch(/^HTTP\/1\.1 408 /);
  expect(JSON.parse(body)).toMatchObject({ statusCode: 408, code: 'REQUEST_TIMEOUT' });
}

describe('slow clients are disconnected', () => {
  it('a client that never finishes its headers: 408 REQUEST_TIMEOUT, then closed', async () => {
    const port = await listeningApp();
    const answer = await slowClient(
      port,
      'PUT /api/environment-groups/prod/releasetrain HTTP/1.1\r\nHost: x\r\n',
    ).closed;
    expectRequestTimeout(answer);
  });

  it('a client that drips header lines forever: closed', async () => {
    const port = await listeningApp();
    const answer = await slowClient(port, 'GET /api/overview HTTP/1.1\r\n', 'X-Slow: 1\r\n').closed;
    expectRequestTimeout(answer);
  });

  it('a client that drips its body: closed, and nothing is written', async () => {
    const port = await listeningApp();
    const before = harness?.fixture.tip();
    const answer = await slowClient(
      port,
      'PUT /api/environments/dev/locks/slow HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n' +
        'Content-Length: 100000\r\n\r\n{"message": "',
      'x',
    ).closed;
    expectRequestTimeout(answer);
    expect(harness?.fixture.tip()).toBe(before);
  });

  it('many such connections at once (and one that sends nothing) are all closed; the service still answers', async () => {
    const port = await listeningApp();
    const clients = [
      slowClient(port, ''),
      ...Array.from({ length: 50 }, (_, i) =>
        i % 2 === 0
          ? slowClient(port, 'GET /api/overview HTTP/1.1\r\n', 'X-Slow: 1\r\n')
          : slowClient(port, 'POST /api/release HTTP/1.1\r\nHost: x\r\nContent-Length: 50000\r\n\r\n', 'y'),
      ),
    ];
    await Promise.all(clients.map((client) => client.closed));
    const response = await fetch(
      `http://127.0.0.1:${port}/api/environment-groups/prod/releasetrain/prognosis`,
    );
    expect(response.status).toBe(200);
  });
});
