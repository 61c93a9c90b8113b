/**
 * `agentcheck idempotency --target URL --spec FILE`: the black-box idempotency checker. Parses the
 * flags, loads the spec, runs the properties, writes the reports and returns the exit code
 * (0 all held, 1 a property violated, 4 a property not exercised, 2 bad spec/flags, 3 unreachable).
 */
import { createRequire } from 'node:module';
import { Option } from 'commander';
import { AgentcheckError, ExitCode, type ExitCodeValue } from '../../errors.js';
import { checkHttpIdempotency } from '../../idempotency/black-box.js';
import { formatIdempotencyResult, idempotencyRunReport } from '../../idempotency/report.js';
import { HTTP_PROPERTIES, loadIdempotencySpec } from '../../idempotency/spec.js';
import type { IdempotencyProperty } from '../../idempotency/types.js';
import { appendStepSummary, defaultRunDir, parseReportFormats, REPORT_FORMATS, writeReports, type ReportFormat } from '../../report/write.js';
import { parseIntFlag, type RegisterCommand } from '../command.js';

/** Flags of `agentcheck idempotency`, parsed. */
export interface IdempotencyFlags {
  target: string;
  spec: string;
  runs: number;
  seed?: number;
  path?: string;
  property?: IdempotencyProperty[];
  out?: string;
  format: ReportFormat[];
}

/** Where the command writes; injectable so tests call it without a process. */
export interface IdempotencyIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** Environment for GITHUB_STEP_SUMMARY (default `process.env`). */
  env?: NodeJS.ProcessEnv;
}

const processIo: IdempotencyIo = {
  stdout: (text) => void process.stdout.write(text),
  stderr: (text) => void process.stderr.write(text),
};

function toolVersion(): string {
  const require = createRequire(import.meta.url);
  return (require('../../../package.json') as { version: string }).version;
}

// Single-quote for POSIX shells so the printed replay command can be pasted as is.
function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

function parseTarget(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new AgentcheckError('usage', `--target expects a URL such as http://127.0.0.1:8080, got '${value}'`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new AgentcheckError('usage', `--target must be an http:// or https:// URL, got '${value}'`);
  }
  return value;
}

function parseProperties(value: string, previous: IdempotencyProperty[] = []): IdempotencyProperty[] {
  const out = [...previous];
  for (const raw of value.split(',')) {
    const name = raw.trim();
    if (name === '') continue;
    if (!HTTP_PROPERTIES.includes(name as IdempotencyProperty)) {
      throw new AgentcheckError('usage', `unknown property '${name}'`, `valid properties: ${HTTP_PROPERTIES.join(', ')}`);
    }
    if (!out.includes(name as IdempotencyProperty)) out.push(name as IdempotencyProperty);
  }
  return out;
}

/** Runs the black-box check with parsed flags; returns the exit code. */
export async function idempotencyCommand(flags: IdempotencyFlags, io: IdempotencyIo = processIo): Promise<ExitCodeValue> {
  if (flags.path !== undefined) {
    if (!/^\d+(:\d+)*$/.test(flags.path)) throw new AgentcheckError('usage', `--path expects a fast-check path such as 3:0:1, got '${flags.path}'`);
    if (flags.seed === undefined || flags.property?.length !== 1) {
      throw new AgentcheckError('usage', '--path replays one counterexample: give it with --seed and exactly one --property');
    }
  }
  const spec = await loadIdempotencySpec(flags.spec);
  const startedAt = new Date();
  const replay = (property: IdempotencyProperty, seed: number, path: string) =>
    [
      'agentcheck idempotency',
      `--target ${shellQuote(flags.target)}`,
      `--spec ${shellQuote(flags.spec)}`,
      `--property ${property}`,
      `--seed ${seed}`,
      `--path ${shellQuote(path)}`,
    ].join(' ');
  const result = await checkHttpIdempotency(spec, {
    target: flags.target,
    runs: flags.runs,
    ...(flags.seed !== undefined ? { seed: flags.seed } : {}),
    ...(flags.path !== undefined ? { path: flags.path } : {}),
    ...(flags.property ? { properties: flags.property } : {}),
    replayCommand: replay,
  });
  io.stdout(formatIdempotencyResult(result));
  const report = idempotencyRunReport(result, {
    title: `idempotency: ${spec.name ?? `${spec.operation.method} ${spec.operation.path}`}`,
    source: flags.target,
    toolVersion: toolVersion(),
    startedAt,
  });
  // --path replays one counterexample: one that no longer fails did not reproduce (exit 4), it is no pass.
  const notReproduced = flags.path !== undefined && result.status !== 'failed' && !result.error;
  if (notReproduced) {
    const outcome = result.properties[0];
    const line = `did not reproduce: the counterexample of ${flags.property?.[0]} at --seed ${flags.seed} --path ${flags.path} no longer fails${outcome ? ` (${outcome.summary})` : ''}`;
    io.stdout(`${line}\n`);
    report.verdict = 'invalid';
    report.reasons = [line, ...report.reasons];
  }
  const dir = flags.out ?? defaultRunDir(startedAt);
  const paths = await writeReports(report, dir, flags.format);
  io.stdout(`reports: ${Object.values(paths).join(', ')}\n`);
  await appendStepSummary(report, io.env ?? process.env);
  if (result.status === 'failed') return ExitCode.CheckFailed;
  // Nothing violated, but the target stopped answering part-way: that is the answer (3, or 2 for a probe), after the reports.
  if (result.error) throw new AgentcheckError(result.error.code, result.error.message, result.error.hint);
  if (result.status === 'not-exercised' || notReproduced) return ExitCode.InvalidRun;
  return ExitCode.Ok;
}

/** Registers `agentcheck idempotency`. */
export const registerIdempotency: RegisterCommand = (program, run) => {
  program
    .command('idempotency')
    .description(
      'check an HTTP operation\'s idempotency contract black-box: duplicates, replays, key-payload binding, concurrency, missing key, validation (exit 0 held, 1 violated, 4 not exercised)',
    )
    .requiredOption('--target <url>', 'base URL of the agent under test', parseTarget)
    .requiredOption('--spec <file>', 'idempotency spec (YAML or JSON): operation, effects probe, reset, expectations')
    .option('--runs <n>', 'fast-check runs per property', parseIntFlag('--runs', 1, 100_000), 100)
    .option('--seed <n>', 'fast-check seed (printed with every run, for replay)', parseIntFlag('--seed', -(2 ** 31), 2 ** 31 - 1))
    .option('--path <path>', 'replay one counterexample: its fast-check path (with --seed and one --property)')
    .option('--property <names>', `only these properties, comma-separated or repeated (${HTTP_PROPERTIES.join(', ')})`, parseProperties)
    .option('--out <dir>', 'report folder (default .agentcheck/runs/<timestamp>)')
    .addOption(
      new Option('--format <list>', `report formats, comma-separated (${REPORT_FORMATS.join(', ')}, all)`)
        .default([...REPORT_FORMATS], 'all')
        .argParser(parseReportFormats),
    )
    .action(run(async (flags: IdempotencyFlags) => idempotencyCommand(flags)));
};
