/**
 * `agentcheck load URL`: drives load at a running URL without a scenario (open model at `--rate`, or
 * closed model with `--connections`), judges `--budget` expressions (and `--openslo` objectives) per
 * phase and per window, writes the reports and returns the exit code: 0 pass, 1 a budget failed,
 * 2 bad flags or budgets, 3 target unreachable, 4 invalid run (no data, too few samples, the
 * generator could not keep up).
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { Option } from 'commander';
import { AgentcheckError, type ExitCodeValue } from '../../errors.js';
import { compileBudgets, evaluateBudgets, formatMeasured, type BudgetSpec } from '../../load/budget.js';
import { DEFAULT_WORKFLOW, runLoad, type LoadResult } from '../../load/driver.js';
import { createGeneratorsDriver } from '../../load/generators.js';
import { loadOpenSlo } from '../../load/openslo.js';
import type { RunReport } from '../../report/model.js';
import { exitCodeForVerdict, judgeReport } from '../../report/verdict.js';
import { defaultRunDir, parseReportFormats, REPORT_FORMATS, writeReports, type ReportFormat } from '../../report/write.js';
import { tryParseDuration } from '../../scenario/duration.js';
import { onInterrupt, parseIntFlag, type RegisterCommand } from '../command.js';

/** The one phase of an `agentcheck load` run (budgets may scope to it: `http.latency{phase=load} …`). */
export const LOAD_PHASE = 'load';

/** Flags of `agentcheck load`, parsed. */
export interface LoadFlags {
  method?: string;
  body?: string;
  header?: Record<string, string>;
  rate?: number;
  connections?: number;
  duration: number;
  timeout: number;
  budget?: string[];
  openslo?: string;
  out?: string;
  format: ReportFormat[];
  seed?: string;
  lateTolerance: number;
  maxLate: number;
  /** Open model: generator processes sharing one seeded schedule (default 1, in this process). */
  generators?: number;
}

/** Where the command writes; injectable so tests call it without a process. */
export interface LoadIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

const processIo: LoadIo = {
  stdout: (text) => void process.stdout.write(text),
  stderr: (text) => void process.stderr.write(text),
};

function toolVersion(): string {
  const require = createRequire(import.meta.url);
  return (require('../../../package.json') as { version: string }).version;
}

/** Parses a duration flag: `30s`, `500ms`, `1m30s`, or a bare number of seconds. */
export function parseDurationFlag(flag: string) {
  return (value: string): number => {
    const ms = /^\s*\d+(\.\d+)?\s*$/.test(value) ? Number(value) * 1000 : tryParseDuration(value);
    if (ms === undefined || !(ms > 0)) throw new AgentcheckError('usage', `${flag} expects a duration such as 30s, 500ms or 1m30s, got '${value}'`);
    return ms;
  };
}

function parseRate(value: string): number {
  const n = Number(value);
  if (!/^\s*\d+(\.\d+)?\s*$/.test(value) || !(n > 0) || n > 1_000_000) {
    throw new AgentcheckError('usage', `--rate expects requests per second above 0 (e.g. 50 or 0.5), got '${value}'`);
  }
  return n;
}

function parsePercent(flag: string) {
  return (value: string): number => {
    const m = /^\s*(\d+(?:\.\d+)?)\s*(%?)\s*$/.exec(value);
    const n = m ? Number(m[1]) / (m[2] ? 100 : 1) : NaN;
    if (!(n >= 0 && n <= 1)) throw new AgentcheckError('usage', `${flag} expects a percentage such as 1% (or a ratio such as 0.01), got '${value}'`);
    return n;
  };
}

