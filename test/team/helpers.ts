/**
 * Test helpers for the reference agent team (scenarios/team): start real agent processes on
 * free ports, read their JSON request logs, and put a message-level fault proxy on one edge.
 * Other test suites may import these; everything started here is stopped by `stop()` / `stopAll()`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

/** The agents of the reference team: the five of the order path and the async A2A coordinator. */
export type TeamAgentName = 'intake' | 'planner' | 'inventory' | 'payments' | 'notifier' | 'coordinator';

/** The coordinator variants (`--mode`), `correct` being the one without a bug. */
export type CoordinatorMode = 'correct' | 'complete-on-failure';

/** The payments variants (`--mode`), `correct` being the one without a bug. */
export type PaymentsMode = 'correct' | 'no-dedup' | 'store-before-validate' | 'ignore-payload' | 'renamed-field';

/** Absolute path of scenarios/team. */
export const TEAM_DIR = fileURLToPath(new URL('../../scenarios/team/', import.meta.url));

/** One request log line an agent prints on stdout. */
export interface RequestLogLine {
  agent: string;
  method: string;
  path: string;
  status: number;
  ms: number;
  traceparent: string;
  aborted?: boolean;
}

/** A started agent process. */
export interface StartedTeamAgent {
  name: TeamAgentName;
  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  url: string;
  port: number;
  process: ChildProcess;
  /** Every stdout line so far (the `listening on` line, then JSON request lines). */
  stdout: string[];
  /** Every stderr line so far (diagnostics: retries, failed tasks). */
  stderr: string[];
  /** The parsed JSON request log lines so far. */
  requests(): RequestLogLine[];
  /** SIGTERM the process group, SIGKILL after 3 s; resolves with the exit code (null if killed). */
  stop(): Promise<number | null>;
}

/** Options for {@link startTeamAgent}. */
export interface StartTeamAgentOptions {
  /** Extra environment (PORT defaults to 0, HOST to 127.0.0.1). */
  env?: Record<string, string>;
  /** Extra argv, e.g. `['--mode', 'no-dedup']`. */
  args?: string[];
  /** How long to wait for `listening on` and a 200 from /healthz (default 10 000 ms). */
  readyTimeoutMs?: number;
}

const running = new Set<StartedTeamAgent>();

function splitLines(into: string[]): (chunk: Buffer) => void {
  let rest = '';
  return (chunk) => {
    rest += chunk.toString('utf8');
    const parts = rest.split('\n');
    rest = parts.pop() ?? '';
    into.push(...parts);
  };
}

function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

/**
 * Spawn `node scenarios/team/<name>.mjs` in its own process group on a free port, and resolve once
 * it printed `listening on …` and answers GET /healthz with 200. Rejects (and kills it) otherwise.
 */
export async function startTeamAgent(name: TeamAgentName, options: StartTeamAgentOptions = {}): Promise<StartedTeamAgent> {
  const readyTimeoutMs = options.readyTimeoutMs ?? 10_000;
  const child = spawn(process.execPath, [join(TEAM_DIR, `${name}.mjs`), ...(options.args ?? [])], {
    env: { ...process.env, HOST: '127.0.0.1', PORT: '0', ...options.env },
    detached: true, // own process group, so stop() reaches anything it might spawn
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stdout: string[] = [];
  const stderr: string[] = [];
  child.stdout!.on('data', splitLines(stdout));
  child.stderr!.on('data', splitLines(stderr));
  const exit = exited(child);

  const stop = async (): Promise<number | null> => {
    running.delete(agent);
    if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
    try {
      process.kill(-child.pid!, 'SIGTERM');
    } catch {
      return exit;
    }
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    }, 3000);
    const code = await exit;
    clearTimeout(timer);
    return code;
  };
  const agent: StartedTeamAgent = {
    name,
    url: '',
    port: 0,
    process: child,
    stdout,
    stderr,
    requests: () => parseRequestLines(stdout),
    stop,
  };
  running.add(agent);

  try {
    const deadline = Date.now() + readyTimeoutMs;
    let url: string | undefined;
    while (Date.now() < deadline) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`${name} exited with ${child.exitCode ?? child.signalCode} before it was ready:\n${stderr.join('\n')}`);
      }
      url ??= stdout.map((l) => /^listening on (http:\/\/\S+)$/.exec(l)?.[1]).find((u) => u !== undefined);
      if (url !== undefined && (await healthy(url))) {
        agent.url = url;
        agent.port = Number(new URL(url).port);
        return agent;
      }
      await sleep(20);
    }
    throw new Error(`${name} was not ready within ${readyTimeoutMs} ms:\n${stdout.join('\n')}\n${stderr.join('\n')}`);
  } catch (err) {
    await stop();
    throw err;
  }
}

