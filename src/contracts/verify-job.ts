/**
 * A verification described only by paths and plain values (what the CLI has), so it can run in a
 * worker process: Pact's native verifier prints its own output straight to file descriptor 1,
 * which only a separate process can keep out of agentcheck's report (and out of `--json`).
 */
import { fork } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AgentcheckError, type AgentcheckErrorCode } from '../errors.js';
import type { BrokerOptions, ContractsVerification } from './verify.js';

/** Everything `contracts verify` needs, as JSON-safe values. */
export interface VerifyJob {
  pactsDir: string;
  provider?: string;
  scenarioFile?: string;
  providerBaseUrl?: string;
  stateHandlersFile?: string;
  stateChangeUrl?: string;
  providerVersion?: string;
  messageTimeoutMs?: number;
  logDir?: string;
  broker?: BrokerOptions;
}

/** What a worker sends back. */
export type VerifyJobAnswer =
  | { ok: true; verification: ContractsVerification }
  | { ok: false; error: { code: AgentcheckErrorCode | 'unexpected'; message: string; hint?: string; stack?: string } };

/** Runs a job in this process. */
export async function runVerifyJob(job: VerifyJob): Promise<ContractsVerification> {
  const [{ verifyContracts }, { loadStateHandlers }] = await Promise.all([import('./verify.js'), import('./load-handlers.js')]);
  const scenario = job.scenarioFile ? await (await import('../scenario/load.js')).loadScenarioFile(job.scenarioFile) : undefined;
  const stateHandlers = job.stateHandlersFile ? await loadStateHandlers(job.stateHandlersFile) : undefined;
  return verifyContracts({
    pactsDir: job.pactsDir,
    ...(job.provider ? { provider: job.provider } : {}),
    ...(job.providerBaseUrl ? { providerBaseUrl: job.providerBaseUrl } : {}),
    ...(scenario ? { scenario } : {}),
    ...(stateHandlers ? { stateHandlers, handlersSource: job.stateHandlersFile } : {}),
    ...(job.stateChangeUrl ? { stateChangeUrl: job.stateChangeUrl } : {}),
    ...(job.providerVersion ? { providerVersion: job.providerVersion } : {}),
    ...(job.messageTimeoutMs !== undefined ? { messageTimeoutMs: job.messageTimeoutMs } : {}),
    ...(job.logDir ? { logDir: job.logDir } : {}),
    ...(job.broker ? { broker: job.broker } : {}),
  });
}

/** The compiled worker next to this module, when there is one (not when running from TypeScript sources). */
function workerPath(): string | undefined {
  const url = new URL('./verify-worker.js', import.meta.url);
  if (url.protocol !== 'file:') return undefined;
  const file = fileURLToPath(url);
  return existsSync(file) ? file : undefined;
}

/** Options of {@link runVerifyJobIsolated}. */
export interface IsolationOptions {
  /** Where Pact's own output goes (created); default: discarded. */
  logFile?: string;
  /** Also copy Pact's own output to this stream (e.g. stderr). */
  echo?: NodeJS.WritableStream;
}

/**
 * Runs a job in a worker process whose stdout and stderr (Pact's own output) go to `logFile`;
 * falls back to this process when no compiled worker exists. Errors come back as they were thrown.
 */
export async function runVerifyJobIsolated(job: VerifyJob, options: IsolationOptions = {}): Promise<ContractsVerification> {
  const worker = workerPath();
  if (!worker) return runVerifyJob(job);
  let log: NodeJS.WritableStream | undefined;
  if (options.logFile) {
    mkdirSync(path.dirname(options.logFile), { recursive: true });
    log = createWriteStream(options.logFile);
  }
  const child = fork(worker, [], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'], env: { ...process.env, PACT_DO_NOT_TRACK: process.env['PACT_DO_NOT_TRACK'] ?? 'true' } });
  for (const stream of [child.stdout, child.stderr]) {
    stream?.on('data', (chunk: Buffer) => {
      log?.write(chunk);
      options.echo?.write(chunk);
    });
  }
  const answer = await new Promise<VerifyJobAnswer | undefined>((resolve) => {
    let got: VerifyJobAnswer | undefined;
    child.on('message', (m) => {
      got = m as VerifyJobAnswer;
    });
    child.on('exit', () => resolve(got));
    child.on('error', () => resolve(got));
    child.send(job);
  });
  await new Promise<void>((resolve) => (log ? log.end(resolve) : resolve()));
  if (!answer) {
    throw new AgentcheckError('internal', `the verification worker ended without an answer${options.logFile ? ` (its output is in ${options.logFile})` : ''}`);
  }
  if (answer.ok) return answer.verification;
  const { code, message, hint, stack } = answer.error;
  if (code === 'unexpected') throw new Error(stack ?? message);
  throw new AgentcheckError(code, message, hint);
}
