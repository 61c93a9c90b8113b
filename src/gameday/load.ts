/**
 * Loading a game-day file. The file is checked with the scenario validator's machinery, so every
 * problem is reported at once as `FILE:LINE:COL: path: message` (exit 2): the schema pass over
 * the file, then, per experiment, the scenario's semantic pass over the scenario the experiment
 * runs (the team's agents, edges and load with phases steady-state, the method, after), its
 * issues mapped back to the experiment's fields. Abort conditions, recovery margins and sweeps
 * are checked here too: nothing starts with a file that has a problem.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { AgentcheckError } from '../errors.js';
import { splitCommandLine } from '../scenario/command-line.js';
import { formatDuration, tryParseDuration } from '../scenario/duration.js';
import { ScenarioValidationError, loadScenarioFile, scenarioFromValue, type ScenarioIssue } from '../scenario/load.js';
import { decodeScenarioBytes } from '../scenario/text-encoding.js';
import { formatPath, type FieldPath, type ValidationIssue } from '../scenario/validate-issue.js';
import { validateAgainstSchema } from '../scenario/validate-schema.js';
import { validateScenarioSemantics } from '../scenario/validate-semantics.js';
import { defaultSemanticOptions } from '../scenario/validate.js';
import { locate, parseScenarioSource } from '../scenario/yaml-source.js';
import type { CommandInput, Scenario } from '../scenario/types.js';
import { AbortConditionError, parseAbortCondition, type AbortCondition } from './abort-condition.js';
import { AFTER_PHASE, STEADY_PHASE, type Experiment, type GameDay, type RecoveryClause, type RollbackStep, type Sweep } from './model.js';
import { gamedaySchema } from './schema.js';

/** An invalid game-day file: every issue, exit 2. */
export class GameDayValidationError extends AgentcheckError {
  constructor(
    readonly issues: ScenarioIssue[],
    readonly file: string,
  ) {
    const n = issues.length;
    super('config', `invalid game day ${file} (${n} ${n === 1 ? 'error' : 'errors'}):\n${issues.map((i) => i.text).join('\n')}`, 'see docs/gameday.md; editors check fields with schema/gameday.schema.json');
  }
}

/** The game-day file as written (after the schema pass). */
interface GameDayInput {
  name: string;
  description?: string;
  team: { scenario: string; restart?: boolean };
  experiments: ExperimentInput[];
}
interface ExperimentInput {
  name: string;
  description?: string;
  weight?: number;
  restart?: boolean;
  hypothesis: { slo?: unknown[]; invariants?: Array<{ name: string }>; recovery?: { within: string | number; goodput?: string; p99?: string; window?: string | number } };
  steady_state: { duration: string | number };
  method: { load?: { rate?: number }; phases: Array<Record<string, unknown> & { name: string; duration: string | number; faults?: Array<Record<string, unknown> & { attributes?: Record<string, unknown> }> }> };
  abort?: string[];
  rollback?: Array<CommandInput | { name?: string; command: CommandInput; timeout?: string | number }>;
  sweep?: { phase?: string; fault?: number; attribute: string; magnitudes: number[]; durations: Array<string | number> };
}

const DEFAULT_ROLLBACK_TIMEOUT_MS = 30_000;
const DEFAULT_RECOVERY_WINDOW_MS = 1000;
const TEAM_EXT = new Set(['.yaml', '.yml', '.json']);

