import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getJson, postJson, startTeam, stopAllTeamAgents, type StartedTeam } from './helpers.js';

// The planner's A2A surface and the inventory's MCP surface, driven with raw JSON-RPC.
let team: StartedTeam;
beforeAll(async () => {
  team = await startTeam();
});
afterAll(stopAllTeamAgents);

const order = (orderId: string) => ({ orderId, items: [{ sku: 'sku-9', qty: 1 }], amount: 300, currency: 'EUR' });
const a2a = (body: unknown, headers: Record<string, string> = {}) => postJson(`${team.planner.url}/a2a`, body, headers);
const mcp = (body: unknown) =>
  postJson(`${team.inventory.url}/mcp`, body, { accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-11-25' });
const send = (messageId: string, parts: unknown[], method = 'SendMessage') =>
  a2a({ jsonrpc: '2.0', id: messageId, method, params: { message: { messageId, role: 'ROLE_USER', parts } } });

describe('planner (A2A JSON-RPC)', () => {
  it('serves a v1.0 agent card with every required field', async () => {
    const { status, body } = await getJson(`${team.planner.url}/.well-known/agent-card.json`);
    expect(status).toBe(200);
    expect(body).toMatchObject({
      name: 'planner',
      description: expect.any(String),
      version: expect.any(String),
      capabilities: { streaming: false, pushNotifications: false, extendedAgentCard: false },
      defaultInputModes: expect.arrayContaining(['application/json']),
      defaultOutputModes: expect.arrayContaining(['application/json']),
    });
    expect(body.supportedInterfaces).toContainEqual({ url: `${team.planner.url}/a2a`, protocolBinding: 'JSONRPC', protocolVersion: '1.0' });
    expect(body.skills).toEqual([{ id: 'plan-order', name: expect.any(String), description: expect.any(String), tags: expect.any(Array) }]);
  });

  it('answers SendMessage (v1.0) with a completed task and its receipt', async () => {
    const { status, body } = await send('m-v1', [{ data: order('a2a-1') }]);
    expect(status).toBe(200);
    expect(body).toMatchObject({ jsonrpc: '2.0', id: 'm-v1' });
    const task = body.result.task;
    expect(task).toMatchObject({ id: expect.any(String), contextId: expect.any(String), status: { state: 'TASK_STATE_COMPLETED' } });
    expect(task.artifacts).toEqual([
      { artifactId: 'receipt', parts: [{ data: { orderId: 'a2a-1', chargeId: expect.stringMatching(/^ch_/), reservationId: expect.stringMatching(/^res_/) } }] },
    ]);
    const got = await a2a({ jsonrpc: '2.0', id: 2, method: 'GetTask', params: { id: task.id } });
    expect(got.body.result).toEqual(task);
  });

  it('answers message/send (v0.3) in v0.3 spelling', async () => {
    const { body } = await send('m-v03', [{ kind: 'data', data: order('a2a-2') }], 'message/send');
    expect(body.result).toMatchObject({ kind: 'task', status: { state: 'completed' } });
    expect(body.result.artifacts[0].parts[0]).toMatchObject({ kind: 'data', data: { orderId: 'a2a-2' } });
  });

  it('de-duplicates by messageId: a repeated message returns the same task and charges once', async () => {
    const [a, b] = await Promise.all([send('m-dup', [{ data: order('a2a-3') }]), send('m-dup', [{ data: order('a2a-3') }])]);
    expect(b.body.result.task.id).toBe(a.body.result.task.id);
    const again = await send('m-dup', [{ data: order('a2a-3') }]);
    expect(again.body.result.task.id).toBe(a.body.result.task.id);
    const effects = (await getJson(`${team.payments.url}/ledger`)).body.effects.filter((e: any) => e.orderId === 'a2a-3');
    expect(effects).toHaveLength(1);
  });

  it('fails the task with the reason in status.message when a step fails', async () => {
    // Same orderId, different amount: payments rejects the reused charge key with 422.
    const first = await send('m-f1', [{ data: order('a2a-4') }]);
    expect(first.body.result.task.status.state).toBe('TASK_STATE_COMPLETED');
    const { body } = await send('m-f2', [{ data: { ...order('a2a-4'), amount: 301 } }]);
    expect(body.result.task.status.state).toBe('TASK_STATE_FAILED');
    expect(body.result.task.status.message.parts[0].text).toBe(
      'payments: POST /charges answered 422 Idempotency-Key reused with a different payload',
    );
  });

  it.each([
    ['unparseable JSON', '{"jsonrpc":"2.0",', -32700, null],
    ['a batch', [{ jsonrpc: '2.0', id: 1, method: 'SendMessage' }], -32600, null],
    ['no jsonrpc member', { id: 7, method: 'SendMessage', params: {} }, -32600, 7],
    ['a non-string method', { jsonrpc: '2.0', id: 8, method: 42 }, -32600, 8],
    ['an unknown method', { jsonrpc: '2.0', id: 9, method: 'tasks/explode', params: {} }, -32601, 9],
    ['no message', { jsonrpc: '2.0', id: 10, method: 'SendMessage', params: {} }, -32602, 10],
    ['no messageId', { jsonrpc: '2.0', id: 11, method: 'SendMessage', params: { message: { role: 'ROLE_USER', parts: [{ data: order('x') }] } } }, -32602, 11],
    ['no data part', { jsonrpc: '2.0', id: 12, method: 'SendMessage', params: { message: { messageId: 'q', parts: [{ text: 'hi' }] } } }, -32602, 12],
    ['an invalid order', { jsonrpc: '2.0', id: 13, method: 'message/send', params: { message: { messageId: 'r', parts: [{ kind: 'data', data: { orderId: 'x' } }] } } }, -32602, 13],
    ['an unknown task', { jsonrpc: '2.0', id: 14, method: 'GetTask', params: { id: 'nope' } }, -32001, 14],
  ])('answers %s with JSON-RPC error %i', async (_what, body, code, id) => {
    const r = await a2a(body);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ jsonrpc: '2.0', id, error: { code, message: expect.any(String) } });
    expect(r.body.result).toBeUndefined();
  });

  it('rejects an unsupported A2A-Version with -32009', async () => {
    const r = await a2a({ jsonrpc: '2.0', id: 1, method: 'SendMessage', params: {} }, { 'a2a-version': '2.5' });
    expect(r.body.error.code).toBe(-32009);
  });
});

