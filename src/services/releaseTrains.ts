// Release trains and prognoses: read the tip, plan, and (for a train) commit exactly the plan.
import type { Caller } from '../auth/caller.js';
import { Permissions, targetIn } from '../auth/permissions.js';
import { AppError } from '../domain/errors.js';
import type { RepositoryReader } from '../manifest/repository.js';
import { tagExists } from '../manifest/writeCommit.js';
import type { Metrics } from '../metrics.js';
import { renderTrainCommitMessage } from '../planning/commitMessage.js';
import { deploymentChanges } from '../planning/deploymentChanges.js';
import type { Snapshot } from '../planning/model.js';
import {
  deploymentsOf,
  planReleaseTrain,
  type ReleaseTrainPlan,
  type ReleaseTrainRequest,
} from '../planning/releaseTrain.js';
import { resolveTarget, type TargetType } from '../planning/resolveTarget.js';
import { cleanupAfterDeployments, RELEASES_KEPT_DEFAULT } from '../planning/retention.js';
import { type ManifestDiffs, manifestDiffsOf } from './manifestDiffs.js';
import type { ManifestWriter } from './manifestWriter.js';
import { PlanChangedError, planIdOf } from './planIds.js';
import { permittedWrite } from './writes.js';

/** What the web UI shows of a plan, in more detail than the API's prognosis shape. */
export type { AppOutcome, EnvironmentOutcome, ReleaseTrainPlan } from '../planning/releaseTrain.js';
export type { TargetType };

export interface PrognosisCall {
  readonly target: string;
  readonly targetType: TargetType;
  readonly team?: string;
  readonly sourceGitTag?: string;
  /** Who asks: with TEAMS_FILE, apps of teams they are not in are skipped (NO_TEAM_PERMISSION). */
  readonly caller?: Caller;
}

export interface TrainCall extends PrognosisCall {
  readonly ciLink?: string;
  /** Tag the train's commit with this (a lightweight tag); no commit, no tag. */
  readonly gitTag?: string;
  /**
   * If-Match: the ids of the plans the caller approved. The plan on the tip the train commits to
   * must be one of them, on every attempt, else nothing is written (PlanChangedError). Absent: any plan.
   */
  readonly approvedPlanIds?: readonly string[];
  readonly requestId: string;
  readonly caller: Caller;
}

export interface PlannedTrain {
  readonly plan: ReleaseTrainPlan;
  readonly planId: string;
}

/** A prognosis: the plan, its id, and the instant it was planned at (timed locks, deploy windows). */
export interface Prognosis extends PlannedTrain {
  readonly plannedAt: Date;
}

export interface TrainResult extends PlannedTrain {
  readonly commitId: string | null;
}

export class ReleaseTrainService {
  constructor(
    private readonly writer: ManifestWriter,
    private readonly reader: RepositoryReader,
    private readonly metrics?: Metrics,
    private readonly permissions: Permissions = new Permissions(),
    /** "Now" of a prognosis (timed locks, deploy windows); a train plans at its write's time. */
    private readonly clock: () => Date = () => new Date(),
    /** RELEASES_KEPT: a train's commit removes the old releases of the apps it deploys. */
    private readonly releasesKept: number = RELEASES_KEPT_DEFAULT,
  ) {}

  async prognosis(call: PrognosisCall): Promise<Prognosis> {
    const plannedAt = this.clock();
    const plan = await this.plan(await this.reader.readTipSnapshot(), call, plannedAt);
    return { plan, planId: planIdOf(plan), plannedAt };
  }

  /**
   * The plan a prognosis made on `commitId` at `plannedAt`: what a person was shown, made again
   * (planning is deterministic), to say what differs from the plan a train found instead.
   */
  async prognosisAt(call: PrognosisCall, commitId: string | null, plannedAt: Date): Promise<PlannedTrain> {
    const plan = await this.plan(await this.reader.snapshot(commitId), call, plannedAt);
    return { plan, planId: planIdOf(plan) };
  }

  /** The manifest diff of every app the plan deploys, against the commit it was made on. */
  manifestDiffs(plan: ReleaseTrainPlan): Promise<ManifestDiffs> {
    return manifestDiffsOf(this.reader, plan);
  }

