/**
 * Protocol-aware outcomes: one {@link OutcomeClassifier} per protocol (http.ts, jsonrpc.ts, mcp.ts,
 * a2a.ts), asked in turn about every response of a workflow. The first that recognises the
 * response decides: an ok outcome, an error outcome with its class, or (A2A) a task to follow.
 *
 * Outcome classes: `completed` (ok), `failed`, `canceled`, `rejected`, `input-required`,
 * `auth-required` (A2A task states), `timeout`, `jsonrpc:<code>`, `mcp:isError`, `http:<status>`,
 * `connection:<code>`, and `extract:<name>` (a step's extraction found nothing).
 */

/** How a finished operation counts for the exactly-once checker: ok happened, fail did not, info unknown. */
export type HistoryType = 'ok' | 'fail' | 'info';

/** What a classifier sees of one response. */
export interface ClassifiedResponse {
  status: number;
  /** Lower-cased media type without parameters; '' when none. */
  contentType: string;
  /** The body parsed as JSON (undefined when not read or not JSON). */
  json: unknown;
  /** For an event stream: every event's data parsed as JSON (unparsable events left out). */
  events?: unknown[];
}

/** What a classifier knows of the request. */
export interface ClassifiedRequest {
  /** The JSON-RPC method of the request body, when it is a JSON-RPC request. */
  rpcMethod?: string;
}

/** A classifier's verdict on one response. */
export type Verdict =
  | { kind: 'ok' }
  | {
      kind: 'error';
      /** Outcome class, e.g. `jsonrpc:-32603`, `failed`. */
      class: string;
      /** What the response said, when it said something (a JSON-RPC error message). */
      message?: string;
      /** How the operation counts for the exactly-once checker. */
      history: HistoryType;
    }
  | {
      /** An A2A task in a non-terminal state: poll it (or read its stream) until it ends. */
      kind: 'follow';
      taskId: string;
      /** `0.3`: `tasks/get`; `1.0`: `GetTask`. */
      version: '0.3' | '1.0';
      state: string;
    };

/** How A2A tasks are followed and judged. */
export interface A2aFollowOptions {
  /** First wait between polls (default 100 ms); doubled after each poll up to `maxIntervalMs`. */
  pollIntervalMs: number;
  /** Longest wait between polls (default 1 s). */
  maxIntervalMs: number;
  /** Whether a task that stops in `input-required` is an ok or an error outcome (default error). */
  inputRequired: 'ok' | 'error';
  /** The same for `auth-required` (default error). */
  authRequired: 'ok' | 'error';
}

/** Protocol following options; `a2a: false` judges A2A tasks by the first answer only (a Task is ok). */
export interface FollowOptions {
  a2a: A2aFollowOptions | false;
}

/** The defaults of {@link FollowOptions}. */
export const DEFAULT_FOLLOW: FollowOptions = {
  a2a: { pollIntervalMs: 100, maxIntervalMs: 1000, inputRequired: 'error', authRequired: 'error' },
};

/** One protocol's reading of responses. */
export interface OutcomeClassifier {
  /** `http`, `jsonrpc`, `mcp`, `a2a`. */
  readonly protocol: string;
  /** A verdict when the response is this protocol's to judge, else null (the next classifier is asked). */
  classify(res: ClassifiedResponse, req: ClassifiedRequest, follow: FollowOptions): Verdict | null;
}

/** JSON-RPC's shape checks, shared by the classifiers that read JSON-RPC responses. */
export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
