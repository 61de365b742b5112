// Release trains and prognoses: read the tip, plan, and (for a train) commit exactly the plan.
import { AppError, RefConflictError } from '../errors.js';
import { deploymentChanges } from '../manifest/deploymentChanges.js';
import type { GitIdentity } from '../manifest/git.js';
import type { ManifestRepository } from '../manifest/repository.js';
import { renderTrainCommitMessage } from '../planning/commitMessage.js';
import type { Snapshot } from '../planning/model.js';
import {
  deploymentsOf,
  planReleaseTrain,
  type ReleaseTrainPlan,
  type ReleaseTrainRequest,
} from '../planning/releaseTrain.js';
import type { TargetType } from '../planning/resolveTarget.js';
import type { WriteQueue } from './writeQueue.js';

export interface TrainCall {
  readonly target: string;
  readonly targetType: TargetType;
  readonly team?: string;
  readonly sourceGitTag?: string;
  readonly ciLink?: string;
  readonly requestId: string;
  readonly author: GitIdentity;
}

export interface TrainResult {
  readonly plan: ReleaseTrainPlan;
  readonly commitId: string | null;
}

/** How often a train is planned again when an outside commit moved the branch meanwhile. */
const MAX_ATTEMPTS = 3;

export class ReleaseTrainService {
  constructor(
    private readonly repo: ManifestRepository,
    private readonly queue: WriteQueue,
    private readonly clock: () => Date,
  ) {}

  async prognosis(call: Omit<TrainCall, 'ciLink' | 'requestId' | 'author'>): Promise<ReleaseTrainPlan> {
    const snapshot = await this.repo.readTipSnapshot();
    return this.plan(snapshot, call);
  }

  train(call: TrainCall): Promise<TrainResult> {
    return this.queue.run(async () => {
      for (let attempt = 1; ; attempt++) {
        const snapshot = await this.repo.readTipSnapshot();
        const plan = await this.plan(snapshot, call);
        const deployments = deploymentsOf(plan);
        if (deployments.length === 0) return { plan, commitId: null };
        const time = this.clock();
        const context = { deployer: call.author, time, emptyBlobId: await this.repo.emptyBlobId() };
        try {
          const commitId = await this.repo.commit({
            parent: snapshot.commitId,
            changes: deployments.flatMap((deployment) => deploymentChanges(snapshot, deployment, context)),
            message: renderTrainCommitMessage(plan, { requestId: call.requestId, ciLink: call.ciLink }),
            author: call.author,
            time,
          });
          return { plan, commitId };
        } catch (error) {
          // Someone committed between our read and our write: plan again on the new tip.
          if (error instanceof RefConflictError && attempt < MAX_ATTEMPTS) continue;
          throw error;
        }
      }
    });
  }

  private async plan(
    snapshot: Snapshot,
    call: Omit<TrainCall, 'ciLink' | 'requestId' | 'author'>,
  ): Promise<ReleaseTrainPlan> {
    const request: ReleaseTrainRequest = {
      target: call.target,
      targetType: call.targetType,
      team: call.team,
      sourceSnapshot: call.sourceGitTag ? await this.sourceSnapshot(call.sourceGitTag) : undefined,
    };
    const outcome = planReleaseTrain(snapshot, request);
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
    const commitId = await this.repo.resolveTag(tag);
    if (commitId === undefined) throw new AppError('NOT_FOUND', `The git tag '${tag}' does not exist.`);
    return this.repo.snapshot(commitId);
  }
}