  async train(call: TrainCall): Promise<TrainResult> {
    const started = performance.now();
    const seconds = () => (performance.now() - started) / 1000;
    try {
      const result = await this.runTrain(call);
      this.metrics?.trainFinished(
        call.targetType,
        seconds(),
        result.commitId ? 'committed' : 'nothing',
        result.plan,
      );
      return result;
    } catch (error) {
      this.metrics?.trainFinished(call.targetType, seconds(), 'error');
      throw error;
    }
  }

  private async runTrain(call: TrainCall): Promise<TrainResult> {
    const { gitTag } = call;
    // Every environment the train targets, deployed to or not; one refusal refuses the train.
    const targets = (snapshot: Snapshot) => {
      const resolved = resolveTarget(snapshot, call.target, call.targetType);
      // A target that does not exist is the plan's 404.
      return resolved.kind === 'resolved'
        ? resolved.environments.map((environment) => targetIn(snapshot, environment))
        : [];
    };
    const { result, commitId } = await permittedWrite(
      this.writer,
      this.reader,
      this.permissions,
      call.caller,
      { action: 'DeployReleaseTrain', targets },
      async ({ snapshot, time, emptyBlobId }) => {
        // Checked before anything is written: an existing tag refuses the whole train.
        if (gitTag !== undefined) {
          const clash = await this.reader.conflictingTag(gitTag);
          if (clash !== undefined) throw tagExists(gitTag, clash);
        }
        const plan = await this.plan(snapshot, call, time);
        // Here, on every attempt: a re-plan after a lost race is held to the approved plan too.
        const planId = planIdOf(plan);
        if (call.approvedPlanIds && !call.approvedPlanIds.includes(planId)) {
          throw new PlanChangedError(plan, planId, call.approvedPlanIds, time);
        }
        const context = { deployer: call.caller, time, emptyBlobId };
        const deployments = deploymentsOf(plan);
        const cleanup = cleanupAfterDeployments(snapshot, { deployed: deployments }, this.releasesKept);
        return {
          changes: [
            ...deployments.flatMap(({ manifestBlobId, ...deployment }) =>
              deploymentChanges(snapshot, { ...deployment, manifest: { blobId: manifestBlobId } }, context),
            ),
            ...cleanup.changes,
          ],
          message: renderTrainCommitMessage(
            plan,
            { requestId: call.requestId, ciLink: call.ciLink },
            cleanup.messageLines,
          ),
          result: { plan, planId },
        };
      },
      { tag: gitTag, requestId: call.requestId },
    );
    return { ...result, commitId };
  }

  private async plan(snapshot: Snapshot, call: PrognosisCall, now: Date): Promise<ReleaseTrainPlan> {
    const request: ReleaseTrainRequest = {
      now,
      target: call.target,
      targetType: call.targetType,
      team: call.team,
      sourceSnapshot: call.sourceGitTag ? await this.sourceSnapshot(call.sourceGitTag) : undefined,
      callerTeams: call.caller && this.permissions.teamsOf(call.caller),
    };
    let outcome = planReleaseTrain(snapshot, request);
    if (outcome.kind === 'needsReleases') {
      // Release manifests are read lazily: read the ones this plan needs, then plan again.
      await this.reader.loadReleases(snapshot, outcome.releases);
      outcome = planReleaseTrain(snapshot, request);
    }
    if (outcome.kind === 'needsReleases')
      throw new Error('release manifests still missing after loading them');
    if (outcome.kind === 'releasesRemoved') {
      const releases = outcome.releases.map(({ app, version }) => `release ${version} of '${app}'`);
      throw new AppError(
        'RELEASE_REMOVED',
        `The git tag '${call.sourceGitTag}' names ${releases.join(', ')}, which the branch no longer has ` +
          '(the release retention removed it since): take a newer tag.',
        { details: { releases: outcome.releases } },
      );
    }
    if (outcome.kind === 'targetNotFound') {
      const kind = {
        environment: 'environment',
        environmentGroup: 'environment group',
        unknown: 'environment or environment group',
      }[outcome.targetType];
      throw new AppError('TARGET_NOT_FOUND', `No ${kind} named '${outcome.target}' exists.`);
    }
    return outcome.plan;
  }

  private async sourceSnapshot(tag: string): Promise<Snapshot> {
    const commitId = await this.reader.resolveTag(tag);
    if (commitId === undefined) throw new AppError('TAG_NOT_FOUND', `The git tag '${tag}' does not exist.`);
    return this.reader.snapshot(commitId);
  }
}
