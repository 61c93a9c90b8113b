/**
 * report.json: the whole {@link RunReport}, pretty-printed, `version` first. It is the source of truth
 * the other reports are rendered from, so it must serialise whatever a checker put in `details`.
 */
import { AgentcheckError } from '../errors.js';
import { REPORT_VERSION, type RunReport } from './model.js';

/**
 * A JSON replacer that never throws: bigints become strings, Errors become `{name, message}`, Maps and
 * Sets become objects and arrays, functions and symbols are dropped, and a circular reference becomes
 * the string `[Circular]` (JSON.stringify would throw on either).
 */
function safeReplacer(): (this: unknown, key: string, value: unknown) => unknown {
  // The ancestors of the value being serialised: a value that is its own ancestor is a cycle;
  // one that merely appears twice (shared, not circular) is written twice.
  const stack: Array<{ original: object; written: unknown }> = [];
  return function (this: unknown, _key: string, value: unknown): unknown {
    if (typeof value === 'bigint') return value.toString();
    if (typeof value === 'function' || typeof value === 'symbol') return undefined;
    if (value === null || typeof value !== 'object') return value;
    // `this` is the holder as written (after replacement), so the stack is matched on what was written.
    while (stack.length > 0 && stack[stack.length - 1]?.written !== this) stack.pop();
    if (stack.some((f) => f.original === value)) return '[Circular]';
    let written: unknown = value;
    if (value instanceof Error) {
      const e = value as Error & { code?: unknown };
      written = { name: e.name, message: e.message, ...(e.code !== undefined ? { code: e.code } : {}) };
    } else if (value instanceof Map) {
      written = Object.fromEntries(value);
    } else if (value instanceof Set) {
      written = [...value];
    }
    stack.push({ original: value, written });
    return written;
  };
}

/** Renders report.json: pretty (2-space indent), `version` first, trailing newline. Non-finite numbers become `null`. */
export function renderJson(report: RunReport): string {
  const { version, ...rest } = report;
  const ordered = { version, ...rest };
  return `${JSON.stringify(ordered, safeReplacer(), 2)}\n`;
}

/**
 * Parses a report.json back into a {@link RunReport}, checking that it is one and that its version is
 * one this build understands; throws an {@link AgentcheckError} (`config`) otherwise.
 */
export function parseReportJson(text: string, source = 'report.json'): RunReport {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new AgentcheckError('config', `${source} is not valid JSON: ${(e as Error).message}`, undefined, { cause: e });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new AgentcheckError('config', `${source} is not an agentcheck report (expected a JSON object)`);
  }
  const v = value as Partial<RunReport> & Record<string, unknown>;
  if (typeof v.version !== 'number') {
    throw new AgentcheckError('config', `${source} is not an agentcheck report (no "version" field)`);
  }
  if (v.version > REPORT_VERSION) {
    throw new AgentcheckError(
      'config',
      `${source} is report version ${v.version}; this agentcheck reads up to version ${REPORT_VERSION}`,
      'upgrade agentcheck to read this report',
    );
  }
  const arrays = ['agents', 'phases', 'budgets', 'invariants', 'edges', 'checks', 'timeline', 'faultWindows', 'reasons'] as const;
  for (const k of arrays) {
    if (!Array.isArray(v[k])) throw new AgentcheckError('config', `${source} is not an agentcheck report ("${k}" is not an array)`);
  }
  return v as RunReport;
}