describe('inventory (MCP JSON-RPC)', () => {
  it('initializes, accepts notifications/initialized with 202 and no body', async () => {
    const init = await mcp({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'test', version: '0' } },
    });
    expect(init.body.result).toMatchObject({
      protocolVersion: '2025-11-25',
      capabilities: { tools: expect.any(Object) },
      serverInfo: { name: 'inventory' },
    });
    const note = await mcp({ jsonrpc: '2.0', method: 'notifications/initialized' });
    expect(note.status).toBe(202);
    expect(note.body).toBeUndefined();
  });

  it('lists reserve_stock with schemas and idempotentHint', async () => {
    const { body } = await mcp({ jsonrpc: '2.0', id: 2, method: 'tools/list' });
    expect(body.result.tools).toHaveLength(1);
    const tool = body.result.tools[0];
    expect(tool).toMatchObject({ name: 'reserve_stock', annotations: { idempotentHint: true } });
    expect(tool.inputSchema.required).toEqual(['orderId', 'items']);
    expect(tool.outputSchema.required).toEqual(['reservationId', 'orderId', 'reserved']);
  });

  it('reserves idempotently per orderId', async () => {
    const call = (id: number) =>
      mcp({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'reserve_stock', arguments: { orderId: 'mcp-1', items: [{ sku: 's', qty: 3 }] } } });
    const a = await call(3);
    const b = await call(4);
    expect(a.body.result.structuredContent).toEqual({ reservationId: expect.stringMatching(/^res_/), orderId: 'mcp-1', reserved: [{ sku: 's', qty: 3 }] });
    expect(JSON.parse(a.body.result.content[0].text)).toEqual(a.body.result.structuredContent);
    expect(b.body.result).toEqual(a.body.result);
    const all = (await getJson(`${team.inventory.url}/reservations`)).body.reservations.filter((r: any) => r.orderId === 'mcp-1');
    expect(all).toHaveLength(1);
  });

  it('reports invalid tool arguments as a tool error (isError), not a protocol error', async () => {
    const { body } = await mcp({ jsonrpc: '2.0', id: 5, method: 'tools/call', params: { name: 'reserve_stock', arguments: { orderId: 'mcp-2', items: [] } } });
    expect(body.error).toBeUndefined();
    expect(body.result).toMatchObject({ isError: true, content: [{ type: 'text', text: 'invalid arguments: items must be a non-empty array' }] });
  });

  it.each([
    ['unparseable JSON', '{', -32700, null],
    ['a batch', [{ jsonrpc: '2.0', id: 1, method: 'tools/list' }], -32600, null],
    ['a wrong jsonrpc version', { jsonrpc: '1.0', id: 6, method: 'tools/list' }, -32600, 6],
    ['an unknown method', { jsonrpc: '2.0', id: 7, method: 'resources/list' }, -32601, 7],
    ['an unknown tool', { jsonrpc: '2.0', id: 8, method: 'tools/call', params: { name: 'drop_tables', arguments: {} } }, -32602, 8],
    ['a missing tool name', { jsonrpc: '2.0', id: 9, method: 'tools/call', params: {} }, -32602, 9],
  ])('answers %s with JSON-RPC error %i', async (_what, body, code, id) => {
    const r = await mcp(body);
    expect(r.body).toMatchObject({ jsonrpc: '2.0', id, error: { code, message: expect.any(String) } });
  });
});