function parseHeader(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const i = value.indexOf(':');
  if (i <= 0) throw new AgentcheckError('usage', `--header expects name:value, got '${value}'`);
  return { ...previous, [value.slice(0, i).trim()]: value.slice(i + 1).trim() };
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

async function readBody(body: string | undefined): Promise<string | undefined> {
  if (body === undefined || !body.startsWith('@')) return body;
  try {
    return await readFile(body.slice(1), 'utf8');
  } catch (e) {
    throw new AgentcheckError('usage', `--body ${body}: cannot read the file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

/** Builds the run report of a load run. */
export function loadRunReport(url: string, method: string, result: LoadResult, budgets: RunReport['budgets'], aborted: string | null, targetRate?: number): RunReport {
  const base = {
    agents: [],
    budgets,
    invariants: [],
    checks: [],
    ...(aborted ? { aborted: { signal: aborted, reason: `interrupted by ${aborted}` } } : {}),
  };
  const judgement = judgeReport(base, result.validity.reasons);
  return {
    version: 1,
    tool: { name: 'agentcheck', version: toolVersion() },
    kind: 'load',
    title: `load: ${method} ${url}`,
    source: url,
    seed: result.seed,
    startedAt: result.startedAt,
    durationMs: Math.round(result.durationMs),
    verdict: judgement.verdict,
    reasons: judgement.reasons,
    ...base,
    phases: result.phases,
    edges: [],
    timeline: result.timeline,
    faultWindows: [],
    load: {
      ...result.generator,
      ...(targetRate !== undefined ? { targetRate } : {}),
      valid: result.validity.valid,
      invalidReasons: result.validity.reasons,
    },
  };
}

function summary(report: RunReport, result: LoadResult, flags: LoadFlags): string {
  const g = result.generator;
  const lines: string[] = [];
  const shape = g.model === 'open' ? `open model, ${flags.rate} req/s` : `closed model, ${flags.connections} connections`;
  lines.push(`${report.title} — ${shape} for ${(result.durationMs / 1000).toFixed(1)} s (seed ${result.seed})`);
  for (const p of report.phases) {
    lines.push(`  ${p.requests} requests (${g.achievedRate}/s), ${p.errors} errors, ${p.timeouts} timeouts, ${p.throughput}/s successful`);
    const l = p.latency;
    if (l) lines.push(`  latency: p50 ${fmt(l.p50)}  p90 ${fmt(l.p90)}  p99 ${fmt(l.p99)}  p99.9 ${fmt(l.p999)}  max ${fmt(l.max)}`);
  }
  const late = g.model === 'open' ? `late ${Math.round(g.lateFraction * 1000) / 10}% (>${g.lateToleranceMs} ms), dropped ${g.dropped}, ` : '';
  lines.push(`  generator: ${late}cpu ${g.cpuPercent}%, event loop ${Math.round(g.eventLoopUtilization * 100)}% busy`);
  if (report.budgets.length > 0) lines.push('  budgets:');
  for (const b of report.budgets) {
    const measured = b.measured === null ? 'no data' : formatMeasured(b.measured, b.unit);
    const burn = b.burnRate !== undefined ? `, burn ${b.burnRate.toFixed(2)}× (worst window ${(b.maxWindowBurnRate ?? 0).toFixed(2)}×)` : '';
    lines.push(`    ${b.status.padEnd(7)} ${b.expression} [${b.scope}]: ${measured} over ${b.samples} events${burn}`);
    if (b.reason && b.status !== 'pass') lines.push(`            ${b.reason}`);
  }
  lines.push(`verdict: ${report.verdict} — ${report.reasons[0] ?? ''}`);
  for (const r of report.reasons.slice(1)) lines.push(`  ${r}`);
  return `${lines.join('\n')}\n`;
}

function fmt(ms: number): string {
  return formatMeasured(ms, 'ms');
}

/** Runs `agentcheck load` with parsed flags; returns the exit code. */
export async function loadCommand(url: string, flags: LoadFlags, io: LoadIo = processIo): Promise<ExitCodeValue> {
  if (flags.rate !== undefined && flags.connections !== undefined) {
    throw new AgentcheckError('usage', '--rate (open model) and --connections (closed model) cannot be combined', 'pick one: a fixed arrival rate, or N connections in a loop');
  }
  const model = flags.connections !== undefined ? 'closed' : 'open';
  const generators = flags.generators ?? 1;
  if (generators > 1 && model === 'closed') {
    throw new AgentcheckError('usage', '--generators needs the open model (--rate): the generators share one seeded arrival schedule', 'drop --connections, or --generators');
  }
  const rate = flags.rate ?? 50;
  // Budgets first: a typo must fail fast (exit 2), before any load is sent.
  const specs: BudgetSpec[] = [...(flags.budget ?? [])];
  if (flags.openslo) specs.push(...(await loadOpenSlo(flags.openslo)));
  const budgets = compileBudgets(specs, { phases: [LOAD_PHASE], edges: [], workflows: [DEFAULT_WORKFLOW], steps: [DEFAULT_WORKFLOW] });
  const body = await readBody(flags.body);
  const method = (flags.method ?? (body !== undefined ? 'POST' : 'GET')).toUpperCase();

  const abort = new AbortController();
  let interrupted: string | null = null;
  const onSignal = (signal: NodeJS.Signals): void => {
    interrupted = signal;
    abort.abort();
  };
  // SIGHUP too: a closed terminal still gets the partial result and report. Once only: a second
  // signal ends the process as usual.
  const offInterrupt = onInterrupt((signal) => {
    offInterrupt();
    onSignal(signal);
  });
  let result: LoadResult;
  try {
    result = await runLoad({
      target: { url, method, ...(flags.header ? { headers: flags.header } : {}), ...(body !== undefined ? { body } : {}) },
      model,
      ...(model === 'open' ? { rate } : { connections: flags.connections! }),
      timeoutMs: flags.timeout,
      phases: [{ name: LOAD_PHASE, durationMs: flags.duration }],
      ...(flags.seed !== undefined ? { seed: flags.seed } : {}),
      signal: abort.signal,
      limits: { lateToleranceMs: flags.lateTolerance, maxLateFraction: flags.maxLate },
      ...(generators > 1 ? { makeDriver: (o) => createGeneratorsDriver({ ...o, generators }) } : {}),
    });
  } finally {
    offInterrupt();
  }
  // Bare budgets read the workflow series; for this one plain request it is the request itself.
  const results = evaluateBudgets(budgets, { series: result.seriesByName, phases: [LOAD_PHASE] });
  const report = loadRunReport(url, method, result, results, interrupted, model === 'open' ? rate : undefined);
  io.stdout(summary(report, result, { ...flags, rate }));
  const dir = flags.out ?? defaultRunDir(new Date(result.startedAt));
  const paths = await writeReports(report, dir, flags.format);
  io.stdout(`reports: ${Object.values(paths).join(', ')}\n`);
  return exitCodeForVerdict(report.verdict);
}

/** Registers `agentcheck load`. */
export const registerLoad: RegisterCommand = (program, run) => {
  program
    .command('load')
    .description('drive load at a running URL and judge SLO budgets per phase and per window (exit 0 pass, 1 budget failed, 3 unreachable, 4 invalid run)')
    .argument('<url>', 'target URL; its path, --header values and --body may use ${uuid}, ${seq}, ${phase}')
    .option('--method <method>', 'HTTP method (default GET, or POST with --body)')
    .option('--body <text>', 'request body, or @file to read it from a file')
    .option('--header <name:value>', 'request header, repeatable', parseHeader)
    .option('--rate <n>', 'open model: arrivals per second (default 50)', parseRate)
    .option('--connections <n>', 'closed model instead: N connections each waiting for its answer', parseIntFlag('--connections', 1, 10_000))
    .option('--generators <n>', 'open model: N generator processes, each sending arrival k mod N of one seeded schedule; histograms merged exactly (default 1)', parseIntFlag('--generators', 1, 64))
    .addOption(new Option('--duration <d>', 'how long to send (e.g. 30s, 2m, or seconds)').default(30_000, '30s').argParser(parseDurationFlag('--duration')))
    .addOption(new Option('--timeout <d>', 'request timeout; timeouts are errors recorded at this latency').default(5_000, '5s').argParser(parseDurationFlag('--timeout')))
    .option('--budget <expr>', "SLO budget, repeatable, e.g. 'p(99) < 300ms', 'error_rate < 1%', 'throughput >= 200/s'", collect)
    .option('--openslo <file>', 'import budgets from an OpenSLO kind: SLO document')
    .addOption(new Option('--late-tolerance <d>', 'open model: an arrival sent later than this after its intended start is late').default(10, '10ms').argParser(parseDurationFlag('--late-tolerance')))
    .addOption(new Option('--max-late <pct>', 'open model: the run is invalid (exit 4) when more arrivals than this are late').default(0.01, '1%').argParser(parsePercent('--max-late')))
    .option('--seed <seed>', 'seed for request ids and trace ids (printed in the report)')
    .option('--out <dir>', 'report folder (default .agentcheck/runs/<timestamp>)')
    .addOption(
      new Option('--format <list>', `report formats, comma-separated (${REPORT_FORMATS.join(', ')}, all)`)
        .default([...REPORT_FORMATS], 'all')
        .argParser(parseReportFormats),
    )
    .action(run(async (url: string, flags: LoadFlags) => loadCommand(url, flags)));
};