async function healthy(url: string): Promise<boolean> {
  try {
    const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(1000) });
    await res.arrayBuffer();
    return res.status === 200;
  } catch {
    return false;
  }
}

/** The JSON request log lines among an agent's stdout lines. */
export function parseRequestLines(lines: readonly string[]): RequestLogLine[] {
  const out: RequestLogLine[] = [];
  for (const line of lines) {
    if (!line.startsWith('{')) continue;
    try {
      out.push(JSON.parse(line) as RequestLogLine);
    } catch {
      // a partial line cannot happen (we split on \n), anything else is not a log line
    }
  }
  return out;
}

/** Stop every agent these helpers started and that is still running (for afterAll). */
export async function stopAllTeamAgents(): Promise<void> {
  await Promise.all([...running].map((a) => a.stop()));
}

/** The started agents of one team. */
export interface StartedTeam {
  intake: StartedTeamAgent;
  /** Started when {@link StartTeamOptions.coordinator} is given. */
  coordinator?: StartedTeamAgent;
  planner: StartedTeamAgent;
  inventory: StartedTeamAgent;
  payments: StartedTeamAgent;
  notifier: StartedTeamAgent;
  /** All started agents, callee-first. */
  all(): StartedTeamAgent[];
  stop(): Promise<void>;
}

/** Options for {@link startTeam}. */
export interface StartTeamOptions {
  /** Per-agent extra environment. */
  env?: Partial<Record<TeamAgentName, Record<string, string>>>;
  /** Payments variant (default `correct`), passed as `--mode`. */
  paymentsMode?: PaymentsMode;
  /**
   * Rewrite the URL a caller gets for a callee (e.g. to put a proxy on the planner → payments
   * edge): receives the callee's real URL, returns the URL to hand out.
   */
  via?: Partial<Record<Exclude<TeamAgentName, 'intake' | 'coordinator'>, (url: string) => string | Promise<string>>>;
  /** Also start the async A2A coordinator (in front of the planner, like intake), in this variant. */
  coordinator?: { mode?: CoordinatorMode };
}

/** Start the whole team: inventory, payments and notifier in parallel, then planner, then intake (and the coordinator). */
export async function startTeam(options: StartTeamOptions = {}): Promise<StartedTeam> {
  const env = options.env ?? {};
  const started: StartedTeamAgent[] = [];
  const track = (p: Promise<StartedTeamAgent>): Promise<StartedTeamAgent> => p.then((a) => (started.push(a), a));
  const urlFor = async (callee: Exclude<TeamAgentName, 'intake' | 'coordinator'>, agent: StartedTeamAgent): Promise<string> =>
    (await options.via?.[callee]?.(agent.url)) ?? agent.url;
  try {
    const [inventory, payments, notifier] = await Promise.all([
      track(startTeamAgent('inventory', { env: env.inventory })),
      track(startTeamAgent('payments', { env: env.payments, args: ['--mode', options.paymentsMode ?? 'correct'] })),
      track(startTeamAgent('notifier', { env: env.notifier })),
    ]);
    const planner = await track(
      startTeamAgent('planner', {
        env: {
          INVENTORY_URL: await urlFor('inventory', inventory),
          PAYMENTS_URL: await urlFor('payments', payments),
          NOTIFIER_URL: await urlFor('notifier', notifier),
          ...env.planner,
        },
      }),
    );
    const plannerUrl = await urlFor('planner', planner);
    const [intake, coordinator] = await Promise.all([
      track(startTeamAgent('intake', { env: { PLANNER_URL: plannerUrl, ...env.intake } })),
      options.coordinator
        ? track(
            startTeamAgent('coordinator', {
              env: { PLANNER_URL: plannerUrl, ...env.coordinator },
              args: ['--mode', options.coordinator.mode ?? 'correct'],
            }),
          )
        : undefined,
    ]);
    const all = () => [inventory, payments, notifier, planner, intake, ...(coordinator ? [coordinator] : [])];
    return {
      intake,
      ...(coordinator ? { coordinator } : {}),
      planner,
      inventory,
      payments,
      notifier,
      all,
      stop: async () => void (await Promise.all(all().map((a) => a.stop()))),
    };
  } catch (err) {
    await Promise.all(started.map((a) => a.stop()));
    throw err;
  }
}

