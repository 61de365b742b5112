import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { afterAll, beforeAll, expect } from 'vitest';

const session = new Session();
beforeAll(async () => {
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 500 });
  await session.post('Profiler.start');
});
afterAll(async () => {
  const { profile } = await session.post('Profiler.stop');
  const name = (expect.getState().testPath ?? 'x').replace(/.*\/test\//, '').replace(/\//g, '_');
  writeFileSync(`/tmp/ws17/prof/${name}.cpuprofile`, JSON.stringify(profile));
});
