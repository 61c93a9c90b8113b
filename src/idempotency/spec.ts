/**
 * The idempotency spec file (YAML or JSON) of `agentcheck idempotency`: which operation to call,
 * how to read its effects, how to reset the target, and which answers to expect. Parsed with the
 * `yaml` package's LineCounter so every problem is reported as `file:line:col: message` (exit 2).
 *
 * ```yaml
 * operation:
 *   method: POST                  # default POST
 *   path: /charges
 *   keyHeader: Idempotency-Key    # default Idempotency-Key
 *   headers: {}                   # extra request headers
 *   body:
 *     schema: {…}                 # JSON Schema subset, and/or
 *     examples: [{…}]             # fixed payloads
 *     invalidExamples: [{…}]      # optional; derived from the schema otherwise
 *     invalidShapes: [missing-required, wrong-property, extra-property, null-body, other-body]  # default all
 * effects:
 *   probe: { method: GET, path: /ledger, list: effects, key: key }   # or
 *   command: { run: "node read-ledger.mjs", list: "", key: key, timeoutMs: 10000 }
 * reset: { method: POST, path: /reset }   # optional, called before every run
 * expect: { success: [201], conflict: 409, payloadMismatch: 422, missingKey: 400, validation: 400, replayIgnore: [], concurrency: conflict }
 * properties: [duplicate-delivery, …]      # default: all six HTTP properties
 * deliveries: { maxDuplicates: 4, concurrency: 3, timeoutMs: 5000 }
 * ```
 */
import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { isMap, isPair, isScalar, LineCounter, parseDocument, type Document } from 'yaml';
import { AgentcheckError } from '../errors.js';
import { brief } from './compare.js';
import { checkSchema, INVALID_SHAPES, schemaErrors, type InvalidShape, type JsonSchema } from './json-schema.js';
import { IDEMPOTENCY_PROPERTIES, type IdempotencyProperty } from './types.js';

/** The properties the black-box HTTP checker can test (expiry and commutativity are in-process only). */
export const HTTP_PROPERTIES: readonly IdempotencyProperty[] = [
  'duplicate-delivery',
  'response-replay',
  'key-payload-binding',
  'concurrent-duplicates',
  'missing-key',
  'validation-stores-nothing',
];

/** How to read the effects: an HTTP probe on the target, or a shell command printing JSON. */
export type EffectsSource =
  | { kind: 'probe'; method: string; path: string; list: string; key: string }
  | { kind: 'command'; run: string; list: string; key: string; timeoutMs: number; cwd: string };

/** A validated spec with every default filled in. */
export interface IdempotencySpec {
  /** The file it was read from (for messages and replay commands). */
  file: string;
  name?: string;
  operation: {
    method: string;
    path: string;
    keyHeader: string;
    headers: Record<string, string>;
    /** `invalidShapes`: the shapes of invalid payload generated from the schema (default all). */
    body: { schema?: JsonSchema; examples?: unknown[]; invalidExamples?: unknown[]; invalidShapes?: InvalidShape[] };
  };
  effects: EffectsSource;
  reset?: { method: string; path: string };
  expect: {
    /** Success statuses; undefined means any 2xx. */
    success?: number[];
    conflict: number;
    payloadMismatch: number;
    /** Undefined when a key is optional (the missing-key property is then left out). */
    missingKey?: number;
    validation: number;
    replayIgnore: string[];
    /**
     * What correct concurrent handling looks like: `conflict` (losers get the conflict status; a run
     * counts as exercised only when one did) or `single-effect` (the target may serialise copies and
     * replay; a run counts when the copies overlapped on the wire). Default `conflict`.
     */
    concurrency: 'conflict' | 'single-effect';
  };
  properties: IdempotencyProperty[];
  deliveries: { maxDuplicates: number; concurrency: number; timeoutMs: number };
}

type Path = (string | number)[];

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];

class Problems {
  readonly list: { path: Path; message: string; atKey: boolean }[] = [];
  add(path: Path, message: string, atKey = false): void {
    this.list.push({ path, message, atKey });
  }
}