/** Loads and validates a game-day file; `teamOverride` replaces `team.scenario` (the `--team` flag). */
export async function loadGameDayFile(file: string, teamOverride?: string): Promise<GameDay> {
  const abs = path.resolve(file);
  let bytes: Uint8Array;
  try {
    bytes = await readFile(abs);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new AgentcheckError('config', `${file}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : `cannot read (${code ?? String(err)})`}`);
  }
  const decoded = decodeScenarioBytes(bytes);
  if ('problem' in decoded) {
    const { line, col, message } = decoded.problem;
    throw new GameDayValidationError([{ file, line, col, path: '(file)', message, text: `${file}:${line}:${col}: ${message}` }], file);
  }
  const source = parseScenarioSource(decoded.text);
  const issueAt = (offset: number, p: string, message: string): ScenarioIssue => {
    const { line, col } = source.lines.linePos(offset);
    return { file, line, col, path: p, message, text: `${file}:${line}:${col}: ${p === '(yaml)' ? '' : `${p}: `}${message}` };
  };
  const fail = (issues: ValidationIssue[]): never => {
    const located = issues.map((i) => issueAt(locate(source, i), formatPath(i.path), i.message));
    const seen = new Set<string>();
    located.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.col ?? 0) - (b.col ?? 0) || (a.text < b.text ? -1 : 1));
    throw new GameDayValidationError(located.filter((i) => !seen.has(i.text) && seen.add(i.text) !== undefined), file);
  };
  if (source.problems.length > 0) {
    throw new GameDayValidationError(source.problems.map((p) => issueAt(p.offset, p.path ? formatPath(p.path) : '(yaml)', p.message)), file);
  }
  const value = source.doc.toJS({ maxAliasCount: 1000 }) as unknown;
  if (value === null || value === undefined) fail([{ path: [], message: 'got an empty document, expected a map with name, team, experiments' }]);
  const schemaIssues = validateAgainstSchema(value, gamedaySchema);
  if (schemaIssues.length > 0) fail(schemaIssues);
  const input = value as GameDayInput;

  const dir = path.dirname(abs);
  const teamFile = path.resolve(teamOverride !== undefined ? process.cwd() : dir, teamOverride ?? input.team.scenario);
  const teamPath: FieldPath = ['team', 'scenario'];
  if (!TEAM_EXT.has(path.extname(teamFile).toLowerCase())) fail([{ path: teamPath, message: `got ${JSON.stringify(path.basename(teamFile))}, expected a .yaml, .yml or .json scenario file` }]);
  let team: Scenario;
  try {
    team = await loadScenarioFile(teamFile);
  } catch (err) {
    // The team's own problems are reported in its own file's lines, after the line that names it.
    if (err instanceof AgentcheckError) throw new AgentcheckError('config', `${file}: team.scenario ${path.relative(process.cwd(), teamFile) || teamFile}: ${err.message}`, err.hint);
    throw err;
  }
  const teamRaw = parseScenarioSource(decodeText(await readFile(teamFile))).doc.toJS() as Record<string, unknown>;
  if (!team.load) fail([{ path: teamPath, message: 'got a scenario without a load section, expected one (a game day measures the workflows the load drives)' }]);

  const issues: ValidationIssue[] = [];
  const names = new Set<string>();
  const experiments: Experiment[] = [];
  for (const [k, exp] of input.experiments.entries()) {
    const at = (...p: FieldPath): FieldPath => ['experiments', k, ...p];
    if (names.has(exp.name)) issues.push({ path: at('name'), message: `got ${JSON.stringify(exp.name)} twice, expected unique experiment names` });
    names.add(exp.name);
    const built = buildExperiment(exp, k, { raw: teamRaw, file: teamFile, gameday: input.name }, input.team.restart ?? false, issues);
    if (built) experiments.push(built);
  }
  if (issues.length > 0) fail(issues);
  return { name: input.name, ...(input.description ? { description: input.description } : {}), file: abs, teamFile, team: team!, experiments };
}

function decodeText(bytes: Uint8Array): string {
  const d = decodeScenarioBytes(bytes);
  return 'problem' in d ? '' : d.text;
}

function percent(text: string | undefined, fallback: number): number {
  return text === undefined ? fallback : Number(text.replace('%', '')) / 100;
}

type PhaseInput = ExperimentInput['method']['phases'][number];

/** The scenario document one run of an experiment drives (its phases: steady state, method, after). */
function experimentDocument(team: Record<string, unknown>, gamedayName: string, exp: ExperimentInput, phases: PhaseInput[], afterMs: number): Record<string, unknown> {
  const load = { ...(team.load as Record<string, unknown>), ...(exp.method.load?.rate !== undefined ? { rate: exp.method.load.rate } : {}) };
  const { phases: _p, slo: _s, invariants: _i, name: _n, description: _d, ...rest } = team;
  return {
    ...rest,
    name: `${gamedayName}/${exp.name}`,
    load,
    phases: [{ name: STEADY_PHASE, duration: exp.steady_state.duration }, ...phases, { name: AFTER_PHASE, duration: afterMs }],
    slo: exp.hypothesis.slo ?? [],
    invariants: exp.hypothesis.invariants ?? [],
  };
}

