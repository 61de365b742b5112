// Prometheus metrics of one app instance, in a registry of its own (never the global one, so
// that apps built side by side in tests do not share counters).
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { ReleaseTrainPlan } from './planning/releaseTrain.js';

export class Metrics {
  readonly registry = new Registry();

  private readonly releaseTrains = new Counter({
    name: 'trainyard_release_trains_total',
    help: 'Release trains by target type and outcome (committed, nothing, error)',
    labelNames: ['target_type', 'outcome'] as const,
    registers: [this.registry],
  });

  private readonly trainDuration = new Histogram({
    name: 'trainyard_release_train_duration_seconds',
    help: 'Time from request to answer of a release train',
    labelNames: ['target_type'] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [this.registry],
  });

  private readonly deployments = new Counter({
    name: 'trainyard_deployments_total',
    help: 'Deployments written by release trains, by environment',
    labelNames: ['environment'] as const,
    registers: [this.registry],
  });

  private readonly appSkips = new Counter({
    name: 'trainyard_app_skips_total',
    help: 'Apps a committed or empty release train skipped, by cause',
    labelNames: ['cause'] as const,
    registers: [this.registry],
  });

  private readonly windowSkips = new Counter({
    name: 'trainyard_deploy_window_skips_total',
    help: 'Environments a committed or empty release train skipped because they were outside their deploy windows, by environment',
    labelNames: ['environment'] as const,
    registers: [this.registry],
  });

  private readonly pushRetries = new Counter({
    name: 'trainyard_git_push_retries_total',
    help: 'Writes planned again because the branch moved (local repo: the compare-and-swap failed)',
    registers: [this.registry],
  });

  private readonly httpDuration = new Histogram({
    name: 'trainyard_http_request_duration_seconds',
    help: 'HTTP request durations by route',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  constructor(writeQueueDepth: () => number, gitObjectsRead: () => number = () => 0) {
    new Gauge({
      name: 'trainyard_write_queue_depth',
      help: 'Writes waiting or running in the write queue',
      registers: [this.registry],
      collect() {
        this.set(writeQueueDepth());
      },
    });
    // A counter whose value the repository keeps: read at each scrape, like the queue's depth.
    new Counter({
      name: 'trainyard_git_objects_read_total',
      help: "Git objects read through the service's cat-file process (a cold snapshot read is most of them)",
      registers: [this.registry],
      collect() {
        this.reset();
        this.inc(gitObjectsRead());
      },
    });
    collectDefaultMetrics({ register: this.registry });
  }

  trainFinished(
    targetType: string,
    seconds: number,
    outcome: 'committed' | 'nothing' | 'error',
    plan?: ReleaseTrainPlan,
  ) {
    this.releaseTrains.inc({ target_type: targetType, outcome });
    this.trainDuration.observe({ target_type: targetType }, seconds);
    for (const { environment, outcome: environmentOutcome } of plan?.environments ?? []) {
      if (environmentOutcome.kind === 'skipped' && environmentOutcome.cause === 'ENV_OUTSIDE_DEPLOY_WINDOW') {
        this.windowSkips.inc({ environment });
      }
      if (environmentOutcome.kind !== 'train') continue;
      for (const { outcome: app } of environmentOutcome.apps) {
        if (app.kind === 'deploy' && outcome === 'committed') this.deployments.inc({ environment });
        else if (app.kind === 'skip') this.appSkips.inc({ cause: app.cause });
      }
    }
  }

  writeRetried(): void {
    this.pushRetries.inc();
  }

  requestFinished(method: string, route: string, statusCode: number, seconds: number): void {
    this.httpDuration.observe({ method, route, status_code: String(statusCode) }, seconds);
  }
}
