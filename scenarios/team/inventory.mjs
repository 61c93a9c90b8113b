#!/usr/bin/env node
// inventory: an MCP server (JSON-RPC 2.0 over plain HTTP POST, stateless: no session id) with one
// idempotent tool, reserve_stock. A repeated orderId returns the reservation it already made,
// which is what the tool's `idempotentHint: true` annotation claims.
import { randomUUID } from 'node:crypto';
import { startAgent } from './lib/server.mjs';
import { serveJsonRpc, RpcError, RPC } from './lib/jsonrpc.mjs';

const NAME = 'inventory';
const PROTOCOL_VERSIONS = ['2025-11-25', '2025-06-18', '2025-03-26'];

/** orderId → {reservationId, orderId, reserved:[{sku, qty}]} */
let reservations = new Map();
let calls = 0;

const itemSchema = {
  type: 'object',
  properties: { sku: { type: 'string', minLength: 1 }, qty: { type: 'integer', minimum: 1 } },
  required: ['sku', 'qty'],
};
const RESERVE_STOCK = {
  name: 'reserve_stock',
  title: 'Reserve stock',
  description: 'Reserve the items of an order. Idempotent per orderId: a repeated call returns the same reservation.',
  inputSchema: {
    type: 'object',
    properties: { orderId: { type: 'string', minLength: 1 }, items: { type: 'array', minItems: 1, items: itemSchema } },
    required: ['orderId', 'items'],
  },
  outputSchema: {
    type: 'object',
    properties: {
      reservationId: { type: 'string' },
      orderId: { type: 'string' },
      reserved: { type: 'array', items: itemSchema },
    },
    required: ['reservationId', 'orderId', 'reserved'],
  },
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
};

function argumentsError(args) {
  if (args === null || typeof args !== 'object' || Array.isArray(args)) return 'arguments must be an object';
  if (typeof args.orderId !== 'string' || args.orderId === '') return 'orderId must be a non-empty string';
  if (!Array.isArray(args.items) || args.items.length === 0) return 'items must be a non-empty array';
  for (const [i, item] of args.items.entries()) {
    if (item === null || typeof item !== 'object') return `items[${i}] must be an object`;
    if (typeof item.sku !== 'string' || item.sku === '') return `items[${i}].sku must be a non-empty string`;
    if (!Number.isInteger(item.qty) || item.qty <= 0) return `items[${i}].qty must be an integer > 0`;
  }
  return null;
}

function reserveStock(args) {
  const invalid = argumentsError(args);
  // Input validation failures are tool execution errors (isError), not protocol errors (MCP 2025-11-25).
  if (invalid) return { content: [{ type: 'text', text: `invalid arguments: ${invalid}` }], isError: true };
  calls++;
  let reservation = reservations.get(args.orderId);
  if (!reservation) {
    reservation = {
      reservationId: `res_${randomUUID()}`,
      orderId: args.orderId,
      reserved: args.items.map((i) => ({ sku: i.sku, qty: i.qty })),
    };
    reservations.set(args.orderId, reservation);
  }
  return { content: [{ type: 'text', text: JSON.stringify(reservation) }], structuredContent: reservation };
}

const methods = {
  initialize: (params) => {
    const asked = typeof params.protocolVersion === 'string' ? params.protocolVersion : undefined;
    return {
      protocolVersion: asked && PROTOCOL_VERSIONS.includes(asked) ? asked : PROTOCOL_VERSIONS[0],
      capabilities: { tools: { listChanged: false } },
      serverInfo: { name: NAME, version: '1.0.0' },
    };
  },
  'notifications/initialized': () => {},
  ping: () => ({}),
  'tools/list': () => ({ tools: [RESERVE_STOCK] }),
  'tools/call': (params) => {
    if (typeof params.name !== 'string') throw new RpcError(RPC.INVALID_PARAMS, 'params.name must be a string');
    if (params.name !== RESERVE_STOCK.name) throw new RpcError(RPC.INVALID_PARAMS, `Unknown tool: ${params.name}`);
    return reserveStock(params.arguments ?? {});
  },
};

function invariants() {
  const list = [...reservations.values()];
  const dup = list.filter((r, i) => list.findIndex((o) => o.orderId === r.orderId) !== i).map((r) => r.orderId);
  return { ok: dup.length === 0, details: { reservations: list.length, calls, reservedTwice: dup } };
}

await startAgent({
  name: NAME,
  routes: [
    { method: 'POST', path: '/mcp', handler: (ctx) => serveJsonRpc(ctx, methods) },
    { method: 'GET', path: '/reservations', handler: (ctx) => ctx.send(200, { reservations: [...reservations.values()] }) },
    { method: 'GET', path: '/invariants', handler: (ctx) => ctx.send(200, invariants()) },
    {
      method: 'POST',
      path: '/reset',
      handler: (ctx) => {
        reservations = new Map();
        calls = 0;
        ctx.send(200, { ok: true });
      },
    },
  ],
});
