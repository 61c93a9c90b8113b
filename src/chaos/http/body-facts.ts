/**
 * What the HTTP-aware proxy notes about every request body for its edge records, whatever the
 * toxics: a hash of the body (so detectors can tell a repeated call from a different call to the
 * same endpoint), the JSON-RPC method, the MCP tool of a `tools/call`, and MCP's trace context in
 * `params._meta.traceparent` (SEP-414). The body is hashed as it streams; only the first
 * {@link SNIFF_BYTES} are kept for the JSON look, so a large upload costs a hash and nothing more.
 */
import { createHash, type Hash } from 'node:crypto';

/** Bytes of a body kept for reading its JSON-RPC fields. */
export const SNIFF_BYTES = 64 * 1024;

/** The record fields a body yields. */
export interface BodyFacts {
  /** First 16 hex digits of the SHA-1 of the body; null for an empty body. */
  bodyHash: string | null;
  jsonrpcMethods: string[];
  /** `params.name` of an MCP `tools/call`. */
  tool: string | null;
  /** `params._meta.traceparent` of a JSON-RPC request (MCP). */
  metaTraceparent: string | null;
}

/** Accumulates one request body. */
export class BodySniffer {
  private hash: Hash | null = null;
  private readonly kept: Buffer[] = [];
  private keptBytes = 0;
  private truncated = false;

  add(data: Buffer): void {
    if (data.length === 0) return;
    (this.hash ??= createHash('sha1')).update(data);
    if (this.truncated) return;
    if (this.keptBytes + data.length > SNIFF_BYTES) {
      this.truncated = true;
      this.kept.length = 0;
      return;
    }
    this.kept.push(data);
    this.keptBytes += data.length;
  }

  /** The facts; call once, when the body has ended (or the record is written). */
  facts(): BodyFacts {
    const bodyHash = this.hash ? this.hash.digest('hex').slice(0, 16) : null;
    this.hash = null;
    const none: BodyFacts = { bodyHash, jsonrpcMethods: [], tool: null, metaTraceparent: null };
    if (this.truncated || this.keptBytes === 0) return none;
    const text = (this.kept.length === 1 ? this.kept[0]! : Buffer.concat(this.kept)).toString('utf8');
    if (!text.includes('"method"')) return none;
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return none;
    }
    const members = (Array.isArray(parsed) ? parsed : [parsed]).filter((m): m is Record<string, unknown> => m !== null && typeof m === 'object');
    const jsonrpcMethods = members.map((m) => m.method).filter((m): m is string => typeof m === 'string');
    const first = members.find((m) => typeof m.method === 'string');
    const params = first?.params && typeof first.params === 'object' ? (first.params as Record<string, unknown>) : undefined;
    const tool = first?.method === 'tools/call' && typeof params?.name === 'string' ? params.name : null;
    const meta = params?._meta && typeof params._meta === 'object' ? (params._meta as Record<string, unknown>) : undefined;
    return { bodyHash, jsonrpcMethods, tool, metaTraceparent: typeof meta?.traceparent === 'string' ? meta.traceparent : null };
  }
}