function isObj(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function keysOnly(p: Problems, v: Record<string, unknown>, at: Path, allowed: string[]): void {
  for (const k of Object.keys(v)) {
    if (!allowed.includes(k)) p.add([...at, k], `unknown field '${k}' (expected one of: ${allowed.join(', ')})`, true);
  }
}

function str(p: Problems, v: unknown, at: Path, what: string, fallback?: string): string {
  if (v === undefined && fallback !== undefined) return fallback;
  if (typeof v !== 'string' || v === '') {
    p.add(at, `${what} must be a non-empty string${v === undefined ? ' (missing)' : `, got ${brief(v)}`}`);
    return fallback ?? '';
  }
  return v;
}

function int(p: Problems, v: unknown, at: Path, what: string, fallback: number, min: number, max: number): number {
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    p.add(at, `${what} must be an integer between ${min} and ${max}, got ${brief(v)}`);
    return fallback;
  }
  return v;
}

function status(p: Problems, v: unknown, at: Path, what: string, fallback: number): number {
  return int(p, v, at, what, fallback, 100, 599);
}

function method(p: Problems, v: unknown, at: Path, fallback: string): string {
  if (v === undefined) return fallback;
  const m = typeof v === 'string' ? v.toUpperCase() : '';
  if (!METHODS.includes(m)) p.add(at, `method must be one of ${METHODS.join(', ')}, got ${brief(v)}`);
  return m || fallback;
}

function urlPath(p: Problems, v: unknown, at: Path, what: string): string {
  const s = str(p, v, at, what);
  if (s && !s.startsWith('/')) p.add(at, `${what} must start with '/', got ${brief(s)}`);
  return s;
}

/** An endpoint given as a path string or `{method, path}`. */
function endpoint(p: Problems, v: unknown, at: Path, defaultMethod: string, extra: string[] = []): Record<string, unknown> & { method: string; path: string } {
  if (typeof v === 'string') return { method: defaultMethod, path: urlPath(p, v, at, 'path') };
  if (!isObj(v)) {
    p.add(at, `expected a path ('/reset') or {method, path}, got ${brief(v)}`);
    return { method: defaultMethod, path: '/' };
  }
  keysOnly(p, v, at, ['method', 'path', ...extra]);
  return { ...v, method: method(p, v.method, [...at, 'method'], defaultMethod), path: urlPath(p, v.path, [...at, 'path'], 'path') };
}

