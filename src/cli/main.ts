// Entry of the `trainyard` CLI, and its only I/O: parse, read the manifest files or the plan file,
// call, print (or write --out), exit 0 (done), 1 (the request failed, or the approved plan
// changed), 2 (invalid arguments: nothing sent).
import { readFile, writeFile } from 'node:fs/promises';
// Type-only: the CLI does not load zod or the schemas at run time.
import type { EnvsPrognoses } from '../schemas/releaseTrain.js';
import { parseArgs } from './args.js';
import { buildRequest, call } from './client.js';
import { UsageError } from './flags.js';
import { formatResponse, formatWrite } from './format.js';
import { planChanges, planFileOf, trainOfPlanFile } from './planFile.js';
import type { ApprovedPlan } from './subcommands.js';

export async function main(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  const parsed = parseArgs(argv, env);
  if (parsed.kind === 'help') {
    process.stdout.write(parsed.text);
    return 0;
  }
  if (parsed.kind === 'usage') {
    process.stderr.write(`error: ${parsed.message}\n${parsed.hint}\n`);
    return 2;
  }
  const { connection } = parsed.invocation;
  let { command } = parsed.invocation;

  // An approved plan is read before anything is sent: an unreadable or conflicting one is a usage error.
  if (command.kind === 'planned-release-train') {
    let text: string;
    try {
      text = await readFile(command.planFile, 'utf8');
    } catch (error) {
      process.stderr.write(`error: cannot read the plan file '${command.planFile}': ${reason(error)}\n`);
      return 2;
    }
    try {
      command = trainOfPlanFile(command, text);
    } catch (error) {
      if (!(error instanceof UsageError)) throw error;
      process.stderr.write(`error: ${error.message}\nRun 'trainyard help release-train' for usage.\n`);
      return 2;
    }
  }

  // Every manifest is read before anything is sent, as Kuberpult does: a missing one is a usage error.
  const manifests = new Map<string, Buffer>();
  if (command.kind === 'release') {
    for (const { file } of command.manifests) {
      try {
        manifests.set(file, await readFile(file));
      } catch (error) {
        process.stderr.write(`error: cannot read the manifest file '${file}': ${reason(error)}\n`);
        return 2;
      }
    }
  }

  const delay = Number(env.TRAINYARD_RETRY_DELAY_MS ?? '1000');
  const token = env.TRAINYARD_TOKEN || env.KUBERPULT_DEX_ACCESS_TOKEN;
  const iapToken = env.KUBERPULT_IAP_TOKEN;
  const request = buildRequest(
    { connection, command },
    { ...(token && { token }), ...(iapToken && { iapToken }) },
    manifests,
  );
  const result = await call(request, {
    retries: connection.retries,
    timeoutSeconds: connection.timeoutSeconds,
    retryDelayMs: Number.isFinite(delay) && delay >= 0 ? delay : 1000,
    log: (line) => process.stderr.write(`${line}\n`),
  });
  if (!result.ok) {
    const changed =
      command.kind === 'release-train' && command.approvedPlan && result.answer?.status === 412
        ? planChangedReport(command.approvedPlan, result.answer.body, result.attempts)
        : undefined;
    process.stderr.write(`error: ${changed ?? result.message}\n`);
    return 1;
  }

  if (command.kind === 'prognosis' && command.out !== undefined) {
    const planId = planIdOf(result.etag);
    if (planId === undefined) {
      process.stderr.write(
        `error: the server sent no plan id (ETag) with the prognosis: it cannot run approved plans; '${command.out}' was not written\n`,
      );
      return 1;
    }
    try {
      const plan = planFileOf(command, planId, JSON.parse(result.body));
      await writeFile(command.out, `${JSON.stringify(plan, null, 2)}\n`);
    } catch (error) {
      process.stderr.write(`error: cannot write '${command.out}': ${reason(error)}\n`);
      return 1;
    }
  }

  if (command.kind === 'get-commit-deployments' && command.out !== undefined) {
    try {
      await writeFile(command.out, result.body);
    } catch (error) {
      process.stderr.write(`error: cannot write '${command.out}': ${reason(error)}\n`);
      return 1;
    }
    return 0;
  }
  // Exactly as received, so scripts can pipe it into jq; the lookups always print their answer.
  const verbatim = () => {
    if (result.body !== '')
      process.stdout.write(result.body.endsWith('\n') ? result.body : `${result.body}\n`);
    return 0;
  };
  if (command.kind === 'get-commit-deployments' || command.kind === 'get-deployment-commit')
    return verbatim();
  if (connection.json) return verbatim();
  let body: unknown;
  try {
    body = result.body === '' ? undefined : JSON.parse(result.body);
  } catch {
    process.stderr.write(`error: the server answered ${result.status} with a body that is not JSON\n`);
    return 1;
  }
  // Trains and prognoses (the commands with a target) have their own report.
  const lines =
    'target' in command
      ? formatResponse(command, body, planIdOf(result.etag))
      : [formatWrite(command, result.status, body)];
  process.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}

/** The plan id of an ETag, or undefined (a server that sends none). */
function planIdOf(etag: string | undefined): string | undefined {
  return /^"([0-9a-f]{64})"$/.exec(etag ?? '')?.[1];
}

/** A 412 of a train with --plan: what differs from the approved plan, for the CI log. */
function planChangedReport(approved: ApprovedPlan, body: string, attempts: number): string {
  let answer: { currentPlanId?: unknown; envsPrognoses?: unknown } = {};
  try {
    answer = JSON.parse(body);
  } catch {
    // Said below without the details.
  }
  const current =
    typeof answer.envsPrognoses === 'object' && answer.envsPrognoses !== null ? answer.envsPrognoses : {};
  const changes = planChanges(approved.envsPrognoses as EnvsPrognoses, current as EnvsPrognoses);
  return [
    `the plan changed since it was approved, so the train deployed nothing (PLAN_CHANGED).`,
    `approved plan (${approved.file}): ${approved.planId}`,
    `current plan: ${typeof answer.currentPlanId === 'string' ? answer.currentPlanId : 'unknown'}`,
    ...(changes.length > 0
      ? [
          'what differs from the approved plan:',
          ...changes.map((line) => `  ${line}`),
          ...(changes.every((line) =>
            / approved: deploy version \d+; now: skipped, APP_ALREADY_IN_UPSTREAM_VERSION$/.test(line),
          )
            ? [
                'every approved deployment is in place now: the plan looks applied already (by an earlier run of this train?)',
              ]
            : []),
        ]
      : [
          'the versions and skip causes are the same: a manifest the plan would write changed (a release rewritten)',
        ]),
    ...(attempts > 1
      ? [
          `note: this was attempt ${attempts}; an earlier attempt got no answer and may have run the plan (its own deployments would show as differences)`,
        ]
      : []),
    "review the current plan ('trainyard prognosis ... --out'), approve it, and run the train with it",
  ].join('\n');
}

function reason(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : error instanceof Error ? error.message : String(error);
}

const code = await main(process.argv.slice(2), process.env);
// Exit once stdout is flushed, so kept-alive sockets cannot hold the process open.
process.stdout.write('', () => process.exit(code));
