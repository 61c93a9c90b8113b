/**
 * The black-box checker's side of the wire: a keep-alive JSON client for the target, the effects
 * reader (an HTTP probe or a shell command printing JSON) and the reset call. Connection failures
 * become environment errors (exit 3), a probe that does not answer what the spec says becomes a
 * config error (exit 2): neither is ever mistaken for a property violation.
 */
import { exec } from 'node:child_process';
import http from 'node:http';
import https from 'node:https';
import { AgentcheckError } from '../errors.js';
import { brief, getPath } from './compare.js';
import { PropertyViolation } from './property-runner.js';
import type { EffectsSource, IdempotencySpec } from './spec.js';

/** One answer from the target, with client-side timing (ms, `performance.now`). */
export interface HttpReply {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** Parsed JSON when the body is JSON, else the text (undefined when empty). */
  body: unknown;
  /** When the request was fully written. */
  sentAt: number;
  /** When the response head arrived. */
  receivedAt: number;
}

/** An effect read from the target, with the key it carries (undefined when it has none). */
export interface ObservedEffect {
  key: string | undefined;
  value: unknown;
}

const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNRESET', 'EPIPE']);
/** Errors of a connection the target accepted and then closed or reset before it answered. */
const CLOSED = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED']);

/**
 * The target accepted the connection, then closed or reset it before answering this request:
 * something about the request (its payload) broke it. An environment error when it happens to
 * a probe or a reset; a finding when it happens to a delivery ({@link HttpTarget.deliver}).
 */
export class TargetClosedConnection extends AgentcheckError {
  constructor(
    message: string,
    /** `ECONNRESET`, `EPIPE`, … */
    readonly errno: string,
    options?: { cause?: unknown },
  ) {
    super('environment', message, 'the target closed the connection: did it crash? check its log', options);
  }
}

/** A reused keep-alive socket turned out closed before the request was answered: send it again. */
class StaleSocket extends Error {
  constructor(readonly errno: string) {
    super(`stale keep-alive socket (${errno})`);
  }
}

/** A small HTTP/1.1 JSON client with its own keep-alive agent (one socket per in-flight request). */
export class HttpClient {
  private readonly base: URL;
  private readonly agent: http.Agent;
  private readonly lib: typeof http | typeof https;

  /** @param timeoutMs - per-request limit (default 5000). */
  constructor(
    baseUrl: string,
    private readonly timeoutMs = 5000,
  ) {
    this.base = new URL(baseUrl);
    const secure = this.base.protocol === 'https:';
    this.lib = secure ? https : http;
    this.agent = secure ? new https.Agent({ keepAlive: true, maxSockets: 256 }) : new http.Agent({ keepAlive: true, maxSockets: 256 });
  }

  /**
   * Sends one request; `body` is JSON-encoded when defined. A request on a reused keep-alive
   * socket that the target had closed while it was idle is sent again once on a new connection
   * (the target never read it); on a new connection a close is a {@link TargetClosedConnection}.
   */
  async request(method: string, path: string, headers: Record<string, string> = {}, body?: unknown): Promise<HttpReply> {
    try {
      return await this.send(method, path, headers, body);
    } catch (err) {
      if (!(err instanceof StaleSocket)) throw err;
      try {
        return await this.send(method, path, headers, body, true);
      } catch (again) {
        // It was not a stale socket: the target reset the request and then stopped listening.
        if (again instanceof AgentcheckError && !(again instanceof TargetClosedConnection) && again.code === 'environment' && /ECONNREFUSED/.test(again.message)) {
          throw new TargetClosedConnection(`${method} ${new URL(path, this.base).href}: the target closed the connection before answering (${err.errno}) and then refused new connections`, err.errno, { cause: again });
        }
        throw again;
      }
    }
  }

  private send(method: string, path: string, headers: Record<string, string>, body: unknown, fresh = false): Promise<HttpReply> {
    const url = new URL(path, this.base);
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const allHeaders: Record<string, string | number> = { accept: 'application/json', ...headers };
    if (payload) {
      allHeaders['content-type'] ??= 'application/json';
      allHeaders['content-length'] = payload.length;
    }
    return new Promise<HttpReply>((resolve, reject) => {
      let sentAt = 0;
      let settled = false;
      const fail = (err: Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        req.destroy();
        reject(err);
      };
      let answered = false;
      const req = this.lib.request(url, { method, headers: allHeaders, agent: fresh ? false : this.agent }, (res) => {
        answered = true;
        const receivedAt = performance.now();
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', (e) => {
          const code = (e as NodeJS.ErrnoException).code ?? '';
          fail(CLOSED.has(code) ? new TargetClosedConnection(`${method} ${url.href}: the target closed the connection in the middle of its answer (${code})`, code, { cause: e }) : this.unreachable(method, url, e));
        });
        res.on('end', () => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = text === '' ? undefined : text;
          if (text !== '') {
            try {
              parsed = JSON.parse(text);
            } catch {
              // not JSON: keep the text, the properties compare it as is
            }
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: parsed, sentAt, receivedAt });
        });
      });
      const timer = setTimeout(
        () =>
          fail(
            new AgentcheckError(
              'environment',
              `${method} ${url.href} did not answer within ${this.timeoutMs} ms`,
              'raise deliveries.timeoutMs in the spec, or check that the target is not stuck',
            ),
          ),
        this.timeoutMs,
      );
      let connected = false;
      req.on('socket', (socket) => {
        if (socket.connecting) socket.once('connect', () => (connected = true));
        else connected = true;
      });
      req.on('error', (e) => {
        const code = (e as NodeJS.ErrnoException).code ?? '';
        if (CLOSED.has(code) && !answered && req.reusedSocket) return fail(new StaleSocket(code));
        if (CLOSED.has(code) && connected) {
          return fail(new TargetClosedConnection(`${method} ${url.href}: the target closed the connection before answering (${code})`, code, { cause: e }));
        }
        fail(this.unreachable(method, url, e));
      });
      req.on('finish', () => {
        sentAt = performance.now();
      });
      req.end(payload);
    });
  }

  private unreachable(method: string, url: URL, e: Error): AgentcheckError {
    const code = (e as NodeJS.ErrnoException).code ?? e.message;
    const hint = UNREACHABLE.has(code) ? `is the agent running and listening on ${url.host}?` : undefined;
    return new AgentcheckError('environment', `cannot reach the target: ${method} ${url.href} failed (${code})`, hint, { cause: e });
  }

  /** Closes idle keep-alive sockets. */
  close(): void {
    this.agent.destroy();
  }
}

