/**
 * The loopback endpoint the Pact verifier calls during provider verification: provider-state
 * changes (`POST /state`, body `{state, params, action}`) dispatched to typed handlers, and message
 * requests (`POST /messages`, body `{description, providerStates}`) answered by a message producer
 * or by the last message the provider really sent over a recording tap. Every failure is recorded
 * with the state's or message's name, because the verifier itself only says "One or more of the
 * setup state change handlers has failed".
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { checkStateParams, type JsonObject, type ProducedMessage, type ProviderStateHandlers, type ProviderStateRef, type StateContext } from './states.js';
import type { MessageTap } from './tap.js';

/** A state or message failure seen by the control server. */
export interface ControlFailure {
  kind: 'state' | 'message';
  /** The state name or the message description. */
  name: string;
  params?: Record<string, unknown>;
  action?: 'setup' | 'teardown';
  error: string;
}

/** Options of {@link startControlServer}. */
export interface ControlServerOptions {
  provider: string;
  providerUrl: string;
  agents: Record<string, string>;
  /** Handlers for the provider's states and message producers. */
  handlers?: ProviderStateHandlers;
  /** Taps on the edges provider → message consumer, by consumer name. */
  taps: ReadonlyMap<string, MessageTap>;
  /** For each message description, the consumers whose pacts hold it (to pick the tap). */
  messageConsumers: ReadonlyMap<string, readonly string[]>;
  /** How long to wait for the provider to send a message after its states were set up; default 5000 ms. */
  messageTimeoutMs?: number;
  /** Where the handlers for the states live, for error hints. */
  handlersSource?: string;
}

/** A running control server. */
export interface ControlServer extends AsyncDisposable {
  /** The state-change URL for the verifier. */
  readonly stateUrl: string;
  readonly port: number;
  /** The path of the message transport. */
  readonly messagePath: string;
  readonly failures: readonly ControlFailure[];
  close(): Promise<void>;
}

function readBody(req: http.IncomingMessage): Promise<unknown> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}'));
      } catch {
        resolve({});
      }
    });
  });
}

