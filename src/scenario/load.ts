/**
 * Loading a scenario: read the file (YAML, JSON, or a JS/TS module whose default export is a
 * `defineScenario()` value), validate it, and turn it into the {@link Scenario} model. Every
 * problem of a file is reported at once, sorted, as `FILE:LINE:COL: field.path: what is wrong,
 * expected what`, in one {@link ScenarioValidationError} (exit 2).
 */
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { AgentcheckError } from '../errors.js';
import { splitCommandLine } from './command-line.js';
import { parseDuration } from './duration.js';
import type {
  AgentInput,
  CommandInput,
  InvariantInput,
  Readiness,
  Scenario,
  ScenarioFault,
  ScenarioInput,
  ScenarioInvariant,
  ScenarioPhase,
} from './types.js';
import { decodeScenarioBytes } from './text-encoding.js';
import { formatPath, type ValidationIssue } from './validate-issue.js';
import { DEFAULT_LOAD_RATE, defaultToxicCatalogue, type SemanticOptions, type ToxicCatalogue } from './validate-semantics.js';
import { defaultSemanticOptions, validateScenarioValue } from './validate.js';
import { loadRequestsOf, loadWorkflowsOf } from '../workflow/scenario.js';
import { locate, parseScenarioSource } from './yaml-source.js';

/** One located problem in a scenario file. */
export interface ScenarioIssue {
  /** The file as the user named it, when there is one. */
  file?: string;
  /** 1-based; absent for scenarios that did not come from text (TS modules). */
  line?: number;
  col?: number;
  /** `agents[0].command`, or `(root)`, or `(yaml)` for a syntax error. */
  path: string;
  message: string;
  /** The whole line as printed: `FILE:LINE:COL: path: message`. */
  text: string;
}

/** An invalid scenario: every issue of the file; exit code 2. */
export class ScenarioValidationError extends AgentcheckError {
  constructor(
    readonly issues: ScenarioIssue[],
    readonly file?: string,
  ) {
    const n = issues.length;
    super(
      'config',
      `invalid scenario${file ? ` ${file}` : ''} (${n} ${n === 1 ? 'error' : 'errors'}):\n${issues.map((i) => i.text).join('\n')}`,
      'see docs/scenario.md; editors complete and check fields with schema/scenario.schema.json',
    );
  }
}

/**
 * True for a {@link ScenarioValidationError}, also one thrown by another copy of agentcheck (a
 * scenario module importing its own installed `agentcheck` for `defineScenario`).
 */
export function isScenarioValidationError(err: unknown): err is ScenarioValidationError {
  return (
    err instanceof ScenarioValidationError ||
    (err instanceof Error && err.name === 'AgentcheckError' && Array.isArray((err as { issues?: unknown }).issues))
  );
}

/** Options of the loaders. */
export interface LoadScenarioOptions extends SemanticOptions {
  /** The file name used in messages. */
  file?: string;
  /** Folder that relative paths (cwd, build context) resolve against. Default: the file's folder, else the process cwd. */
  baseDir?: string;
}

const YAML_EXT = new Set(['.yaml', '.yml', '.json']);
const MODULE_EXT = new Set(['.js', '.mjs', '.cjs', '.ts', '.mts']);

/**
 * Loads and validates a scenario file: `.yaml`, `.yml`, `.json`, or a `.js`/`.mjs`/`.ts` module
 * whose default export is a scenario (see `defineScenario`). Throws {@link ScenarioValidationError}
 * or {@link AgentcheckError} (`config`, exit 2) on any problem.
 */
export async function loadScenarioFile(file: string, options: Omit<LoadScenarioOptions, 'file'> = {}): Promise<Scenario> {
  const ext = path.extname(file).toLowerCase();
  const abs = path.resolve(file);
  const baseDir = options.baseDir ?? path.dirname(abs);
  if (YAML_EXT.has(ext)) {
    let bytes: Uint8Array;
    try {
      bytes = await readFile(abs);
    } catch (err) {
      throw readError(file, err);
    }
    const decoded = decodeScenarioBytes(bytes);
    if ('problem' in decoded) {
      const { line, col, message } = decoded.problem;
      throw new ScenarioValidationError([{ file, line, col, path: '(file)', message, text: `${file}:${line}:${col}: ${message}` }], file);
    }
    return parseScenarioText(decoded.text, { ...options, file, baseDir, sourceFile: abs });
  }
  if (MODULE_EXT.has(ext)) {
    try {
      if (!(await stat(abs)).isFile()) throw Object.assign(new Error('not a file'), { code: 'EISDIR' });
    } catch (err) {
      throw readError(file, err);
    }
    const value = await importScenarioModule(file, abs);
    return scenarioFromValue(value, { ...options, file, baseDir, sourceFile: abs });
  }
  throw new AgentcheckError(
    'config',
    `${file}: unknown scenario file type "${ext || '(none)'}", expected .yaml, .yml, .json, .js, .mjs or .ts`,
  );
}

