// The client side of the planner's A2A surface, shared by intake and the coordinator: one
// SendMessage (v1.0) per order, retried with the same messageId, and the answer read back into
// either the receipt or the reason the order failed.
import { callJson } from './call.mjs';

let rpcIds = 0;

/**
 * Ask the planner at `plannerUrl` to fulfil `order` with `messageId` (the de-duplication key).
 * `headers` are added to the request (e.g. an Idempotency-Key), `trace` continues the caller's
 * trace. Resolves `{ok: true, receipt: {orderId, chargeId, reservationId}}` or `{ok: false, error}`;
 * never rejects for a transport failure (that is a failed order too).
 */
export async function askPlanner(plannerUrl, { messageId, order, trace, headers = {}, agent, call }) {
  let answer;
  try {
    answer = await callJson(`${plannerUrl}/a2a`, {
      payload: {
        jsonrpc: '2.0',
        id: ++rpcIds,
        method: 'SendMessage',
        params: { message: { messageId, role: 'ROLE_USER', parts: [{ data: order, mediaType: 'application/json' }] } },
      },
      headers: { 'a2a-version': '1.0', ...headers },
      traceparent: trace.child,
      agent,
      ...call,
    });
  } catch (err) {
    return { ok: false, error: `planner unreachable: ${err.message}` };
  }
  const rpc = answer.json;
  if (answer.status !== 200 || !rpc) return { ok: false, error: `planner answered HTTP ${answer.status}` };
  if (rpc.error) {
    const data = rpc.error.data ? `: ${JSON.stringify(rpc.error.data)}` : '';
    return { ok: false, error: `planner rejected the order: ${rpc.error.code} ${rpc.error.message}${data}` };
  }
  const task = rpc.result?.task;
  const state = task?.status?.state;
  if (state !== 'TASK_STATE_COMPLETED') {
    const reason = task?.status?.message?.parts?.[0]?.text ?? `task state ${state ?? 'missing'}`;
    return { ok: false, error: `planner failed the order: ${reason}` };
  }
  const receipt = task.artifacts?.[0]?.parts?.[0]?.data;
  if (typeof receipt?.chargeId !== 'string') return { ok: false, error: 'planner receipt has no chargeId' };
  return { ok: true, receipt };
}