/** Maps a path of the experiment's scenario document back to the game-day file. */
function mapPath(p: FieldPath, k: number, methodCount: number): FieldPath {
  const base: FieldPath = ['experiments', k];
  const [head, index, ...rest] = p;
  if (head === 'phases' && typeof index === 'number') {
    if (index === 0 || index === methodCount + 1) return [...base, 'steady_state'];
    return [...base, 'method', 'phases', index - 1, ...rest];
  }
  if (head === 'slo') return [...base, 'hypothesis', 'slo', ...(index !== undefined ? [index] : []), ...rest];
  if (head === 'invariants') return [...base, 'hypothesis', 'invariants', ...(index !== undefined ? [index] : []), ...rest];
  if (head === 'load' && index === 'rate') return [...base, 'method', 'load', 'rate'];
  return ['team', 'scenario'];
}

/** The team an experiment runs on: its scenario document as written, its file, and the game day's name. */
interface TeamSource {
  raw: Record<string, unknown>;
  file: string;
  gameday: string;
}

function buildExperiment(exp: ExperimentInput, k: number, team: TeamSource, restartAll: boolean, issues: ValidationIssue[]): Experiment | undefined {
  const at = (...p: FieldPath): FieldPath => ['experiments', k, ...p];
  const before = issues.length;
  const steadyMs = tryParseDuration(exp.steady_state.duration) ?? 0;
  let recovery: RecoveryClause | undefined;
  const r = exp.hypothesis.recovery;
  if (r) {
    recovery = { withinMs: tryParseDuration(r.within) ?? 0, goodput: percent(r.goodput, 0.9), p99: percent(r.p99, 1.5), windowMs: r.window !== undefined ? (tryParseDuration(r.window) ?? 0) : DEFAULT_RECOVERY_WINDOW_MS };
    if (recovery.goodput <= 0 || recovery.goodput > 1) issues.push({ path: at('hypothesis', 'recovery', 'goodput'), message: `got ${r.goodput}, expected a share above 0% and at most 100% of the steady state` });
    if (recovery.p99 < 1) issues.push({ path: at('hypothesis', 'recovery', 'p99'), message: `got ${r.p99}, expected at least 100% of the steady state` });
    if (recovery.windowMs <= 0 || recovery.windowMs > steadyMs) issues.push({ path: at('hypothesis', 'recovery', 'window'), message: `got ${formatDuration(recovery.windowMs)}, expected a window above 0 and at most the steady state (${formatDuration(steadyMs)})` });
  }
  if (!exp.method.phases.some((p) => (p.faults ?? []).length > 0)) issues.push({ path: at('method', 'phases'), message: 'got no fault in any phase, expected at least one (an experiment injects something)' });
  for (const [i, p] of exp.method.phases.entries()) {
    if (p.name === STEADY_PHASE || p.name === AFTER_PHASE) issues.push({ path: at('method', 'phases', i, 'name'), message: `got ${JSON.stringify(p.name)}, expected a name other than "${STEADY_PHASE}" and "${AFTER_PHASE}" (the game day's own phases)` });
  }
  // After the method: the steady state again; with a recovery clause, the recovery window first.
  const afterMs = steadyMs + (recovery?.withinMs ?? 0);
  const invariantNames = (exp.hypothesis.invariants ?? []).map((i) => i.name);
  const abort: AbortCondition[] = [];
  for (const [i, text] of (exp.abort ?? []).entries()) {
    try {
      abort.push(parseAbortCondition(text, invariantNames));
    } catch (err) {
      if (!(err instanceof AbortConditionError)) throw err;
      issues.push({ path: at('abort', i), message: err.message });
    }
  }
  const rollback: RollbackStep[] = [];
  for (const [i, step] of (exp.rollback ?? []).entries()) {
    const spec = typeof step === 'object' && !Array.isArray(step) ? step : { command: step };
    const argv = Array.isArray(spec.command) ? [...spec.command] : splitCommandLine(spec.command);
    if (!argv || argv.length === 0) {
      issues.push({ path: at('rollback', i), message: 'got a command that cannot be split into words, expected a command line or a list of words' });
      continue;
    }
    rollback.push({ name: spec.name ?? argv.join(' '), command: argv, timeoutMs: spec.timeout !== undefined ? (tryParseDuration(spec.timeout) ?? DEFAULT_ROLLBACK_TIMEOUT_MS) : DEFAULT_ROLLBACK_TIMEOUT_MS });
  }

  const check = (doc: Record<string, unknown>, label?: FieldPath): void => {
    for (const issue of validateScenarioSemantics(doc, defaultSemanticOptions())) {
      const mapped = mapPath(issue.path, k, exp.method.phases.length);
      issues.push({ ...issue, path: label ?? mapped, message: label ? `${formatPath(mapped)}: ${issue.message}` : issue.message });
    }
  };
  const doc = experimentDocument(team.raw, team.gameday, exp, exp.method.phases, afterMs);
  check(doc);
  const sweep = exp.sweep && issues.length === before ? buildSweep(exp, k, team, afterMs, check, issues) : undefined;
  if (issues.length > before) return undefined;
  return {
    name: exp.name,
    ...(exp.description ? { description: exp.description } : {}),
    weight: exp.weight ?? 1,
    restart: exp.restart ?? restartAll,
    steadyMs,
    methodPhases: exp.method.phases.map((p) => p.name),
    ...(recovery ? { recovery } : {}),
    abort,
    rollback,
    scenario: toScenario(doc, team.file),
    ...(sweep ? { sweep } : {}),
  };
}