function validate(raw: unknown, file: string, dir: string, p: Problems): IdempotencySpec {
  if (!isObj(raw)) {
    p.add([], 'the spec must be a mapping with operation, effects and (optionally) reset, expect, properties, deliveries');
    raw = {};
  }
  const doc = raw as Record<string, unknown>;
  keysOnly(p, doc, [], ['name', 'description', 'operation', 'effects', 'reset', 'expect', 'properties', 'deliveries']);

  // operation
  const op = isObj(doc.operation) ? doc.operation : {};
  if (!isObj(doc.operation)) p.add(doc.operation === undefined ? [] : ['operation'], 'operation is required: {method, path, keyHeader, body}');
  keysOnly(p, op, ['operation'], ['method', 'path', 'keyHeader', 'headers', 'body']);
  const headers: Record<string, string> = {};
  if (op.headers !== undefined) {
    if (!isObj(op.headers)) p.add(['operation', 'headers'], 'headers must map header names to strings');
    else {
      for (const [h, v] of Object.entries(op.headers)) {
        if (typeof v !== 'string') p.add(['operation', 'headers', h], `header ${h} must be a string, got ${brief(v)}`);
        else headers[h] = v;
      }
    }
  }
  const body: IdempotencySpec['operation']['body'] = {};
  const rawBody = op.body;
  if (!isObj(rawBody)) {
    p.add(rawBody === undefined ? ['operation'] : ['operation', 'body'], 'operation.body is required: {schema} and/or {examples}');
  } else {
    keysOnly(p, rawBody, ['operation', 'body'], ['schema', 'examples', 'invalidExamples', 'invalidShapes']);
    if (rawBody.invalidShapes !== undefined) {
      const list = rawBody.invalidShapes;
      const known = (v: unknown): v is InvalidShape => INVALID_SHAPES.includes(v as InvalidShape);
      if (!Array.isArray(list) || list.length === 0) p.add(['operation', 'body', 'invalidShapes'], `invalidShapes must be a non-empty list of: ${INVALID_SHAPES.join(', ')}`);
      else {
        list.forEach((v, i) => {
          if (!known(v)) p.add(['operation', 'body', 'invalidShapes', i], `unknown invalid-payload shape ${brief(v)}, expected one of: ${INVALID_SHAPES.join(', ')}`);
        });
        body.invalidShapes = list.filter(known);
      }
    }
    if (rawBody.schema !== undefined) {
      const problems = checkSchema(rawBody.schema);
      for (const sp of problems) p.add(['operation', 'body', 'schema', ...sp.path], sp.message, sp.atKey);
      if (problems.length === 0) body.schema = rawBody.schema as JsonSchema;
    }
    for (const field of ['examples', 'invalidExamples'] as const) {
      const list = rawBody[field];
      if (list === undefined) continue;
      if (!Array.isArray(list) || list.length === 0) {
        p.add(['operation', 'body', field], `${field} must be a non-empty list of JSON bodies`);
        continue;
      }
      if (body.schema) {
        list.forEach((ex, i) => {
          const errs = schemaErrors(ex, body.schema as JsonSchema);
          if (field === 'examples' && errs.length > 0) p.add(['operation', 'body', field, i], `example does not match the schema: ${errs.join('; ')}`);
          if (field === 'invalidExamples' && errs.length === 0) p.add(['operation', 'body', field, i], 'this invalid example is valid against the schema');
        });
      }
      body[field] = list;
    }
    if (rawBody.schema === undefined && rawBody.examples === undefined) {
      p.add(['operation', 'body'], 'operation.body needs a schema or examples to generate requests from');
    }
  }
  const operation: IdempotencySpec['operation'] = {
    method: method(p, op.method, ['operation', 'method'], 'POST'),
    path: urlPath(p, op.path, ['operation', 'path'], 'operation.path'),
    keyHeader: str(p, op.keyHeader, ['operation', 'keyHeader'], 'keyHeader', 'Idempotency-Key'),
    headers,
    body,
  };

  // effects
  let effects: EffectsSource = { kind: 'probe', method: 'GET', path: '/', list: '', key: 'key' };
  if (!isObj(doc.effects)) {
    p.add(doc.effects === undefined ? [] : ['effects'], 'effects is required: {probe: {path, list, key}} or {command: {run, list, key}}');
  } else {
    const e = doc.effects;
    keysOnly(p, e, ['effects'], ['probe', 'command']);
    if ((e.probe === undefined) === (e.command === undefined)) {
      p.add(['effects'], 'effects needs exactly one of probe or command');
    } else if (e.probe !== undefined) {
      const ep = endpoint(p, e.probe, ['effects', 'probe'], 'GET', ['list', 'key']);
      const at: Path = ['effects', 'probe'];
      effects = {
        kind: 'probe',
        method: ep.method,
        path: ep.path,
        list: ep.list === undefined ? '' : typeof ep.list === 'string' ? ep.list : (p.add([...at, 'list'], 'list must be a dotted path string'), ''),
        key: str(p, ep.key, [...at, 'key'], 'key', 'key'),
      };
    } else {
      const c = typeof e.command === 'string' ? { run: e.command } : e.command;
      const at: Path = ['effects', 'command'];
      if (!isObj(c)) p.add(at, 'command must be a string or {run, list, key, timeoutMs}');
      else {
        keysOnly(p, c, at, ['run', 'list', 'key', 'timeoutMs']);
        effects = {
          kind: 'command',
          run: str(p, c.run, [...at, 'run'], 'run'),
          list: c.list === undefined ? '' : typeof c.list === 'string' ? c.list : (p.add([...at, 'list'], 'list must be a dotted path string'), ''),
          key: str(p, c.key, [...at, 'key'], 'key', 'key'),
          timeoutMs: int(p, c.timeoutMs, [...at, 'timeoutMs'], 'timeoutMs', 10_000, 1, 600_000),
          cwd: dir,
        };
      }
    }
  }

  const reset = doc.reset === undefined ? undefined : endpoint(p, doc.reset, ['reset'], 'POST');

  // expect
  const ex = doc.expect === undefined ? {} : isObj(doc.expect) ? doc.expect : (p.add(['expect'], 'expect must be a mapping'), {});
  keysOnly(p, ex, ['expect'], ['success', 'conflict', 'payloadMismatch', 'missingKey', 'validation', 'replayIgnore', 'concurrency']);
  let success: number[] | undefined;
  if (ex.success !== undefined) {
    if (!Array.isArray(ex.success) || ex.success.length === 0) p.add(['expect', 'success'], 'success must be a non-empty list of statuses');
    else success = ex.success.map((s, i) => status(p, s, ['expect', 'success', i], 'a success status', 200));
  }
  let missingKey: number | undefined = 400;
  if (ex.missingKey === false) missingKey = undefined;
  else missingKey = status(p, ex.missingKey, ['expect', 'missingKey'], 'missingKey (or false when the key is optional)', 400);
  let replayIgnore: string[] = [];
  if (ex.replayIgnore !== undefined) {
    if (!Array.isArray(ex.replayIgnore) || !ex.replayIgnore.every((x) => typeof x === 'string')) {
      p.add(['expect', 'replayIgnore'], 'replayIgnore must be a list of dotted body paths');
    } else replayIgnore = ex.replayIgnore as string[];
  }
  const expectations: IdempotencySpec['expect'] = {
    conflict: status(p, ex.conflict, ['expect', 'conflict'], 'conflict', 409),
    payloadMismatch: status(p, ex.payloadMismatch, ['expect', 'payloadMismatch'], 'payloadMismatch', 422),
    validation: status(p, ex.validation, ['expect', 'validation'], 'validation', 400),
    replayIgnore,
    concurrency: 'conflict',
  };
  if (ex.concurrency !== undefined) {
    if (ex.concurrency === 'conflict' || ex.concurrency === 'single-effect') expectations.concurrency = ex.concurrency;
    else p.add(['expect', 'concurrency'], `concurrency must be conflict or single-effect, got ${brief(ex.concurrency)}`);
  }
  if (success) expectations.success = success;
  if (missingKey !== undefined) expectations.missingKey = missingKey;

  // properties
  let properties = HTTP_PROPERTIES.filter((x) => x !== 'missing-key' || missingKey !== undefined);
  if (doc.properties !== undefined) {
    if (!Array.isArray(doc.properties) || doc.properties.length === 0) {
      p.add(['properties'], `properties must be a non-empty list of: ${HTTP_PROPERTIES.join(', ')}`);
    } else {
      properties = [];
      doc.properties.forEach((name, i) => {
        if (HTTP_PROPERTIES.includes(name as IdempotencyProperty)) properties.push(name as IdempotencyProperty);
        else if (IDEMPOTENCY_PROPERTIES.includes(name as IdempotencyProperty)) {
          p.add(['properties', i], `${name} needs an injected clock or declared operations: use the in-process checkIdempotency() for it`);
        } else p.add(['properties', i], `unknown property ${brief(name)} (expected one of: ${HTTP_PROPERTIES.join(', ')})`);
      });
      if (properties.includes('missing-key') && missingKey === undefined) {
        p.add(['properties'], 'missing-key is listed but expect.missingKey is false');
      }
    }
  }

  // deliveries
  const dl = doc.deliveries === undefined ? {} : isObj(doc.deliveries) ? doc.deliveries : (p.add(['deliveries'], 'deliveries must be a mapping'), {});
  keysOnly(p, dl, ['deliveries'], ['maxDuplicates', 'concurrency', 'timeoutMs']);
  const deliveries = {
    maxDuplicates: int(p, dl.maxDuplicates, ['deliveries', 'maxDuplicates'], 'maxDuplicates', 4, 2, 50),
    concurrency: int(p, dl.concurrency, ['deliveries', 'concurrency'], 'concurrency', 3, 2, 64),
    timeoutMs: int(p, dl.timeoutMs, ['deliveries', 'timeoutMs'], 'timeoutMs', 5000, 1, 600_000),
  };

  const spec: IdempotencySpec = { file, operation, effects, expect: expectations, properties, deliveries };
  if (typeof doc.name === 'string') spec.name = doc.name;
  if (reset) spec.reset = { method: reset.method, path: reset.path };
  return spec;
}