function readError(file: string, err: unknown): AgentcheckError {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const why =
    code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : code === 'EACCES' ? 'permission denied' : `cannot read (${code ?? String(err)})`;
  return new AgentcheckError('config', `${file}: ${why}`);
}

async function importScenarioModule(file: string, abs: string): Promise<unknown> {
  let mod: { default?: unknown };
  try {
    mod = (await import(pathToFileURL(abs).href)) as { default?: unknown };
  } catch (err) {
    if (isScenarioValidationError(err)) {
      // defineScenario() threw while the module ran: name the file in every line.
      throw new ScenarioValidationError(
        err.issues.map((i) => ({ ...i, file, text: `${file}: ${i.path}: ${i.message}` })),
        file,
      );
    }
    if (err instanceof AgentcheckError) throw err;
    const code = (err as NodeJS.ErrnoException | undefined)?.code;
    if (code === 'ERR_UNKNOWN_FILE_EXTENSION') {
      throw new AgentcheckError(
        'config',
        `${file}: this Node cannot import TypeScript directly, expected a .js/.mjs scenario module`,
        'compile the module to JavaScript, or run with a TypeScript loader: node --import tsx …',
      );
    }
    const why = err instanceof Error ? err.message.split('\n')[0] : String(err);
    throw new AgentcheckError('config', `${file}: the module failed to load: ${why}`, undefined, { cause: err });
  }
  if (mod.default === undefined) {
    throw new AgentcheckError('config', `${file}: no default export, expected \`export default defineScenario({ … })\``);
  }
  return mod.default;
}

interface TextSource extends LoadScenarioOptions {
  /** Absolute path of the file, recorded in the model. */
  sourceFile?: string;
}

/**
 * Parses and validates scenario text (YAML or JSON). Throws {@link ScenarioValidationError} with
 * every issue located as `FILE:LINE:COL`.
 */
export function parseScenarioText(text: string, options: TextSource = {}): Scenario {
  const file = options.file ?? '<scenario>';
  const source = parseScenarioSource(text);
  const at = (offset: number): { line: number; col: number } => source.lines.linePos(offset);
  const issueAt = (offset: number, path: string, message: string): ScenarioIssue => {
    const { line, col } = at(offset);
    return { file, line, col, path, message, text: `${file}:${line}:${col}: ${path === '(yaml)' ? '' : `${path}: `}${message}` };
  };
  if (source.problems.length > 0) {
    const issues = source.problems.map((p) => issueAt(p.offset, p.path ? formatPath(p.path) : '(yaml)', p.message));
    throw new ScenarioValidationError(sortIssues(issues), file);
  }

  let value: unknown;
  try {
    value = source.doc.toJS({ maxAliasCount: 1000 });
  } catch (err) {
    // Unresolved and self-containing aliases were reported above; what is left is alias expansion.
    const why = err instanceof Error && /alias count/i.test(err.message) ? 'got aliases that expand to more than 1000 nodes' : `got ${err instanceof Error ? err.message : String(err)}`;
    throw new ScenarioValidationError([issueAt(0, '(yaml)', `${why}, expected a plain document`)], file);
  }
  if (value === null || value === undefined) {
    const message = 'got an empty document, expected a map with name, agents, edges, phases';
    throw new ScenarioValidationError([{ file, line: 1, col: 1, path: '(root)', message, text: `${file}:1:1: (root): ${message}` }], file);
  }

  const raw = validateScenarioValue(value, options);
  if (raw.length > 0) {
    const issues = raw.map((issue) => issueAt(locate(source, issue), formatPath(issue.path), issue.message));
    throw new ScenarioValidationError(sortIssues(issues), file);
  }
  const baseDir = options.baseDir ?? (options.sourceFile ? path.dirname(options.sourceFile) : process.cwd());
  return toScenario(value as ScenarioInput, { baseDir, ...(options.sourceFile ? { file: options.sourceFile } : {}) }, options.toxics);
}