function extractEffects(source: EffectsSource, data: unknown, what: string): ObservedEffect[] {
  const list = getPath(data, source.list);
  if (!Array.isArray(list)) {
    throw new AgentcheckError(
      'config',
      `${what} gave ${brief(data, 200)}: no list of effects at ${source.list === '' ? 'the top level' : `'${source.list}'`}`,
      'set effects.probe.list (or effects.command.list) to the dotted path of the effects array',
    );
  }
  return list.map((value) => {
    const k = getPath(value, source.key);
    return { key: k === undefined || k === null ? undefined : String(k), value };
  });
}

function runCommand(source: Extract<EffectsSource, { kind: 'command' }>): Promise<unknown> {
  return new Promise((resolve, reject) => {
    exec(source.run, { cwd: source.cwd, timeout: source.timeoutMs, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) {
        reject(
          new AgentcheckError(
            'environment',
            `the effects command \`${source.run}\` failed: ${err.killed ? `timed out after ${source.timeoutMs} ms` : `exit ${err.code ?? '?'}`}${stderr ? `: ${stderr.trim().slice(0, 300)}` : ''}`,
          ),
        );
        return;
      }
      try {
        resolve(JSON.parse(stdout));
      } catch {
        reject(new AgentcheckError('config', `the effects command \`${source.run}\` did not print JSON: ${brief(stdout, 200)}`));
      }
    });
  });
}

/** The target as the black-box properties use it: deliver, read effects, reset. */
export class HttpTarget {
  readonly client: HttpClient;
  private counter = 0;

  /** @param keyPrefix - prefix of generated idempotency keys, unique per checker run. */
  constructor(
    readonly baseUrl: string,
    readonly spec: IdempotencySpec,
    private readonly keyPrefix: string,
  ) {
    this.client = new HttpClient(baseUrl, spec.deliveries.timeoutMs);
  }

  /** A key never used before in this checker run (keys outlive runs when there is no reset). */
  newKey(): string {
    return `${this.keyPrefix}-${++this.counter}`;
  }

  /**
   * Delivers the operation with `key` (no key header when undefined) and `payload`. A target
   * that closes the connection on it is a finding about this payload: a {@link PropertyViolation}
   * that fast-check shrinks like any other.
   */
  async deliver(key: string | undefined, payload: unknown): Promise<HttpReply> {
    const { method, path, keyHeader, headers } = this.spec.operation;
    const all = key === undefined ? { ...headers } : { ...headers, [keyHeader]: key };
    try {
      return await this.client.request(method, path, all, payload);
    } catch (err) {
      if (!(err instanceof TargetClosedConnection)) throw err;
      throw new PropertyViolation(`the target closed the connection on this payload (${err.errno}) instead of answering`, { key: key ?? null, payload, error: err.errno });
    }
  }

  /** Reads every effect the target has recorded. */
  async effects(): Promise<ObservedEffect[]> {
    const source = this.spec.effects;
    if (source.kind === 'command') return extractEffects(source, await runCommand(source), `the effects command \`${source.run}\``);
    const reply = await this.client.request(source.method, source.path);
    const what = `${source.method} ${source.path}`;
    if (reply.status < 200 || reply.status >= 300) {
      throw new AgentcheckError('config', `the effects probe ${what} answered ${reply.status} ${brief(reply.body)}`, 'check effects.probe in the spec');
    }
    return extractEffects(source, reply.body, `the effects probe ${what}`);
  }

  /** Calls the reset endpoint, if the spec has one. */
  async reset(): Promise<void> {
    const r = this.spec.reset;
    if (!r) return;
    const reply = await this.client.request(r.method, r.path);
    if (reply.status < 200 || reply.status >= 300) {
      throw new AgentcheckError('config', `the reset endpoint ${r.method} ${r.path} answered ${reply.status} ${brief(reply.body)}`, 'check reset in the spec');
    }
  }

  /** Closes the client's idle sockets. */
  close(): void {
    this.client.close();
  }
}
