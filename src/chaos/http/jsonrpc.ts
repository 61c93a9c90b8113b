/**
 * JSON-RPC 2.0 method extraction from a request body, for matching A2A (`SendMessage`,
 * `message/send`) and MCP (`tools/call`) traffic. Batches yield every member's method.
 */

/** The `method` names in a JSON-RPC request or batch body; `[]` when the body is not JSON-RPC. */
export function jsonRpcMethods(body: Buffer | string): string[] {
  const text = typeof body === 'string' ? body : body.toString('utf8');
  // Cheap pre-check: most bodies that are not JSON-RPC never reach JSON.parse.
  if (!text.includes('"method"')) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return [];
  }
  const members = Array.isArray(parsed) ? parsed : [parsed];
  const out: string[] = [];
  for (const m of members) {
    if (m !== null && typeof m === 'object' && typeof (m as { method?: unknown }).method === 'string') {
      out.push((m as { method: string }).method);
    }
  }
  return out;
}
