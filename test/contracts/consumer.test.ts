// Consumer helpers against Pact's real mock server: conventions, A2A and MCP builders, events.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AgentContract,
  ContractTestError,
  MatchersV3,
} from '../../src/contracts/consumer.js';
import { a2aAgentCard, a2aCancelTask, a2aDataPart, a2aGetTask, a2aSendMessage, a2aArtifact } from '../../src/contracts/a2a.js';
import { mcpInitialize, mcpInitialized, mcpToolsCall, mcpToolsList } from '../../src/contracts/mcp.js';
import { TRACEPARENT_EXAMPLE } from '../../src/contracts/conventions.js';
import { defineProviderStates } from '../../src/contracts/states.js';

const { like, integer, eachLike } = MatchersV3;

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'agentcheck-consumer-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function readPactJson(contract: AgentContract): Promise<{ interactions: Array<Record<string, any>>; metadata: Record<string, any> }> {
  return JSON.parse(await readFile(contract.pactFile, 'utf8'));
}

async function postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; json: any }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : undefined };
}

const charge = { orderId: like('ord-1'), amount: integer(1250), currency: MatchersV3.regex('^[A-Z]{3}$', 'EUR') };
const paymentStates = defineProviderStates({ 'no charge exists for order': { orderId: 'string' } });

describe('HTTP interactions with agentcheck conventions', () => {
  it('records a required Idempotency-Key and a W3C traceparent with matchers, and the typed state', async () => {
    const contract = new AgentContract({ consumer: 'shop', provider: 'payments', dir, consumerVersion: '1.4.0' });
    const out = await contract
      .http('a charge')
      .given(paymentStates.noChargeExistsForOrder({ orderId: 'ord-1' }))
      .withRequest({ method: 'POST', path: '/charges', idempotencyKey: 'charge-ord-1', traceparent: true, body: charge })
      .willRespondWith({ status: 201, body: { chargeId: like('ch_1'), status: 'captured' } })
      .run(async (mock) =>
        postJson(`${mock.url}/charges`, { orderId: 'ord-9', amount: 5, currency: 'USD' }, {
          'Idempotency-Key': 'charge-ord-9',
          traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
        }),
      );
    expect(out).toEqual({ status: 201, json: { chargeId: 'ch_1', status: 'captured' } });
    const pact = await readPactJson(contract);
    const i = pact.interactions[0]!;
    expect(i['providerStates']).toEqual([{ name: 'no charge exists for order', params: { orderId: 'ord-1' } }]);
    expect(i['request'].matchingRules.header['traceparent'].matchers[0]).toEqual({ match: 'regex', regex: '^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$' });
    expect(i['request'].matchingRules.header['Idempotency-Key'].matchers[0].match).toBe('regex');
    expect(i['request'].headers['traceparent']).toEqual([TRACEPARENT_EXAMPLE]);
    expect(pact.metadata['agentcheck']).toEqual({ consumerVersion: '1.4.0' });
  });

  it('fails a consumer that omits the Idempotency-Key, naming the header', async () => {
    const contract = new AgentContract({ consumer: 'shop2', provider: 'payments', dir });
    const run = contract
      .http('a charge')
      .withRequest({ method: 'POST', path: '/charges', idempotencyKey: true, body: charge })
      .willRespondWith({ status: 201, body: { chargeId: like('ch_1') } })
      .run(async (mock) => postJson(`${mock.url}/charges`, { orderId: 'o', amount: 5, currency: 'EUR' }));
    await expect(run).rejects.toBeInstanceOf(ContractTestError);
    await expect(run).rejects.toThrow(/Idempotency-Key/i);
  });

  it('fails a consumer whose traceparent is not W3C format', async () => {
    const contract = new AgentContract({ consumer: 'shop3', provider: 'payments', dir });
    const run = contract
      .http('a charge')
      .withRequest({ method: 'POST', path: '/charges', traceparent: true, body: charge })
      .willRespondWith({ status: 201 })
      .run(async (mock) => postJson(`${mock.url}/charges`, { orderId: 'o', amount: 5, currency: 'EUR' }, { traceparent: 'not-a-trace' }));
    await expect(run).rejects.toThrow(/traceparent/);
  });

  it('keeps the consumer test’s own failure when the mock matched', async () => {
    const contract = new AgentContract({ consumer: 'shop4', provider: 'payments', dir });
    const run = contract
      .http('a ping')
      .withRequest({ method: 'GET', path: '/healthz' })
      .willRespondWith({ status: 200, body: { ok: true } })
      .run(async (mock) => {
        await fetch(`${mock.url}/healthz`);
        throw new Error('client assertion failed');
      });
    await expect(run).rejects.toThrow(/^client assertion failed$/);
    // A failed test writes no pact.
    await expect(readFile(contract.pactFile)).rejects.toThrow(/ENOENT/);
  });

  it('reports both the mock mismatches and the test’s own failure', async () => {
    const contract = new AgentContract({ consumer: 'shop5', provider: 'payments', dir });
    const run = contract
      .http('a ping')
      .withRequest({ method: 'GET', path: '/healthz' })
      .willRespondWith({ status: 200, body: { ok: true } })
      .run(async (mock) => {
        await fetch(`${mock.url}/health`);
        throw new Error('got 500');
      });
    await expect(run).rejects.toBeInstanceOf(ContractTestError);
    await expect(run).rejects.toThrow(/\/health[\s\S]*the test itself failed with: got 500/);
    await expect(run).rejects.not.toThrow(/consumer-test-failed/);
  });
});

