// How long the service waits after SIGTERM for the write in flight before it gives up (exit 1):
// the longest write that can be running, from the configuration. deploy/kubernetes.yaml's
// terminationGracePeriodSeconds must be longer (test/deploy.test.ts checks it).
import type { Config } from './config.js';
import { KILL_GRACE_MS } from './manifest/git.js';
import { LOCAL_RETRIES, remoteRetries } from './services/manifestWriter.js';

/** Remote git commands an attempt may run, each up to the timeout: fetch, push, ls-remote after a refusal. */
const REMOTE_COMMANDS_PER_ATTEMPT = 3;
/** Reading, planning and fast-import of an attempt: a Kuberpult-scale train takes ~5 s (BENCHMARKS.md). */
const LOCAL_WORK_PER_ATTEMPT_MS = 5_000;
/** Closing the server and the git children once the last answer is out. */
const CLOSE_MS = 5_000;

type GraceSettings = Pick<
  Config,
  'MANIFEST_REPO_URL' | 'GIT_REMOTE_TIMEOUT_SECONDS' | 'MANIFEST_REPO_PUSH_ATTEMPTS'
>;

/**
 * The longest a write can take, all attempts and waits included. Writes waiting in the queue are
 * refused at shutdown (503), so one write is all that can be in flight.
 */
export function longestWriteMs(config: GraceSettings): number {
  if (config.MANIFEST_REPO_URL === undefined) {
    return LOCAL_RETRIES.maxAttempts * LOCAL_WORK_PER_ATTEMPT_MS + LOCAL_RETRIES.longestTotalBackoffMs;
  }
  const retries = remoteRetries(config.MANIFEST_REPO_PUSH_ATTEMPTS);
  const remoteMs = REMOTE_COMMANDS_PER_ATTEMPT * config.GIT_REMOTE_TIMEOUT_SECONDS * 1000;
  // Only the command that times out waits KILL_GRACE_MS more: the write ends there (504).
  return (
    retries.maxAttempts * (remoteMs + LOCAL_WORK_PER_ATTEMPT_MS) +
    KILL_GRACE_MS +
    retries.longestTotalBackoffMs
  );
}

/** closeWithGrace's delay: after it, the process exits 1 with what is still in flight. */
export function shutdownGraceMs(config: GraceSettings): number {
  return longestWriteMs(config) + CLOSE_MS;
}