/**
 * Validates an already-built scenario value (a `defineScenario()` result or a parsed object) and
 * returns the model. Issues carry field paths but no positions.
 */
export function scenarioFromValue(value: unknown, options: TextSource = {}): Scenario {
  const raw = validateScenarioValue(value, options);
  if (raw.length > 0) throw new ScenarioValidationError(issuesWithoutPositions(raw, options.file), options.file);
  const baseDir = options.baseDir ?? (options.sourceFile ? path.dirname(options.sourceFile) : process.cwd());
  return toScenario(value as ScenarioInput, { baseDir, ...(options.sourceFile ? { file: options.sourceFile } : {}) }, options.toxics);
}

/** Issues of a value with no source text: `FILE: path: message` (or `path: message`), sorted by path. */
export function issuesWithoutPositions(raw: ValidationIssue[], file?: string): ScenarioIssue[] {
  return raw
    .map((issue) => {
      const p = formatPath(issue.path);
      return { ...(file ? { file } : {}), path: p, message: issue.message, text: `${file ? `${file}: ` : ''}${p}: ${issue.message}` };
    })
    .sort((a, b) => (a.text < b.text ? -1 : a.text > b.text ? 1 : 0));
}

function sortIssues(issues: ScenarioIssue[]): ScenarioIssue[] {
  const seen = new Set<string>();
  return issues
    .sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.col ?? 0) - (b.col ?? 0) || (a.text < b.text ? -1 : a.text > b.text ? 1 : 0))
    .filter((i) => !seen.has(i.text) && seen.add(i.text) !== undefined);
}

// ---------------------------------------------------------------------------------------------
// From a validated input to the model.

const READINESS_TIMEOUT_MS = 10_000;
const LOAD_RATE = DEFAULT_LOAD_RATE;
const LOAD_CONNECTIONS = 10;
const LOAD_TIMEOUT_MS = 2_000;
// A scenario's generator shares the machine with every agent it starts, so short scheduling
// hiccups are expected; late sends only add to measured latency (it counts from the intended
// start), they never hide it. A dedicated `agentcheck load` keeps the strict 10 ms / 1 %.
const LOAD_LATE_TOLERANCE_MS = 50;
const LOAD_MAX_LATE = 0.05;

function argv(command: CommandInput): string[] {
  return Array.isArray(command) ? [...command] : (splitCommandLine(command) ?? []);
}

function readinessOf(agent: AgentInput): Readiness {
  const r = agent.readiness ?? {};
  const timeoutMs = r.timeout !== undefined ? parseDuration(r.timeout, 'readiness.timeout') : READINESS_TIMEOUT_MS;
  return r.http !== undefined ? { kind: 'http', path: r.http, timeoutMs } : { kind: 'tcp', timeoutMs };
}

/**
 * Turns a validated {@link ScenarioInput} into the {@link Scenario} model: durations in ms,
 * defaults filled, paths absolute. Call only on input that passed validation.
 */