describe('A2A builders', () => {
  const order = { orderId: like('ord-1'), items: eachLike({ sku: like('sku-1'), qty: integer(1) }) };

  it('v1.0 SendMessage pins the method and the A2A-Version header and answers {task}', async () => {
    const contract = new AgentContract({ consumer: 'intake', provider: 'planner-a', dir });
    const answer = await contract
      .http('send an order')
      .expect(a2aSendMessage({ message: { data: order }, result: { task: { artifacts: [a2aArtifact('receipt', { chargeId: like('ch_1') })] } } }))
      .run(async (mock) =>
        postJson(`${mock.url}/a2a`, {
          jsonrpc: '2.0',
          id: 7,
          method: 'SendMessage',
          params: { message: { messageId: 'k-1', role: 'ROLE_USER', parts: [{ data: { orderId: 'o-2', items: [{ sku: 'a', qty: 2 }] } }] } },
        }, { 'A2A-Version': '1.0' }),
      );
    expect(answer.json.result.task.status.state).toBe('TASK_STATE_COMPLETED');
    expect(answer.json.result.task.artifacts[0].parts[0].data.chargeId).toBe('ch_1');
  });

  it('v1.0 contract rejects the v0.3 spelling message/send', async () => {
    const contract = new AgentContract({ consumer: 'intake-old', provider: 'planner-a', dir });
    const run = contract
      .http('send an order')
      .expect(a2aSendMessage({ message: { data: order } }))
      .run(async (mock) =>
        postJson(`${mock.url}/a2a`, {
          jsonrpc: '2.0', id: 1, method: 'message/send',
          params: { message: { messageId: 'k', role: 'ROLE_USER', parts: [{ data: { orderId: 'o', items: [{ sku: 'a', qty: 1 }] } }] } },
        }, { 'A2A-Version': '1.0' }),
      );
    await expect(run).rejects.toThrow(/method/);
  });

  it('v1.0 contract rejects a request without the A2A-Version header (that is v0.3)', async () => {
    const contract = new AgentContract({ consumer: 'intake-nohdr', provider: 'planner-a', dir });
    const run = contract
      .http('send an order')
      .expect(a2aSendMessage({ message: { data: order } }))
      .run(async (mock) =>
        postJson(`${mock.url}/a2a`, {
          jsonrpc: '2.0', id: 1, method: 'SendMessage',
          params: { message: { messageId: 'k', role: 'ROLE_USER', parts: [{ data: { orderId: 'o', items: [{ sku: 'a', qty: 1 }] } }] } },
        }),
      );
    await expect(run).rejects.toThrow(/A2A-Version/i);
  });

  it('v0.3 message/send uses kind on parts, lower-case role and state, and the task as the result', async () => {
    const contract = new AgentContract({ consumer: 'intake-v03', provider: 'planner-a', dir });
    const answer = await contract
      .http('send an order (v0.3)')
      .expect(a2aSendMessage({ version: '0.3', message: { parts: [a2aDataPart(order, '0.3')] } }))
      .run(async (mock) =>
        postJson(`${mock.url}/a2a`, {
          jsonrpc: '2.0', id: 3, method: 'message/send',
          params: { message: { kind: 'message', messageId: 'k', role: 'user', parts: [{ kind: 'data', data: { orderId: 'o', items: [{ sku: 'a', qty: 1 }] } }] } },
        }),
      );
    expect(answer.json.result).toMatchObject({ kind: 'task', status: { state: 'completed' } });
  });

  it('GetTask / tasks/get and CancelTask / tasks/cancel carry the version’s method names', async () => {
    const contract = new AgentContract({ consumer: 'monitor', provider: 'planner-b', dir });
    const get10 = contract.http('get a task').expect(a2aGetTask({ taskId: 'task-9' }));
    const cancel03 = contract.http('cancel a task (v0.3)').expect(a2aCancelTask({ version: '0.3', taskId: 'task-9', id: 2 }));
    await cancel03.run(async (mock) => {
      const g = await postJson(`${mock.url}/a2a`, { jsonrpc: '2.0', id: 1, method: 'GetTask', params: { id: 'task-9' } }, { 'A2A-Version': '1.0' });
      expect(g.json.result.status.state).toBe('TASK_STATE_COMPLETED');
      const c = await postJson(`${mock.url}/a2a`, { jsonrpc: '2.0', id: 2, method: 'tasks/cancel', params: { id: 'task-9' } });
      expect(c.json.result.status.state).toBe('canceled');
    }, [get10]);
    const pact = await readPactJson(contract);
    expect(pact.interactions.map((i) => i['request'].body.content.method).sort()).toEqual(['GetTask', 'tasks/cancel']);
  });

  it('the agent card expectation pins the name and needs each skill (arrayContaining)', async () => {
    const contract = new AgentContract({ consumer: 'discovery', provider: 'planner-c', dir });
    const got = await contract
      .http('the agent card')
      .expect(a2aAgentCard({ name: 'planner', skills: ['plan-order'], capabilities: { streaming: false } }))
      .run(async (mock) => (await fetch(`${mock.url}/.well-known/agent-card.json`)).json());
    expect((got as { name: string }).name).toBe('planner');
    const pact = await readPactJson(contract);
    expect(JSON.stringify(pact.interactions[0]!['response'].matchingRules.body)).toContain('arrayContains');
  });
});