/** A valid order for intake's POST /orders. */
export function sampleOrder(orderId: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { orderId, customerId: 'cust-1', items: [{ sku: 'sku-1', qty: 2 }], amount: 1250, currency: 'EUR', ...overrides };
}

/** A JSON answer: status, headers and parsed body. */
export interface JsonAnswer {
  status: number;
  headers: Headers;
  body: any;
}

/** POST `body` (an object is JSON-encoded, a string sent as is) and parse the answer. */
export async function postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<JsonAnswer> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text === '' ? undefined : JSON.parse(text) };
}

/** GET and parse JSON. */
export async function getJson(url: string): Promise<JsonAnswer> {
  const res = await fetch(url);
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text === '' ? undefined : JSON.parse(text) };
}

/** Poll `probe` every 20 ms until it returns a truthy value (returned) or `timeoutMs` (default 5000) passes (throws). */
export async function waitFor<T>(probe: () => T | Promise<T>, timeoutMs = 5000, what = 'condition'): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}

/** Resolve after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** One request the fault proxy saw. */
export interface ProxiedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** What the proxy did: forwarded, delivered twice, committed upstream then dropped the answer, or answered an error itself. */
  action: 'forward' | FaultProxyOptions['fault'];
  /** Upstream statuses of every delivery of this request. */
  upstreamStatuses: number[];
  /** `idempotent-replayed` header of the answer passed back, if any. */
  replayed?: string;
}

/** A started fault proxy. */
export interface FaultProxy {
  url: string;
  requests: ProxiedRequest[];
  /** Apply the fault to the next `times` matching requests (replacing what was left). */
  arm(times: number): void;
  close(): Promise<void>;
}

/** Options for {@link startFaultProxy}. */
export interface FaultProxyOptions {
  /** The fault to apply to matching requests. */
  fault: 'duplicate' | 'commit_then_drop' | 'http_error';
  /** Apply it to the first `times` matching requests (default 1, `Infinity` for all); later ones are forwarded. */
  times?: number;
  /** `http_error`: the status answered instead of forwarding (default 503). */
  status?: number;
  /** Which requests match (default: every POST). */
  match?: (method: string, path: string) => boolean;
}

/**
 * A tiny message-level fault proxy for one edge. `commit_then_drop` forwards the request, waits
 * for the upstream answer (the callee committed) and then cuts the caller's connection without
 * answering; `duplicate` delivers the request twice concurrently and answers with the first reply;
 * `http_error` answers `status` (503) itself and forwards nothing.
 */
export async function startFaultProxy(target: string, options: FaultProxyOptions): Promise<FaultProxy> {
  const match = options.match ?? ((method: string) => method === 'POST');
  let remaining = options.times ?? 1;
  const requests: ProxiedRequest[] = [];
  const upstream = new URL(target);

  const deliver = (method: string, path: string, headers: IncomingHttpHeaders, body: Buffer) =>
    new Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }>((resolve, reject) => {
      const fwdHeaders = { ...headers, host: upstream.host, connection: 'close' };
      const req = httpRequest({ host: upstream.hostname, port: upstream.port, method, path, headers: fwdHeaders }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(body);
    });

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const method = req.method ?? 'GET';
      const path = req.url ?? '/';
      const faulty = remaining > 0 && match(method, path);
      if (faulty) remaining--;
      const record: ProxiedRequest = {
        method,
        path,
        headers: req.headers,
        body: body.toString('utf8'),
        action: faulty ? options.fault : 'forward',
        upstreamStatuses: [],
      };
      requests.push(record);
      if (faulty && options.fault === 'http_error') {
        const status = options.status ?? 503;
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: `injected ${status}` }));
        return;
      }
      const copies = faulty && options.fault === 'duplicate' ? 2 : 1;
      Promise.all(Array.from({ length: copies }, () => deliver(method, path, req.headers, body)))
        .then((answers) => {
          record.upstreamStatuses = answers.map((a) => a.status);
          if (faulty && options.fault === 'commit_then_drop') {
            req.socket.destroy();
            return;
          }
          const first = answers[0]!;
          const replayed = first.headers['idempotent-replayed'];
          if (typeof replayed === 'string') record.replayed = replayed;
          const headers = { ...first.headers };
          delete headers['transfer-encoding'];
          delete headers['connection'];
          delete headers['keep-alive'];
          res.writeHead(first.status, { ...headers, 'content-length': first.body.length });
          res.end(first.body);
        })
        .catch(() => req.socket.destroy());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    arm: (times) => {
      remaining = times;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
