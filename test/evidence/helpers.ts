/** Shared fixtures of the evidence tests: temp folders, workflow events and hop records. */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { EdgeRecord } from '../../src/chaos/http/records.js';
import type { WorkflowEvent } from '../../src/evidence/rows.js';

/** A fresh temp folder and its cleanup. */
export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'agentcheck-evidence-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A traceparent with trace id from `n` and span id from `span`. */
export function traceparent(n: number, span = 1): string {
  return `00-${n.toString(16).padStart(32, '0')}-${span.toString(16).padStart(16, '0')}-01`;
}

/** The invoke and the completion of one workflow. */
export function workflowEvents(w: {
  seq: number;
  key?: string;
  phase?: string;
  startMs: number;
  latencyMs: number;
  type?: 'ok' | 'fail' | 'info';
  status?: number;
  extracted?: Record<string, string>;
  entryLatencyMs?: number;
  trace?: number;
}): [WorkflowEvent, WorkflowEvent] {
  const base = {
    key: w.key ?? `k-${w.seq}`,
    seq: w.seq,
    traceparent: traceparent(w.trace ?? w.seq + 1),
    phase: w.phase ?? 'steady',
    workflow: 'order',
    workflowId: `u-${w.seq}`,
  };
  return [
    { ...base, type: 'invoke', tMs: w.startMs },
    {
      ...base,
      type: w.type ?? 'ok',
      tMs: w.startMs + w.latencyMs,
      latencyMs: w.latencyMs,
      outcome: (w.type ?? 'ok') === 'ok' ? 'completed' : 'failed',
      steps: 1,
      requests: 1,
      ...(w.status !== undefined ? { status: w.status } : {}),
      ...(w.extracted ? { extracted: w.extracted } : {}),
      ...(w.entryLatencyMs !== undefined ? { entryLatencyMs: w.entryLatencyMs } : {}),
    },
  ];
}

let seq = 0;
/** An edge record (seq is the caller's business when it matters). */
export function hopRecord(r: Partial<EdgeRecord> & { startEpochMs: number; latencyMs: number }): EdgeRecord {
  const { startEpochMs, ...rest } = r;
  return {
    seq: ++seq,
    proxy: 'p',
    requestId: `c.${seq}`,
    time: new Date(startEpochMs).toISOString(),
    method: 'POST',
    path: '/a2a',
    jsonrpcMethod: null,
    traceparent: null,
    status: 200,
    upstreamStatus: 200,
    outcome: 'complete',
    faults: [],
    ...rest,
  };
}