function send(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body ?? {}));
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Starts the control server on a free loopback port. */
export async function startControlServer(options: ControlServerOptions): Promise<ControlServer> {
  const failures: ControlFailure[] = [];
  const timeoutMs = options.messageTimeoutMs ?? 5000;
  // Where each tap stood when the current interaction's states began: messages from earlier
  // interactions must not be mistaken for this one's.
  const cursors = new Map<string, number>();
  let lastAction: 'setup' | 'teardown' | 'message' | undefined;
  const where = options.handlersSource ? ` in ${options.handlersSource}` : '';

  const ctxFor = (state: string, action: 'setup' | 'teardown'): StateContext => ({
    state,
    action,
    provider: options.provider,
    providerUrl: options.providerUrl,
    agents: options.agents,
  });

  async function onState(body: { state?: unknown; params?: unknown; action?: unknown }): Promise<{ status: number; body: unknown }> {
    const state = typeof body.state === 'string' ? body.state : '';
    const action = body.action === 'teardown' ? 'teardown' : 'setup';
    const params = (body.params && typeof body.params === 'object' ? body.params : {}) as Record<string, unknown>;
    if (action === 'setup' && lastAction !== 'setup') {
      for (const [consumer, tap] of options.taps) cursors.set(consumer, tap.captured.length);
    }
    lastAction = action;
    // Interactions without states still get a setup and teardown call, with an empty name.
    if (state === '') return { status: 200, body: {} };
    const handler = options.handlers?.states[state];
    if (!handler) {
      if (action === 'teardown') return { status: 200, body: {} };
      const known = Object.keys(options.handlers?.states ?? {});
      const error = `no provider-state handler for state '${state}'${where} (provider ${options.provider}); ${known.length ? `handlers exist for: ${known.map((k) => `'${k}'`).join(', ')}` : 'no state handlers were given'}`;
      failures.push({ kind: 'state', name: state, params, action, error });
      return { status: 500, body: { error } };
    }
    if (action === 'setup') {
      const problem = checkStateParams(options.handlers?.schema, state, params);
      if (problem) {
        const error = `provider state '${state}': ${problem}`;
        failures.push({ kind: 'state', name: state, params, action, error });
        return { status: 500, body: { error } };
      }
    }
    const fn = action === 'setup' ? handler.setup : handler.teardown;
    if (!fn) return { status: 200, body: {} };
    try {
      const result = await fn(Object.keys(params).length ? params : undefined, ctxFor(state, action));
      return { status: 200, body: (result ?? {}) as JsonObject };
    } catch (err) {
      const error = `provider-state handler for '${state}' (${action}) failed: ${errorText(err)}`;
      failures.push({ kind: 'state', name: state, params, action, error });
      return { status: 500, body: { error } };
    }
  }

  async function onMessage(body: { description?: unknown; providerStates?: unknown }): Promise<{ status: number; body: unknown; metadata?: Record<string, string> }> {
    const description = typeof body.description === 'string' ? body.description : '';
    const states = (Array.isArray(body.providerStates) ? body.providerStates : []) as ProviderStateRef[];
    lastAction = 'message';
    const fail = (error: string) => {
      failures.push({ kind: 'message', name: description, error });
      return { status: 500, body: { error } };
    };
    const producer = options.handlers?.messages[description];
    if (producer) {
      try {
        const produced: ProducedMessage = await producer({
          description,
          states,
          provider: options.provider,
          providerUrl: options.providerUrl,
          agents: options.agents,
        });
        return { status: 200, body: produced.content, metadata: { contentType: 'application/json', ...produced.metadata } };
      } catch (err) {
        return fail(`message producer for '${description}' failed: ${errorText(err)}`);
      }
    }
    // Broker pacts are not read beforehand, so which consumer a message is for is unknown: try every tap.
    const consumers = options.messageConsumers.get(description) ?? [...options.taps.keys()];
    const tapped = consumers.filter((c) => options.taps.has(c));
    if (tapped.length === 0) {
      return fail(
        `no way to obtain message '${description}' from provider ${options.provider}: ` +
          `there is no message producer for it${where} and no scenario edge ${options.provider}->${consumers[0] ?? '<consumer>'} to record it on`,
      );
    }
    for (const consumer of tapped) {
      const tap = options.taps.get(consumer)!;
      const first = await tap.next(cursors.get(consumer) ?? 0, timeoutMs);
      if (!first) continue;
      // The latest message since this interaction's states began: a retried delivery repeats it.
      const latest = [...tap.captured].reverse().find((m) => m.seq >= first.seq && m.json !== undefined) ?? first;
      const contentType = (latest.headers['content-type'] ?? 'application/json').split(';')[0]!.trim();
      for (const [c, t] of options.taps) cursors.set(c, t.captured.length);
      return { status: 200, body: latest.json, metadata: { contentType } };
    }
    return fail(
      `provider ${options.provider} sent no message to ${tapped.join(' or ')} within ${timeoutMs} ms after the states of '${description}' were set up ` +
        `(${states.length ? `states: ${states.map((s) => `'${s.name}'`).join(', ')}` : 'the interaction has no provider state'}); ` +
        'a provider-state handler must make the provider emit it',
    );
  }

  const server = http.createServer((req, res) => {
    void readBody(req).then(async (body) => {
      try {
        if (req.method === 'POST' && req.url === '/state') {
          const out = await onState(body as Record<string, unknown>);
          return send(res, out.status, out.body);
        }
        if (req.method === 'POST' && req.url === '/messages') {
          const out = await onMessage(body as Record<string, unknown>);
          const headers: Record<string, string> = {};
          if (out.metadata) headers['Pact-Message-Metadata'] = Buffer.from(JSON.stringify(out.metadata)).toString('base64');
          return send(res, out.status, out.body, headers);
        }
        send(res, 404, { error: `unknown control path ${req.method} ${req.url}` });
      } catch (err) {
        send(res, 500, { error: errorText(err) });
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
    return closing;
  };
  return { stateUrl: `http://127.0.0.1:${port}/state`, port, messagePath: '/messages', failures, close, [Symbol.asyncDispose]: close };
}
