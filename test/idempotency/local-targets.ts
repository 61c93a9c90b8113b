/**
 * Small HTTP targets for the black-box checker tests, for the cases the reference payments agent
 * cannot produce: a target that never processes anything, and one that handles each request
 * synchronously (so concurrent copies never overlap inside it).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeFileSync } from 'node:fs';

export type LocalMode =
  /** Every POST gets a 503: nothing is ever processed, so duplicates of a processed request never happen. */
  | 'always-unavailable'
  /** A correct, de-duplicating charge endpoint that never awaits while holding a key. */
  | 'synchronous'
  /** Like `synchronous`, but charges every delivery again (for the command-probe test). */
  | 'synchronous-no-dedup';

export interface LocalTarget {
  url: string;
  close(): Promise<void>;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/**
 * How a target misbehaves on a payload `on` picks: a TCP reset of that connection, a crash (the
 * listener and every connection gone), or a hang (it never answers).
 */
export interface Misbehaviour {
  on: (body: unknown) => boolean;
  then: 'reset' | 'crash' | 'hang';
}

/**
 * Starts a local target on 127.0.0.1; `ledgerFile`, when given, mirrors the ledger as JSON for a
 * command probe; `misbehave` makes it reset or crash on some payloads.
 */
export async function startLocalTarget(mode: LocalMode, ledgerFile?: string, misbehave?: Misbehaviour): Promise<LocalTarget> {
  let ledger: { key: string; orderId: string; chargeId: string }[] = [];
  let stored = new Map<string, { fingerprint: string; body: unknown }>();
  let next = 1;
  const mirror = () => {
    if (ledgerFile) writeFileSync(ledgerFile, JSON.stringify({ effects: ledger }));
  };
  mirror();
  const server: Server = createServer(async (req, res) => {
    const text = await readBody(req);
    if (req.method === 'GET' && req.url === '/ledger') return send(res, 200, { effects: ledger });
    if (req.method === 'POST' && req.url === '/reset') {
      ledger = [];
      stored = new Map();
      mirror();
      return send(res, 200, { ok: true });
    }
    if (req.method !== 'POST' || req.url !== '/charges') return send(res, 404, { error: 'not found' });
    if (mode === 'always-unavailable') return send(res, 503, { error: 'temporarily unavailable' });
    const key = req.headers['idempotency-key'];
    if (typeof key !== 'string') return send(res, 400, { error: 'missing Idempotency-Key' });
    let body: { orderId?: unknown; amount?: unknown; currency?: unknown };
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      return send(res, 400, { error: 'not JSON' });
    }
    if (misbehave?.on(body)) {
      if (misbehave.then === 'hang') return;
      req.socket.resetAndDestroy();
      if (misbehave.then === 'crash') {
        server.close();
        server.closeAllConnections();
      }
      return;
    }
    if (typeof body !== 'object' || body === null || typeof body.orderId !== 'string' || !Number.isInteger(body.amount) || (body.amount as number) <= 0) {
      return send(res, 400, { error: 'invalid body' });
    }
    if (typeof body.currency !== 'string' || !/^[A-Z]{3}$/.test(body.currency)) return send(res, 400, { error: 'invalid currency' });
    const fingerprint = JSON.stringify([body.orderId, body.amount, body.currency]);
    const s = mode === 'synchronous-no-dedup' ? undefined : stored.get(key);
    if (s) return s.fingerprint === fingerprint ? send(res, 201, s.body) : send(res, 422, { error: 'key reused' });
    const reply = { chargeId: `ch_${next++}`, orderId: body.orderId, amount: body.amount, currency: body.currency, status: 'captured' };
    ledger.push({ key, orderId: body.orderId, chargeId: reply.chargeId });
    stored.set(key, { fingerprint, body: reply });
    mirror();
    return send(res, 201, reply);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