export function toScenario(
  input: ScenarioInput,
  source: { baseDir: string; file?: string },
  toxics: ToxicCatalogue = defaultSemanticOptions().toxics ?? defaultToxicCatalogue,
): Scenario {
  const messageLevel = toxics.messageLevel;
  const edgeProtocol = new Map<string, string>(input.edges.map((e) => [`${e.from}->${e.to}`, e.protocol ?? 'http']));
  let startMs = 0;
  const phases: ScenarioPhase[] = input.phases.map((phase) => {
    const durationMs = parseDuration(phase.duration, 'phases.duration');
    const faults: ScenarioFault[] = (phase.faults ?? []).map((f, i) => {
      const [from = '', to = ''] = f.edge.split('->');
      return {
        edge: f.edge,
        from,
        to,
        type: f.type,
        name: f.name ?? `${phase.name}-${f.type}-${i}`,
        ...(f.stream !== undefined ? { stream: f.stream } : {}),
        // A message-level toxic fires per request with probability = toxicity (the chaos proxy's rule).
        toxicity: f.probability ?? f.toxicity ?? 1,
        attributes: { ...(f.attributes ?? {}) },
        messageLevel: messageLevel.has(f.type) && edgeProtocol.get(f.edge) !== 'tcp',
        ...(f.match !== undefined ? { match: { ...f.match } } : {}),
        ...(f.probability !== undefined ? { probability: f.probability } : {}),
        ...(f.first !== undefined ? { first: f.first } : {}),
        ...(f.every !== undefined ? { every: f.every } : {}),
      };
    });
    const out: ScenarioPhase = { name: phase.name, durationMs, startMs, faults };
    if (phase.load !== undefined) out.load = { ...phase.load };
    startMs += durationMs;
    return out;
  });
  const totalDurationMs = startMs;

  const scenario: Scenario = {
    name: input.name,
    warmupMs: input.warmup !== undefined ? parseDuration(input.warmup, 'warmup') : 0,
    chaos: { backend: input.chaos?.backend ?? 'embedded' },
    runtime: input.runtime ?? 'process',
    agents: input.agents.map((a) => ({
      name: a.name,
      ...(a.url !== undefined ? { url: a.url.replace(/\/+$/, '') } : {}),
      ...(a.command !== undefined ? { command: argv(a.command) } : {}),
      cwd: path.resolve(source.baseDir, a.cwd ?? '.'),
      env: Object.fromEntries(Object.entries(a.env ?? {}).map(([k, v]) => [k, String(v)])),
      ...(a.image !== undefined ? { image: a.image } : {}),
      ...(a.build !== undefined
        ? {
            build: {
              context: path.resolve(source.baseDir, a.build.context),
              ...(a.build.dockerfile !== undefined ? { dockerfile: a.build.dockerfile } : {}),
            },
          }
        : {}),
      port: a.port ?? 'auto',
      readiness: readinessOf(a),
    })),
    edges: input.edges.map((e) => ({
      id: `${e.from}->${e.to}`,
      from: e.from,
      to: e.to,
      env: e.env ?? '',
      protocol: e.protocol ?? 'http',
      ...(e.proxy !== undefined ? { proxy: { ...e.proxy, api: e.proxy.api.replace(/\/+$/, '') } } : {}),
    })),
    phases,
    slo: (input.slo ?? []).map((s) =>
      typeof s === 'string' ? { name: s, budget: s } : { name: s.name ?? s.budget, budget: s.budget, ...(s.phases ? { phases: [...s.phases] } : {}) },
    ),
    invariants: (input.invariants ?? []).map((inv) => invariantOf(inv, source.baseDir)),
    detectors: input.detectors ?? {},
    totalDurationMs,
    source: { baseDir: source.baseDir, ...(source.file !== undefined ? { file: source.file } : {}) },
  };
  if (input.description !== undefined) scenario.description = input.description;
  if (input.seed !== undefined) scenario.seed = String(input.seed);
  if (input.chaos?.url !== undefined) scenario.chaos.url = input.chaos.url;
  if (input.chaos?.image !== undefined) scenario.chaos.image = input.chaos.image;
  if (input.load !== undefined) {
    const l = input.load;
    scenario.load = {
      target: l.target,
      model: l.model ?? 'open',
      rate: l.rate ?? LOAD_RATE,
      connections: l.connections ?? LOAD_CONNECTIONS,
      generators: l.generators ?? 1,
      durationMs: l.duration !== undefined ? parseDuration(l.duration, 'load.duration') : totalDurationMs,
      timeoutMs: l.timeout !== undefined ? parseDuration(l.timeout, 'load.timeout') : LOAD_TIMEOUT_MS,
      lateToleranceMs: l.late_tolerance !== undefined ? parseDuration(l.late_tolerance, 'load.late_tolerance') : LOAD_LATE_TOLERANCE_MS,
      maxLateFraction: l.max_late ?? LOAD_MAX_LATE,
      requests: loadRequestsOf(l),
      ...loadWorkflowsOf(l),
    };
  }
  return scenario;
}

function invariantOf(inv: InvariantInput, baseDir: string): ScenarioInvariant {
  const after = inv.after ?? 'end';
  const during = inv.during === 'each-phase' ? { duringIntervalMs: parseDuration(inv.interval ?? '1s', 'invariants.interval') } : {};
  if (inv.http !== undefined) return { kind: 'http', name: inv.name, after, agent: inv.http.agent, path: inv.http.path, ...during };
  if (inv.exactly_once !== undefined) {
    const { join } = inv.exactly_once;
    return { kind: 'exactly_once', name: inv.name, after, effects: { ...inv.exactly_once.effects }, key: inv.exactly_once.key, ...(join !== undefined ? { join } : {}) };
  }
  return { kind: 'command', name: inv.name, after, command: argv(inv.command ?? []), cwd: baseDir, ...during };
}