function toScenario(doc: Record<string, unknown>, teamFile: string): Scenario {
  try {
    return scenarioFromValue(doc, { baseDir: path.dirname(teamFile), sourceFile: teamFile });
  } catch (err) {
    // The semantic pass ran on the same document; a schema-level miss here is a bug, not the user's.
    if (err instanceof ScenarioValidationError) throw new Error(`the experiment's scenario did not validate: ${err.message}`);
    throw err;
  }
}

function buildSweep(exp: ExperimentInput, k: number, team: TeamSource, afterMs: number, check: (doc: Record<string, unknown>, label?: FieldPath) => void, issues: ValidationIssue[]): Sweep | undefined {
  const s = exp.sweep!;
  const at = (...p: FieldPath): FieldPath => ['experiments', k, 'sweep', ...p];
  if (!exp.hypothesis.recovery) {
    issues.push({ path: at(), message: 'got a sweep without hypothesis.recovery, expected a recovery clause (the sweep reports where it starts to fail)' });
    return undefined;
  }
  const phaseIndex = s.phase !== undefined ? exp.method.phases.findIndex((p) => p.name === s.phase) : exp.method.phases.findIndex((p) => (p.faults ?? []).length > 0);
  if (phaseIndex < 0) {
    issues.push({ path: at('phase'), message: `got ${JSON.stringify(s.phase)}, expected one of the method's phases: ${exp.method.phases.map((p) => p.name).join(', ')}` });
    return undefined;
  }
  const phase = exp.method.phases[phaseIndex]!;
  const faultIndex = s.fault ?? 0;
  const fault = (phase.faults ?? [])[faultIndex];
  if (!fault) {
    issues.push({ path: at('fault'), message: `got ${faultIndex}, expected the index of one of phase ${phase.name}'s ${(phase.faults ?? []).length} faults` });
    return undefined;
  }
  const magnitudes = [...s.magnitudes].sort((a, b) => a - b);
  const durationsMs = s.durations.map((d) => tryParseDuration(d) ?? 0).sort((a, b) => a - b);
  const cells: Sweep['cells'] = [];
  for (const durationMs of durationsMs) {
    for (const magnitude of magnitudes) {
      const phases = exp.method.phases.map((p, i) =>
        i !== phaseIndex ? p : { ...p, duration: durationMs, faults: (p.faults ?? []).map((f, j) => (j !== faultIndex ? f : { ...f, attributes: { ...(f.attributes ?? {}), [s.attribute]: magnitude } })) },
      );
      const doc = experimentDocument(team.raw, team.gameday, exp, phases, afterMs);
      const n = issues.length;
      check(doc, at('magnitudes'));
      if (issues.length > n) return undefined;
      cells.push({ magnitude, durationMs, scenario: toScenario(doc, team.file) });
    }
  }
  return { phase: phase.name, fault: faultIndex, edge: String(fault.edge), type: String(fault.type), attribute: s.attribute, magnitudes, durationsMs, cells };
}