describe('MCP builders', () => {
  it('initialize, notifications/initialized and tools/call on one mock server', async () => {
    const contract = new AgentContract({ consumer: 'planner-m', provider: 'inventory-m', dir });
    const init = contract.http('initialize').expect(mcpInitialize({ clientName: 'planner' }));
    const initialized = contract.http('initialized notification').expect(mcpInitialized());
    const call = contract.http('reserve stock').expect(
      mcpToolsCall({
        tool: 'reserve_stock',
        id: 2,
        arguments: { orderId: like('ord-1'), items: eachLike({ sku: like('sku-1'), qty: integer(1) }) },
        structuredContent: { reservationId: like('res-1'), orderId: like('ord-1') },
      }),
    );
    const result = await call.run(async (mock) => {
      const i = await postJson(`${mock.url}/mcp`, { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'planner', version: '1.0.0' } } });
      expect(i.json.result.protocolVersion).toBe('2025-11-25');
      const n = await fetch(`${mock.url}/mcp`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized', params: {} }) });
      expect(n.status).toBe(202);
      return postJson(`${mock.url}/mcp`, { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'reserve_stock', arguments: { orderId: 'o-5', items: [{ sku: 'x', qty: 3 }] } } });
    }, [init, initialized]);
    expect(result.json.result.structuredContent.reservationId).toBe('res-1');
  });

  it('tools/call for another tool does not match', async () => {
    const contract = new AgentContract({ consumer: 'planner-m2', provider: 'inventory-m', dir });
    const run = contract
      .http('reserve stock')
      .expect(mcpToolsCall({ tool: 'reserve_stock', arguments: { orderId: like('o') } }))
      .run(async (mock) => postJson(`${mock.url}/mcp`, { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'release_stock', arguments: { orderId: 'o' } } }));
    await expect(run).rejects.toThrow(/name/);
  });

  it('tools/list containing a tool with its idempotentHint', async () => {
    const contract = new AgentContract({ consumer: 'auditor', provider: 'inventory-m', dir });
    const out = await contract
      .http('list tools')
      .expect(mcpToolsList({ contains: { name: 'reserve_stock', annotations: { idempotentHint: true } } }))
      .run(async (mock) => postJson(`${mock.url}/mcp`, { jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} }));
    expect(out.json.result.tools[0]).toMatchObject({ name: 'reserve_stock', annotations: { idempotentHint: true } });
  });
});

describe('event (asynchronous message) interactions', () => {
  it('hands the reified example to the consumer and writes a message interaction', async () => {
    const contract = new AgentContract({ consumer: 'notifier-x', provider: 'planner-x', dir });
    const seen: unknown[] = [];
    await contract
      .event('an order.completed event')
      .given('an order was completed', { orderId: 'ord-1' })
      .withContent({ eventId: like('order-completed-ord-1'), type: 'order.completed', orderId: like('ord-1') })
      .run(async (message) => {
        seen.push(message.content);
      });
    expect(seen).toEqual([{ eventId: 'order-completed-ord-1', type: 'order.completed', orderId: 'ord-1' }]);
    const pact = await readPactJson(contract);
    expect(pact.interactions[0]!['type']).toBe('Asynchronous/Messages');
    expect(pact.interactions[0]!['metadata']).toEqual({ contentType: 'application/json' });
  });

  it('a consumer that rejects the message fails the test and writes nothing new', async () => {
    const contract = new AgentContract({ consumer: 'notifier-y', provider: 'planner-x', dir });
    const run = contract
      .event('an order.completed event')
      .withContent({ eventId: like('e') })
      .run(async () => {
        throw new Error('consumer answered 400');
      });
    await expect(run).rejects.toThrow('consumer answered 400');
    await expect(readFile(contract.pactFile)).rejects.toThrow(/ENOENT/);
  });
});
