// Manifest diffs of a prognosis (plans.md "Manifest diffs"): per app the plan deploys, a unified
// diff from the manifest deployed now (empty when none) to the one the train would write, made
// with the `diff` library (jsdiff). Bounded three ways, so that a repo of huge or hostile
// manifests makes a slow-ish answer of a few MiB, never a hang or an answer of gigabytes:
// - inputs: a manifest over DIFF_INPUT_MAX_BYTES is not read (its diff is empty, marked cut);
// - work: past MAX_EDIT_LENGTH edits the diff is one hunk replacing every line (still a valid diff);
// - output: each diff is cut at MANIFEST_DIFF_MAX_BYTES, and the diffs of one answer together at
//   MANIFEST_DIFFS_MAX_BYTES (in plan order: what comes after is empty, marked cut).
import { FILE_HEADERS_ONLY, formatPatch, structuredPatch } from 'diff';
import type { RepositoryReader } from '../manifest/repository.js';
import { deploymentsOf, type ReleaseTrainPlan } from '../planning/releaseTrain.js';

/** The most bytes of one app's diff; a longer one is cut (at a line end) and marked. */
export const MANIFEST_DIFF_MAX_BYTES = 64 * 1024;
/** The most bytes of all diffs of one answer: a group at Kuberpult scale stays a few MiB. */
export const MANIFEST_DIFFS_MAX_BYTES = 4 * 1024 * 1024;
/** A manifest larger than this is not diffed line by line. */
export const DIFF_INPUT_MAX_BYTES = 1024 * 1024;
/** jsdiff's bound on the edit script; the work of a diff grows with it. */
const MAX_EDIT_LENGTH = 1000;
const CONTEXT_LINES = 3;
/** Manifests held at once while reading: the next batch is sized from what the last ones weighed. */
const BATCH_BYTES = 16 * 1024 * 1024;
const FIRST_BATCH = 64;
const MIN_BATCH = 16;
const MAX_BATCH = 1024;

export interface ManifestDiff {
  /** Unified diff; '' when the manifests are the same (or when the whole diff was cut). */
  readonly text: string;
  readonly truncated: boolean;
}

/** Environment -> app -> its diff, for every app the plan deploys. */
export type ManifestDiffs = ReadonlyMap<string, ReadonlyMap<string, ManifestDiff>>;

const CUT: ManifestDiff = { text: '', truncated: true };

/** The diffs of every deployment of the plan, against the commit it was planned on. */
export async function manifestDiffsOf(
  reader: RepositoryReader,
  plan: ReleaseTrainPlan,
): Promise<ManifestDiffs> {
  const diffs = new Map<string, Map<string, ManifestDiff>>();
  const deployments = deploymentsOf(plan);
  const record = (environment: string, app: string, diff: ManifestDiff) => {
    let forEnvironment = diffs.get(environment);
    if (!forEnvironment) {
      forEnvironment = new Map();
      diffs.set(environment, forEnvironment);
    }
    forEnvironment.set(app, diff);
  };
  let budget = MANIFEST_DIFFS_MAX_BYTES;
  let batchSize = FIRST_BATCH;
  let next = 0;
  while (next < deployments.length && budget > 0) {
    const batch = deployments.slice(next, next + batchSize);
    next += batch.length;
    const directories = batch.map(({ environment, app }) => appDirectory(environment, app));
    const [deployed, released] = await Promise.all([
      plan.baseCommitId === null
        ? new Map()
        : reader.readDeployedManifests(plan.baseCommitId, directories, DIFF_INPUT_MAX_BYTES),
      reader.readBlobTexts(
        batch.map(({ manifestBlobId }) => manifestBlobId),
        DIFF_INPUT_MAX_BYTES,
      ),
    ]);
    let weight = 0;
    batch.forEach(({ environment, app, manifestBlobId }, index) => {
      const before = deployed.get(directories[index] as string) ?? { ok: true, text: '' };
      const after = released.get(manifestBlobId);
      if (!after) throw new Error(`git object ${manifestBlobId} is missing`);
      weight += (before.ok ? before.text.length : 0) + (after.ok ? after.text.length : 0);
      if (budget <= 0 || !before.ok || !after.ok) {
        record(environment, app, CUT);
        return;
      }
      // What a deployment writes: an empty manifest is written as a single space (manifest-repo.md).
      const written = after.text === '' ? ' ' : after.text;
      const diff = cutAt(
        unifiedDiff(`${directories[index]}/manifests/manifests.yaml`, before.text, written),
        Math.min(MANIFEST_DIFF_MAX_BYTES, budget),
      );
      budget -= Buffer.byteLength(diff.text);
      record(environment, app, diff);
    });
    batchSize = Math.max(
      MIN_BATCH,
      Math.min(MAX_BATCH, Math.floor(BATCH_BYTES / (weight / batch.length + 1))),
    );
  }
  for (const { environment, app } of deployments.slice(next)) record(environment, app, CUT);
  return diffs;
}

function appDirectory(environment: string, app: string): string {
  return `environments/${environment}/applications/${app}`;
}

/** `---`/`+++` naming the file, then the hunks with 3 lines of context; '' when nothing differs. */
export function unifiedDiff(path: string, before: string, after: string): string {
  if (before === after) return '';
  const patch =
    structuredPatch(path, path, before, after, undefined, undefined, {
      context: CONTEXT_LINES,
      maxEditLength: MAX_EDIT_LENGTH,
    }) ?? replaceEverything(path, before, after);
  return formatPatch(patch, FILE_HEADERS_ONLY);
}

/** One hunk that removes every line and adds every new one: the diff when a minimal one costs too much. */
function replaceEverything(path: string, before: string, after: string) {
  const removed = linesOf(before);
  const added = linesOf(after);
  const lines = [...removed.map((line) => `-${line}`), ...added.map((line) => `+${line}`)];
  // jsdiff's marker after a line that ends its file without a line break.
  const noNewline = '\\ No newline at end of file';
  if (before !== '' && !before.endsWith('\n')) lines.splice(removed.length, 0, noNewline);
  if (after !== '' && !after.endsWith('\n')) lines.push(noNewline);
  return {
    oldFileName: path,
    newFileName: path,
    oldHeader: undefined,
    newHeader: undefined,
    hunks: [
      {
        // formatPatch writes an empty side as line 0 itself.
        oldStart: 1,
        oldLines: removed.length,
        newStart: 1,
        newLines: added.length,
        lines,
      },
    ],
  };
}

function linesOf(text: string): string[] {
  if (text === '') return [];
  const lines = text.split('\n');
  if (text.endsWith('\n')) lines.pop();
  return lines;
}

/** The text cut to at most `maxBytes` of UTF-8, at the end of a line where one ends in it. */
export function cutAt(text: string, maxBytes: number): ManifestDiff {
  if (text.length <= maxBytes / 3 || Buffer.byteLength(text) <= maxBytes) return { text, truncated: false };
  // The longest prefix of at most maxBytes, ending on a whole character.
  const bytes = Buffer.from(text);
  let end = maxBytes;
  while (end > 0 && ((bytes[end] as number) & 0xc0) === 0x80) end--;
  const prefix = bytes.subarray(0, end).toString('utf8');
  const lineEnd = prefix.lastIndexOf('\n');
  return { text: lineEnd >= 0 ? prefix.slice(0, lineEnd + 1) : prefix, truncated: true };
}
