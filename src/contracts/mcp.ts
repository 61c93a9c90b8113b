/**
 * MCP (Model Context Protocol) contract builders: JSON-RPC 2.0 over HTTP POST. `tools/call` for a
 * named tool with argument and `structuredContent` matchers, `tools/list` containing a tool, and
 * the `initialize` handshake (with `notifications/initialized`) that a stateful client sends first.
 */
import { MatchersV3 } from '@pact-foundation/pact';
import type { HttpExchange, HttpRequestSpec } from './consumer.js';

const { eachLike } = MatchersV3;

function like(example: unknown): unknown {
  return MatchersV3.isMatcher(example) ? example : MatchersV3.like(example);
}

/** The MCP protocol version the builders pin by default. */
export const MCP_PROTOCOL_VERSION = '2025-11-25';

/** Common options of every MCP exchange. */
export interface McpCommon {
  /** JSON-RPC endpoint path; default `/mcp`. */
  path?: string;
  /** Example JSON-RPC id (type-matched); default `1`. */
  id?: string | number;
  /** Require this `MCP-Protocol-Version` header on the request (exact); default not required. */
  protocolVersion?: string;
  /** Require a W3C `traceparent`; default false. */
  traceparent?: boolean;
  /** Extra request headers (values may be matchers). */
  headers?: Record<string, unknown>;
}

function request(method: string, params: unknown, c: McpCommon, withId = true): HttpRequestSpec {
  const headers: Record<string, unknown> = { ...c.headers };
  if (c.protocolVersion) headers['MCP-Protocol-Version'] = c.protocolVersion;
  const body: Record<string, unknown> = { jsonrpc: '2.0', method, params };
  if (withId) body['id'] = like(c.id ?? 1);
  return {
    method: 'POST',
    path: c.path ?? '/mcp',
    headers: headers as Record<string, string>,
    body,
    ...(c.traceparent ? { traceparent: true } : {}),
  };
}

/** Options of {@link mcpToolsCall}. */
export interface McpToolsCallSpec extends McpCommon {
  /** The tool's name (exact). */
  tool: string;
  /** The arguments the consumer sends (with matchers). */
  arguments: unknown;
  /** The `structuredContent` the consumer relies on (with matchers). Omitted: not checked. */
  structuredContent?: unknown;
  /** The `content` blocks; default at least one `{type: "text", text}`. */
  content?: unknown;
  /** Expect a tool error (`isError: true`) instead of a result; default false. */
  isError?: boolean;
}

/** `tools/call` of one named tool: the request's name and arguments, the result's content and structuredContent. */
export function mcpToolsCall(spec: McpToolsCallSpec): HttpExchange {
  const result: Record<string, unknown> = {
    content: spec.content ?? eachLike({ type: 'text', text: like('tool output') }, 1),
  };
  if (spec.structuredContent !== undefined) result['structuredContent'] = spec.structuredContent;
  if (spec.isError) result['isError'] = true;
  return {
    request: request('tools/call', { name: spec.tool, arguments: spec.arguments }, spec),
    response: { status: 200, body: { jsonrpc: '2.0', id: like(spec.id ?? 1), result } },
  };
}

/** Options of {@link mcpToolsList}. */
export interface McpToolsListSpec extends McpCommon {
  /** The tool the list must contain: its name, and optionally schema parts or annotations it must declare. */
  contains: {
    name: string;
    /** e.g. `{ idempotentHint: true }` — a claim the consumer relies on. */
    annotations?: Record<string, boolean>;
    /** Matchers for the input schema (default: any object). */
    inputSchema?: unknown;
    /** Matchers for the output schema (default: not checked). */
    outputSchema?: unknown;
  };
}

/** `tools/list` whose `tools` array contains the named tool (Pact `arrayContaining`). */
export function mcpToolsList(spec: McpToolsListSpec): HttpExchange {
  const tool: Record<string, unknown> = {
    name: spec.contains.name,
    inputSchema: spec.contains.inputSchema ?? { type: 'object' },
  };
  if (spec.contains.annotations) tool['annotations'] = spec.contains.annotations;
  if (spec.contains.outputSchema !== undefined) tool['outputSchema'] = spec.contains.outputSchema;
  return {
    request: request('tools/list', like({}), spec),
    response: { status: 200, body: { jsonrpc: '2.0', id: like(spec.id ?? 1), result: { tools: MatchersV3.arrayContaining(tool) } } },
  };
}

/** Options of {@link mcpInitialize}. */
export interface McpInitializeSpec extends McpCommon {
  /** The protocol version the client asks for and the server must answer; default {@link MCP_PROTOCOL_VERSION}. */
  version?: string;
  /** The client's name in `clientInfo` (type-matched); default `client`. */
  clientName?: string;
  /** Require the server to declare the `tools` capability; default true. */
  tools?: boolean;
}

/** The `initialize` request and its result (protocol version exact, server info by type). */
export function mcpInitialize(spec: McpInitializeSpec = {}): HttpExchange {
  const version = spec.version ?? MCP_PROTOCOL_VERSION;
  const capabilities: Record<string, unknown> = spec.tools === false ? {} : { tools: like({}) };
  return {
    request: request('initialize', {
      protocolVersion: version,
      capabilities: like({}),
      clientInfo: like({ name: spec.clientName ?? 'client', version: '1.0.0' }),
    }, spec),
    response: {
      status: 200,
      body: {
        jsonrpc: '2.0',
        id: like(spec.id ?? 1),
        result: { protocolVersion: version, capabilities, serverInfo: { name: like('server'), version: like('1.0.0') } },
      },
    },
  };
}

/** The `notifications/initialized` notification (no id) and the server's `202 Accepted`. */
export function mcpInitialized(spec: McpCommon = {}): HttpExchange {
  return {
    request: request('notifications/initialized', like({}), spec, false),
    response: { status: 202 },
  };
}