function keyPosition(doc: Document, lc: LineCounter, path: Path): { line: number; col: number } | undefined {
  if (path.length === 0) return undefined;
  const parent = path.length > 1 ? doc.getIn(path.slice(0, -1), true) : doc.contents;
  if (!isMap(parent)) return undefined;
  const last = String(path[path.length - 1]);
  const pair = parent.items.find((it) => isPair(it) && isScalar(it.key) && String(it.key.value) === last);
  const range = pair && isScalar(pair.key) ? pair.key.range : undefined;
  return range ? lc.linePos(range[0]) : undefined;
}

function locate(doc: Document, lc: LineCounter, path: Path, atKey: boolean): { line: number; col: number } {
  // Walk down as far as the path exists; a missing field is reported at its parent.
  for (let n = path.length; n >= 0; n--) {
    const sub = path.slice(0, n);
    if (atKey && n === path.length) {
      const pos = keyPosition(doc, lc, sub);
      if (pos) return pos;
    }
    const node = sub.length === 0 ? doc.contents : doc.getIn(sub, true);
    // A whole section (a mapping or list) is pointed at by its key: that is the line a reader looks for.
    if (node && !isScalar(node)) {
      const pos = keyPosition(doc, lc, sub);
      if (pos) return pos;
    }
    const range = (node as { range?: [number, number, number] } | null | undefined)?.range;
    if (range) return lc.linePos(range[0]);
  }
  return { line: 1, col: 1 };
}

