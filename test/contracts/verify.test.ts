// Provider verification with the real Pact verifier against small real HTTP providers.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AgentContract, MatchersV3 } from '../../src/contracts/consumer.js';
import { a2aAgentCard } from '../../src/contracts/a2a.js';
import { defineProviderStates, stateHandlers } from '../../src/contracts/states.js';
import { verifyContracts } from '../../src/contracts/verify.js';

const { like, integer } = MatchersV3;

type Handler = (req: http.IncomingMessage, body: any, res: http.ServerResponse) => void;
const servers: http.Server[] = [];

async function serve(handler: Handler): Promise<string> {
  const server = http.createServer((req, res) => {
    let text = '';
    req.on('data', (c) => (text += c));
    req.on('end', () => handler(req, text ? JSON.parse(text) : undefined, res));
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function json(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

const states = defineProviderStates({ 'no charge exists for order': { orderId: 'string' }, 'payments is up': {} });
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'agentcheck-verify-'));
  const contract = new AgentContract({ consumer: 'planner', provider: 'payments', dir });
  await contract
    .http('a charge for a new order')
    .given(states.noChargeExistsForOrder({ orderId: 'ord-1' }))
    .withRequest({ method: 'POST', path: '/charges', idempotencyKey: 'charge-ord-1', body: { orderId: like('ord-1'), amount: integer(1250), currency: 'EUR' } })
    .willRespondWith({ status: 201, body: { chargeId: like('ch_1'), orderId: like('ord-1'), status: 'captured' } })
    .run((mock) =>
      fetch(`${mock.url}/charges`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'Idempotency-Key': 'charge-ord-1' },
        body: JSON.stringify({ orderId: 'ord-1', amount: 1250, currency: 'EUR' }),
      }),
    );
  const events = new AgentContract({ consumer: 'ledger', provider: 'payments', dir });
  await events
    .event('a charge.captured event')
    .given(states.paymentsIsUp())
    .withContent({ type: 'charge.captured', chargeId: like('ch_1'), amount: integer(1250) })
    .run(async () => undefined);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const goodPayments: Handler = (req, body, res) => {
  if (req.url === '/charges' && req.method === 'POST') {
    return json(res, 201, { chargeId: `ch_${body.orderId}`, orderId: body.orderId, amount: body.amount, currency: body.currency, status: 'captured' });
  }
  json(res, 404, { error: 'not found' });
};

const seenStates: Array<{ orderId: string }> = [];
const handlers = states.handlers(
  {
    'no charge exists for order': async (params) => {
      seenStates.push(params);
    },
    'payments is up': async () => undefined,
  },
  { messages: { 'a charge.captured event': () => ({ content: { type: 'charge.captured', chargeId: 'ch_9', amount: 990 } }) } },
);

