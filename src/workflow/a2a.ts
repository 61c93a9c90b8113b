/**
 * A2A outcomes, v0.3 and v1.0 JSON-RPC shapes. The answer to `message/send` / `SendMessage` (or a
 * `tasks/get` / `GetTask`) is a Task (v0.3: `result` with `kind: "task"`; v1.0: `result.task`, or
 * the Task itself) or a Message (an immediate answer: ok). A Task in a terminal state decides the
 * outcome: `completed` ok; `failed`, `canceled`, `rejected` errors; `input-required` and
 * `auth-required` as configured. A Task still `submitted` or `working` is followed (the step
 * runner polls it). A `message/stream` / `SendStreamingMessage` event stream is read to the event
 * with `final: true` (or a terminal state); a stream that ends before that leaves the task to be
 * polled.
 *
 * For the exactly-once checker: `rejected` means the agent declined before doing anything
 * (`fail`); `failed` and `canceled` mean the task did not complete, not that nothing happened: a
 * task often fails after some of its effects (`info`). `input-required`/`auth-required` are `info`.
 */
import { isObject, type ClassifiedResponse, type FollowOptions, type OutcomeClassifier, type Verdict } from './protocol.js';

/** A2A task states, normalised to the v0.3 spelling. */
export type TaskState = 'submitted' | 'working' | 'input-required' | 'auth-required' | 'completed' | 'failed' | 'canceled' | 'rejected' | 'unknown';

/** `TASK_STATE_INPUT_REQUIRED` → `input-required`; `cancelled` → `canceled`; unknown text → `unknown`. */
export function normaliseState(raw: string): TaskState {
  let s = raw.trim().toLowerCase();
  if (s.startsWith('task_state_')) s = s.slice('task_state_'.length);
  s = s.replace(/_/g, '-');
  if (s === 'cancelled') s = 'canceled';
  const known: TaskState[] = ['submitted', 'working', 'input-required', 'auth-required', 'completed', 'failed', 'canceled', 'rejected'];
  return (known as string[]).includes(s) ? (s as TaskState) : 'unknown';
}

/** What one A2A result (or stream event) says. */
export type A2aView =
  | { kind: 'message' }
  | { kind: 'task'; id: string; state: TaskState; version: '0.3' | '1.0'; final: boolean };

function taskOf(t: unknown, version: '0.3' | '1.0', final: boolean): A2aView | null {
  if (!isObject(t) || !isObject(t.status) || typeof t.status.state !== 'string') return null;
  const id = typeof t.id === 'string' ? t.id : typeof t.taskId === 'string' ? t.taskId : null;
  if (id === null) return null;
  const raw = t.status.state;
  const v = raw.startsWith('TASK_STATE_') ? '1.0' : version;
  return { kind: 'task', id, state: normaliseState(raw), version: v, final: final || t.final === true };
}

/** Reads a JSON-RPC response's `result` as A2A, or null when it is not an A2A shape. */
export function viewOf(json: unknown): A2aView | null {
  if (!isObject(json) || !isObject(json.result)) return null;
  const r = json.result;
  // v1.0: a oneof wrapper.
  if (isObject(r.task)) return taskOf(r.task, '1.0', false);
  if (isObject(r.message)) return { kind: 'message' };
  if (isObject(r.statusUpdate)) return taskOf(r.statusUpdate, '1.0', r.statusUpdate.final === true);
  if (isObject(r.artifactUpdate)) return null;
  // v0.3: kinds.
  if (r.kind === 'message') return { kind: 'message' };
  if (r.kind === 'status-update') return taskOf(r, '0.3', r.final === true);
  if (r.kind === 'artifact-update') return null;
  return taskOf(r, '0.3', false);
}

const TERMINAL = new Set<TaskState>(['completed', 'failed', 'canceled', 'rejected']);

/** True when a stream event ends the stream's task (a final event, a terminal state or a message). */
export function endsStream(event: unknown): boolean {
  const v = viewOf(event);
  if (!v) return false;
  return v.kind === 'message' || v.final || TERMINAL.has(v.state) || v.state === 'input-required' || v.state === 'auth-required';
}

function judge(v: A2aView, follow: FollowOptions): Verdict {
  if (v.kind === 'message') return { kind: 'ok' };
  const a2a = follow.a2a;
  switch (v.state) {
    case 'completed':
      return { kind: 'ok' };
    case 'failed':
    case 'canceled':
      return { kind: 'error', class: v.state, history: 'info' };
    case 'rejected':
      return { kind: 'error', class: 'rejected', history: 'fail' };
    case 'input-required':
    case 'auth-required': {
      const rule = a2a ? (v.state === 'input-required' ? a2a.inputRequired : a2a.authRequired) : 'error';
      return rule === 'ok' ? { kind: 'ok' } : { kind: 'error', class: v.state, history: 'info' };
    }
    default:
      // submitted, working, unknown: not over yet. Without following, the answer itself is the outcome.
      return a2a ? { kind: 'follow', taskId: v.id, version: v.version, state: v.state } : { kind: 'ok' };
  }
}

/** The last A2A view of a response: its result, or the last telling event of its stream. */
export function lastView(res: ClassifiedResponse): A2aView | null {
  if (!res.events) return viewOf(res.json);
  let last: A2aView | null = null;
  for (const e of res.events) {
    const v = viewOf(e);
    if (!v) continue;
    last = v;
    if (endsStream(e)) break;
  }
  return last;
}

/** The A2A classifier. */
export const a2aClassifier: OutcomeClassifier = {
  protocol: 'a2a',
  classify(res, _req, follow) {
    const v = lastView(res);
    return v ? judge(v, follow) : null;
  },
};

/** The JSON-RPC request that polls a task: `tasks/get` (v0.3) or `GetTask` (v1.0). */
export function pollRequest(taskId: string, version: '0.3' | '1.0', id: string): string {
  return JSON.stringify({ jsonrpc: '2.0', id, method: version === '1.0' ? 'GetTask' : 'tasks/get', params: { id: taskId } });
}