/** Parses and validates spec text; throws a config {@link AgentcheckError} listing every problem as `file:line:col: …`. */
export function parseIdempotencySpec(text: string, file: string, dir = '.'): IdempotencySpec {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const lines = doc.errors.map((e) => {
      const pos = e.linePos?.[0] ?? { line: 1, col: 1 };
      return `${file}:${pos.line}:${pos.col}: ${e.message.split('\n')[0]?.replace(/ at line \d+, column \d+:?$/, '')}`;
    });
    throw new AgentcheckError('config', `invalid spec:\n${lines.join('\n')}`, 'the spec must be valid YAML or JSON');
  }
  const problems = new Problems();
  const spec = validate(doc.toJS(), file, dir, problems);
  if (problems.list.length > 0) {
    const lines = problems.list.map((pr) => {
      const pos = locate(doc, lc, pr.path, pr.atKey);
      const where = pr.path.length > 0 ? ` (${pr.path.join('.')})` : '';
      return `${file}:${pos.line}:${pos.col}: ${pr.message}${where}`;
    });
    throw new AgentcheckError(
      'config',
      `invalid spec (${problems.list.length} problem${problems.list.length === 1 ? '' : 's'}):\n${lines.join('\n')}`,
      'see docs/idempotency.md for the spec format',
    );
  }
  return spec;
}

/** Reads and validates a spec file (YAML or JSON). A missing file is a usage error (exit 2). */
export async function loadIdempotencySpec(file: string): Promise<IdempotencySpec> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new AgentcheckError('usage', `cannot read spec file ${file}: ${code ?? (e as Error).message}`);
  }
  return parseIdempotencySpec(text, file, dirname(file));
}
