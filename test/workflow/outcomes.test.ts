import { describe, expect, it } from 'vitest';
import { compileBudget, evaluateBudget } from '../../src/load/budget.js';
import { runLoad, type HistoryEvent, type LoadResult } from '../../src/load/driver.js';
import { closeAfterEach, sendBody, startA2aServer, startRpcServer } from './servers.js';

const keep = closeAfterEach();

const judge = (result: LoadResult, budget: string) => evaluateBudget(compileBudget(budget), { series: result.seriesByName })[0]!;
const classes = (result: LoadResult) => Object.fromEntries(result.outcomes.map((o) => [o.class, o.count]));

describe('protocol-aware outcomes, on by default', () => {
  it('an async A2A team whose tasks mostly fail FAILS error_rate < 1% on the workflow while http.* stays clean; the healthy team passes', async () => {
    // The entry answers every message/send at once with a `submitted` task (a 200); 90 % of the
    // tasks end `failed` 150 ms later. The scenario declares only the message/send request.
    const failing = keep(await startA2aServer({ version: '0.3', completeAfterMs: 150, fails: (n) => n % 10 !== 0 }));
    const target = { url: `${failing.url}/a2a`, method: 'POST', headers: { 'Content-Type': 'application/json' }, body: sendBody };
    const history: HistoryEvent[] = [];
    const bad = await runLoad({ target, phases: [{ name: 'fault', durationMs: 1500, rate: 100 }], seed: 'a2a', history: (e) => history.push(e), follow: { a2a: { pollIntervalMs: 20, maxIntervalMs: 100, inputRequired: 'error', authRequired: 'error' } } });
    expect(bad.workflow.phases[0]!.requests).toBeGreaterThanOrEqual(140);
    const wf = judge(bad, 'error_rate < 1%');
    expect(wf.status).toBe('fail');
    expect(wf.measured!).toBeGreaterThan(0.8);
    expect(judge(bad, 'http.error_rate < 1%').status).toBe('pass');
    // The workflow lasts until the terminal state: ≥ 150 ms, where the entry hop took a few ms.
    expect(bad.workflow.phases[0]!.latency!.p50).toBeGreaterThanOrEqual(150);
    expect(bad.series.phases[0]!.latency!.p50).toBeLessThan(bad.workflow.phases[0]!.latency!.p50);
    const c = classes(bad);
    expect(c.failed! / (c.failed! + c.completed!)).toBeGreaterThan(0.85);
    // Follow-up polls are steps of the workflow, not workflows: one invoke + one completion each.
    expect(failing.methods.filter((m) => m === 'tasks/get').length).toBeGreaterThan(bad.generator.sent);
    const invokes = history.filter((e) => e.type === 'invoke').length;
    expect(invokes).toBe(bad.generator.sent);
    expect(history.length).toBe(2 * invokes);
    const failedEnd = history.find((e) => e.outcome === 'failed')!;
    // A failed task did not complete, which is not "nothing happened": unknown for exactly-once.
    expect(failedEnd.type).toBe('info');
    expect(failedEnd.requests!).toBeGreaterThanOrEqual(2);
    expect(history.find((e) => e.outcome === 'completed')!.type).toBe('ok');

    const healthy = keep(await startA2aServer({ version: '0.3', completeAfterMs: 150 }));
    const good = await runLoad({ target: { ...target, url: `${healthy.url}/a2a` }, phases: [{ name: 'fault', durationMs: 1500, rate: 100 }], seed: 'a2a' });
    expect(judge(good, 'error_rate < 1%').status).toBe('pass');
    expect(judge(good, 'http.error_rate < 1%').status).toBe('pass');
  });

  it('A2A v1.0 shapes: SendMessage → result.task TASK_STATE_SUBMITTED is followed with GetTask', async () => {
    const agent = keep(await startA2aServer({ version: '1.0', completeAfterMs: 80, fails: (n) => n % 2 === 1 }));
    const body = JSON.stringify({ jsonrpc: '2.0', id: '${seq}', method: 'SendMessage', params: { message: { messageId: '${uuid}', role: 'ROLE_USER', parts: [{ text: 'hi' }] } } });
    const r = await runLoad({ target: { url: `${agent.url}/`, body, headers: { 'Content-Type': 'application/json' } }, phases: [{ name: 'p', durationMs: 600, rate: 40 }] });
    const c = classes(r);
    expect(c.completed! + c.failed!).toBe(r.generator.sent);
    expect(c.failed!).toBeGreaterThan(0);
    expect(agent.methods).toContain('GetTask');
    expect(agent.methods).not.toContain('tasks/get');
  });

  it('a 200 carrying a JSON-RPC error is an error outcome jsonrpc:<code>, per method; the entry hop stays a 200', async () => {
    const rpc = keep(
      await startRpcServer((method, _p, id) =>
        method === 'orders/create' ? { body: { jsonrpc: '2.0', id, error: { code: -32603, message: 'database is down' } } } : { body: { jsonrpc: '2.0', id, error: { code: -32601, message: 'no such method' } } },
      ),
    );
    const history: HistoryEvent[] = [];
    const r = await runLoad({
      workflows: [
        { name: 'create', weight: 1, steps: [{ url: `${rpc.url}/rpc`, body: { jsonrpc: '2.0', id: '${seq}', method: 'orders/create', params: {} } }] },
        { name: 'typo', weight: 1, steps: [{ url: `${rpc.url}/rpc`, body: { jsonrpc: '2.0', id: '${seq}', method: 'orders/craete', params: {} } }] },
      ],
      phases: [{ name: 'p', durationMs: 1500, rate: 100 }],
      history: (e) => history.push(e),
    });
    expect(judge(r, 'error_rate < 1%')).toMatchObject({ status: 'fail', measured: 1 });
    expect(judge(r, 'http.error_rate < 1%').status).toBe('pass');
    const internal = r.outcomes.find((o) => o.class === 'jsonrpc:-32603')!;
    expect(internal).toMatchObject({ workflow: 'create', method: 'orders/create', message: 'database is down', phase: 'p' });
    expect(r.outcomes.find((o) => o.class === 'jsonrpc:-32601')).toMatchObject({ workflow: 'typo', method: 'orders/craete' });
    // Per method on the entry: the scoped entry series exists per JSON-RPC method.
    expect(r.seriesByName['http{method=orders/create}']!.phases[0]!.requests).toBe(internal.count);
    // "Method not found" never ran (fail); an internal error may have done work (info).
    expect(history.find((e) => e.outcome === 'jsonrpc:-32601')!.type).toBe('fail');
    expect(history.find((e) => e.outcome === 'jsonrpc:-32603')!.type).toBe('info');
  });

  it('an MCP tools/call answering isError: true is an error outcome mcp:isError; a clean call passes', async () => {
    let n = 0;
    const mcp = keep(
      await startRpcServer((_m, params, id) => ({
        body: { jsonrpc: '2.0', id, result: { content: [{ type: 'text', text: n++ % 2 === 0 ? 'quota exceeded' : 'done' }], isError: params.name === 'flaky' && n % 2 === 1 } },
      })),
    );
    const call = (tool: string) => ({ url: `${mcp.url}/mcp`, body: { jsonrpc: '2.0', id: '${seq}', method: 'tools/call', params: { name: tool, arguments: {} } } });
    const flaky = await runLoad({ workflows: [{ name: 'flaky', steps: [call('flaky')] }], phases: [{ name: 'p', durationMs: 1200, rate: 100 }] });
    expect(classes(flaky)['mcp:isError']!).toBeGreaterThan(40);
    expect(judge(flaky, 'error_rate < 1%').status).toBe('fail');
    expect(judge(flaky, 'http.error_rate < 1%').status).toBe('pass');
    const clean = await runLoad({ workflows: [{ name: 'clean', steps: [call('clean')] }], phases: [{ name: 'p', durationMs: 1200, rate: 100 }] });
    expect(classes(clean)).toEqual({ completed: clean.generator.sent });
    expect(judge(clean, 'error_rate < 1%').status).toBe('pass');
  });

  it('message/stream is read to the event with final: true, though the server keeps the stream open', async () => {
    const sse = keep(
      await startRpcServer((_m, _p, id) => ({
        sse: [
          { jsonrpc: '2.0', id, result: { kind: 'task', id: 't1', status: { state: 'submitted' } } },
          { jsonrpc: '2.0', id, result: { kind: 'status-update', taskId: 't1', status: { state: 'working' }, final: false } },
          { jsonrpc: '2.0', id, result: { kind: 'status-update', taskId: 't1', status: { state: 'failed' }, final: true } },
        ],
        intervalMs: 20,
        holdOpenMs: 5000,
      })),
    );
    const body = JSON.stringify({ jsonrpc: '2.0', id: '${seq}', method: 'message/stream', params: { message: { messageId: '${uuid}', role: 'user', parts: [] } } });
    const r = await runLoad({ target: { url: `${sse.url}/a2a`, body, headers: { 'Content-Type': 'application/json' } }, phases: [{ name: 'p', durationMs: 500, rate: 20 }], timeoutMs: 3000 });
    expect(classes(r)).toEqual({ failed: r.generator.sent });
    const l = r.workflow.phases[0]!.latency!;
    // Three events 20 ms apart: the outcome is known at ~60 ms, long before the stream closes.
    expect(l.min).toBeGreaterThanOrEqual(55);
    expect(l.max).toBeLessThan(2000);
    // No poll was needed.
    expect(sse.methods.every((m) => m === 'message/stream')).toBe(true);
  });

  it('input-required is an error by default and ok when configured; rejected never ran (fail); a stalled JSON-RPC call times out at the request timeout', async () => {
    const agent = keep(
      await startRpcServer((method, _p, id) => ({
        body: { jsonrpc: '2.0', id, result: { kind: 'task', id: 't', status: { state: method === 'ask' ? 'input-required' : 'rejected' } } },
      })),
    );
    const ask = { url: `${agent.url}/`, body: { jsonrpc: '2.0', id: 1, method: 'ask' } };
    const strict = await runLoad({ workflows: [{ name: 'ask', steps: [ask] }], phases: [{ name: 'p', durationMs: 300, rate: 20 }] });
    expect(classes(strict)).toEqual({ 'input-required': strict.generator.sent });
    const lenient = await runLoad({
      workflows: [{ name: 'ask', steps: [ask] }],
      phases: [{ name: 'p', durationMs: 300, rate: 20 }],
      follow: { a2a: { pollIntervalMs: 100, maxIntervalMs: 1000, inputRequired: 'ok', authRequired: 'error' } },
    });
    expect(classes(lenient)).toEqual({ completed: lenient.generator.sent });
    const history: HistoryEvent[] = [];
    await runLoad({ workflows: [{ name: 'no', steps: [{ url: `${agent.url}/`, body: { jsonrpc: '2.0', id: 1, method: 'refuse' } }] }], phases: [{ name: 'p', durationMs: 300, rate: 20 }], history: (e) => history.push(e) });
    const ends = history.filter((e) => e.type !== 'invoke');
    expect(ends.length).toBeGreaterThan(0);
    expect(ends.every((e) => e.outcome === 'rejected' && e.type === 'fail')).toBe(true);

    const slow = keep(await startRpcServer(() => ({ sse: [], holdOpenMs: 5000 })));
    const r = await runLoad({ workflows: [{ name: 'slow', steps: [{ url: `${slow.url}/`, body: { jsonrpc: '2.0', id: 1, method: 'message/stream' } }] }], phases: [{ name: 'p', durationMs: 300, rate: 20 }], timeoutMs: 400 });
    const p = r.workflow.phases[0]!;
    expect(p.timeouts).toBe(p.requests);
    expect(p.latency!.min).toBeGreaterThanOrEqual(399);
    expect(p.latency!.max).toBeLessThanOrEqual(401);
    expect(r.series.phases[0]!.timeouts).toBe(p.requests);
  });

  it('a task that never ends is a timeout at workflow_timeout, never a gap', async () => {
    const stuck = keep(await startA2aServer({ version: '0.3', completeAfterMs: Infinity }));
    const history: HistoryEvent[] = [];
    const r = await runLoad({
      target: { url: `${stuck.url}/`, body: sendBody },
      phases: [{ name: 'p', durationMs: 400, rate: 25 }],
      workflowTimeoutMs: 700,
      history: (e) => history.push(e),
    });
    const p = r.workflow.phases[0]!;
    expect(p.requests).toBe(r.generator.arrivals);
    expect(p.timeouts).toBe(p.requests);
    expect(p.latency!.min).toBeGreaterThanOrEqual(699);
    expect(p.latency!.max).toBeLessThanOrEqual(701);
    expect(classes(r)).toEqual({ timeout: p.requests });
    expect(history.filter((e) => e.type === 'info' && e.outcome === 'timeout').length).toBe(p.requests);
    // The entry hop itself answered at once.
    expect(r.series.phases[0]!.errors).toBe(0);
  });
});