describe('verifyContracts against a base URL', () => {
  it('passes a provider that keeps the contract and calls the typed state handler with the pact’s parameters', async () => {
    const url = await serve(goodPayments);
    const result = await verifyContracts({ pactsDir: dir, provider: 'payments', providerBaseUrl: url, stateHandlers: handlers, providerVersion: 'v1' });
    expect(result.status).toBe('passed');
    const pv = result.providers[0]!;
    expect(pv.pacts.map((p) => `${p.consumer}:${p.status}`).sort()).toEqual(['ledger:passed', 'planner:passed']);
    expect(pv.pacts.flatMap((p) => p.interactions).every((i) => i.status === 'passed')).toBe(true);
    expect(seenStates).toContainEqual({ orderId: 'ord-1' });
    expect(pv.verifyMs).toBeGreaterThan(0);
  });

  it('names $.chargeId, the expected value, the matcher and the renamed key when the provider answers charge_id', async () => {
    const url = await serve((req, body, res) =>
      json(res, 201, { charge_id: 'ch_1', orderId: body.orderId, status: 'captured' }),
    );
    const result = await verifyContracts({ pactsDir: dir, provider: 'payments', providerBaseUrl: url, stateHandlers: handlers });
    expect(result.status).toBe('failed');
    const planner = result.providers[0]!.pacts.find((p) => p.consumer === 'planner')!;
    expect(planner.status).toBe('failed');
    const i = planner.interactions[0]!;
    expect(i.description).toBe('a charge for a new order');
    expect(i.mismatches).toContainEqual(
      expect.objectContaining({ kind: 'body', path: '$.chargeId', expected: '"ch_1"', actual: '(missing)', matcher: 'type' }),
    );
    expect(i.mismatches.find((m) => m.path === '$.chargeId')!.hint).toMatch(/charge_id/);
  });

  it('reports a wrong status and a wrong exact value with the matcher', async () => {
    const url = await serve((req, body, res) => json(res, 200, { chargeId: 'ch_1', orderId: 'ord-1', status: 'pending' }));
    const result = await verifyContracts({ pactsDir: dir, provider: 'payments', providerBaseUrl: url, stateHandlers: handlers });
    const mismatches = result.providers[0]!.pacts.find((p) => p.consumer === 'planner')!.interactions[0]!.mismatches;
    expect(mismatches).toContainEqual(expect.objectContaining({ kind: 'status', expected: '201', actual: '200' }));
    expect(mismatches).toContainEqual(expect.objectContaining({ kind: 'body', path: '$.status', expected: '"captured"', actual: '"pending"', matcher: 'equality' }));
  });

  it('fails with the state’s name when a provider-state handler is missing', async () => {
    const url = await serve(goodPayments);
    const partial = stateHandlers({ 'payments is up': async () => undefined }, { messages: handlers.messages });
    const result = await verifyContracts({ pactsDir: dir, provider: 'payments', providerBaseUrl: url, stateHandlers: partial });
    expect(result.status).toBe('failed');
    const pv = result.providers[0]!;
    expect(pv.missingStates).toEqual([{ state: 'no charge exists for order', neededBy: ['planner: a charge for a new order'] }]);
    const i = pv.pacts.find((p) => p.consumer === 'planner')!.interactions[0]!;
    expect(i.status).toBe('failed');
    expect(i.mismatches[0]).toMatchObject({ kind: 'state', path: 'no charge exists for order' });
    expect(i.mismatches[0]!.message).toMatch(/no provider-state handler for state 'no charge exists for order'/);
  });

  it('names the state and its error when a handler throws', async () => {
    const url = await serve(goodPayments);
    const failing = states.handlers(
      {
        'no charge exists for order': async () => {
          throw new Error('database is read-only');
        },
        'payments is up': async () => undefined,
      },
      { messages: handlers.messages },
    );
    const result = await verifyContracts({ pactsDir: dir, provider: 'payments', providerBaseUrl: url, stateHandlers: failing });
    const i = result.providers[0]!.pacts.find((p) => p.consumer === 'planner')!.interactions[0]!;
    expect(i.mismatches[0]!.message).toMatch(/'no charge exists for order' \(setup\) failed: database is read-only/);
  });

  it('names the state and the parameter when a pact’s parameter does not fit the declared schema', async () => {
    const url = await serve(goodPayments);
    const strict = defineProviderStates({ 'no charge exists for order': { orderId: 'integer' }, 'payments is up': {} });
    const h = strict.handlers({ 'no charge exists for order': () => undefined, 'payments is up': () => undefined }, { messages: handlers.messages });
    const result = await verifyContracts({ pactsDir: dir, provider: 'payments', providerBaseUrl: url, stateHandlers: h });
    const i = result.providers[0]!.pacts.find((p) => p.consumer === 'planner')!.interactions[0]!;
    expect(i.mismatches[0]!.message).toMatch(/provider state 'no charge exists for order': parameter 'orderId' should be an integer, got string "ord-1"/);
  });

  it('verifies a message from a producer and names the path of a mistyped field', async () => {
    const url = await serve(goodPayments);
    const wrong = states.handlers(
      { 'no charge exists for order': () => undefined, 'payments is up': () => undefined },
      { messages: { 'a charge.captured event': () => ({ content: { type: 'charge.captured', chargeId: 7, amount: 990 } }) } },
    );
    const result = await verifyContracts({ pactsDir: dir, provider: 'payments', providerBaseUrl: url, stateHandlers: wrong });
    const ledger = result.providers[0]!.pacts.find((p) => p.consumer === 'ledger')!;
    expect(ledger.status).toBe('failed');
    expect(ledger.interactions[0]!.kind).toBe('message');
    expect(ledger.interactions[0]!.mismatches).toContainEqual(expect.objectContaining({ kind: 'body', path: '$.chargeId', matcher: 'type', actual: '7' }));
  });

  it('survives a provider that drops the connection and reports it as an error on the interaction', async () => {
    const url = await serve((req) => req.socket.destroy());
    const result = await verifyContracts({ pactsDir: dir, provider: 'payments', providerBaseUrl: url, stateHandlers: handlers });
    const i = result.providers[0]!.pacts.find((p) => p.consumer === 'planner')!.interactions[0]!;
    expect(i.status).toBe('failed');
    expect(i.mismatches[0]!.kind).toBe('error');
  });

  it('fails an agent card without the skill the consumer needs', async () => {
    const cardDir = await mkdtemp(path.join(os.tmpdir(), 'agentcheck-card-'));
    try {
      await new AgentContract({ consumer: 'discovery', provider: 'planner', dir: cardDir })
        .http('the agent card')
        .expect(a2aAgentCard({ name: 'planner', skills: ['plan-order'] }))
        .run((mock) => fetch(`${mock.url}/.well-known/agent-card.json`));
      const card = (skills: string[]) => ({
        name: 'planner', description: 'd', version: '1.0.0',
        supportedInterfaces: [{ url: 'http://x/a2a', protocolBinding: 'JSONRPC', protocolVersion: '1.0' }],
        capabilities: {}, defaultInputModes: ['application/json'], defaultOutputModes: ['application/json'],
        skills: skills.map((id) => ({ id, name: id, description: id, tags: [] })),
      });
      const ok = await serve((req, body, res) => json(res, 200, card(['other', 'plan-order'])));
      expect((await verifyContracts({ pactsDir: cardDir, providerBaseUrl: ok })).status).toBe('passed');
      const bad = await serve((req, body, res) => json(res, 200, card(['other'])));
      const result = await verifyContracts({ pactsDir: cardDir, providerBaseUrl: bad });
      expect(result.status).toBe('failed');
      expect(result.providers[0]!.pacts[0]!.interactions[0]!.mismatches.some((m) => m.path?.startsWith('$.skills'))).toBe(true);
    } finally {
      await rm(cardDir, { recursive: true, force: true });
    }
  });

  it('uses the provider’s own state-change endpoint when given a path on the provider', async () => {
    const calls: unknown[] = [];
    const url = await serve((req, body, res) => {
      if (req.url === '/_pact/state') {
        calls.push(body);
        return json(res, body.state === 'no charge exists for order' || body.state === 'payments is up' || body.state === '' ? 200 : 500, {});
      }
      goodPayments(req, body, res);
    });
    const result = await verifyContracts({
      pactsDir: dir, provider: 'payments', providerBaseUrl: url, stateChangeUrl: '/_pact/state',
      stateHandlers: stateHandlers({}, { messages: handlers.messages }),
    });
    expect(result.status).toBe('passed');
    expect(result.providers[0]!.missingStates).toEqual([]);
    expect(calls).toContainEqual({ action: 'setup', params: { orderId: 'ord-1' }, state: 'no charge exists for order' });
  });

  it('an unreachable Pact Broker is an environment error, not a mismatch', async () => {
    const url = await serve(goodPayments);
    const result = await verifyContracts({
      provider: 'payments', providerBaseUrl: url,
      broker: { url: 'http://127.0.0.1:1', consumerVersionSelectors: [{ mainBranch: true }], enablePending: true },
    });
    expect(result.status).toBe('error');
    expect(result.providers[0]!.error).toMatch(/the pacts could not be loaded: .*pact broker 'http:\/\/127\.0\.0\.1:1'/);
    await expect(verifyContracts({ providerBaseUrl: url, broker: { url: 'http://127.0.0.1:1' } })).rejects.toThrow(/needs --provider/);
  });

  it('rejects an unknown provider and an empty folder as configuration errors', async () => {
    await expect(verifyContracts({ pactsDir: dir, provider: 'nobody', providerBaseUrl: 'http://127.0.0.1:1' })).rejects.toMatchObject({ code: 'config' });
    const empty = await mkdtemp(path.join(os.tmpdir(), 'agentcheck-empty-'));
    await expect(verifyContracts({ pactsDir: empty })).rejects.toMatchObject({ code: 'config' });
    await rm(empty, { recursive: true, force: true });
  });
});
