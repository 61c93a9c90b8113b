import { describe, expect, it } from 'vitest';
import { compileBudget, evaluateBudget } from '../../src/load/budget.js';
import { runLoad, type HistoryEvent } from '../../src/load/driver.js';
import { AgentcheckError } from '../../src/errors.js';
import { closeAfterEach, sendBody, startA2aServer, startRpcServer } from './servers.js';

const keep = closeAfterEach();

describe('workflows: mixes, steps, extraction, poll steps', () => {
  it('a 3:1 mix lands within ±5 % of 75/25 over 2,000 workflows, and the same seed makes the same choices', async () => {
    const agent = keep(await startRpcServer(() => ({ body: { ok: true } })));
    const workflows = [
      { name: 'order', weight: 3, steps: [{ url: `${agent.url}/healthz?w=order` }] },
      { name: 'status', weight: 1, steps: [{ url: `${agent.url}/healthz?w=status` }] },
    ];
    const history: HistoryEvent[] = [];
    const r = await runLoad({ workflows, phases: [{ name: 'p', durationMs: 2100, rate: 1000 }], seed: 'mix', history: (e) => history.push(e) });
    const count = (w: string) => r.outcomes.filter((o) => o.workflow === w).reduce((n, o) => n + o.count, 0);
    const total = count('order') + count('status');
    expect(total).toBeGreaterThanOrEqual(2000);
    expect(count('order') / total).toBeGreaterThanOrEqual(0.7);
    expect(count('order') / total).toBeLessThanOrEqual(0.8);
    // Per-workflow series exist for {workflow=…} budgets.
    expect(r.seriesByName['workflow{workflow=status}']!.phases[0]!.requests).toBe(count('status'));
    expect(evaluateBudget(compileBudget('error_rate{workflow=order} < 1%'), { series: r.seriesByName })[0]!.status).toBe('pass');

    // Arrival i gets the same workflow, uuid and traceparent on every run with the seed.
    const again: HistoryEvent[] = [];
    await runLoad({ workflows, phases: [{ name: 'p', durationMs: 300, rate: 200 }], seed: 'mix', history: (e) => again.push(e) });
    const firstRun = new Map(history.filter((e) => e.type === 'invoke').map((e) => [e.seq, `${e.workflow} ${e.workflowId} ${e.traceparent}`]));
    const invokes = again.filter((e) => e.type === 'invoke');
    expect(invokes.length).toBeGreaterThan(40);
    for (const e of invokes) expect(`${e.workflow} ${e.workflowId} ${e.traceparent}`).toBe(firstRun.get(e.seq));
  });

  it('extracts the task id and polls it with an until step; the extracted id is in the history and in later requests', async () => {
    const agent = keep(await startA2aServer({ version: '0.3', completeAfterMs: 120, fails: (n) => n % 4 === 0 }));
    const history: HistoryEvent[] = [];
    const r = await runLoad({
      workflows: [
        {
          name: 'order',
          steps: [
            { name: 'send', url: `${agent.url}/a2a`, body: JSON.parse(sendBody), extract: { taskId: 'result.id' } },
            {
              name: 'wait',
              url: `${agent.url}/a2a?task=\${taskId}`,
              headers: { 'x-task': '${taskId}' },
              body: { jsonrpc: '2.0', id: '${seq}-poll', method: 'tasks/get', params: { id: '${taskId}' } },
              until: { path: 'result.status.state', in: ['completed', 'failed', 'canceled', 'rejected'] },
              intervalMs: 30,
              timeoutMs: 2000,
            },
          ],
        },
      ],
      phases: [{ name: 'p', durationMs: 800, rate: 30 }],
      history: (e) => history.push(e),
    });
    const ends = history.filter((e) => e.type !== 'invoke');
    expect(ends.length).toBe(r.generator.sent);
    for (const e of ends) {
      expect(e.extracted!.taskId).toMatch(/^task-\d+$/);
      expect(e.steps).toBe(2);
      // One send plus several polls (the task takes 120 ms, polls are 30 ms apart).
      expect(e.requests!).toBeGreaterThanOrEqual(4);
    }
    // The poll met `until` on `failed`, then the A2A classifier judged that answer: an error.
    expect(ends.filter((e) => e.outcome === 'failed').length).toBeGreaterThan(0);
    expect(ends.filter((e) => e.outcome === 'completed').length).toBeGreaterThan(0);
    const polled = agent.headers.filter((h) => h['x-task']);
    expect(polled.length).toBeGreaterThan(0);
    expect(polled[0]!['x-task']).toMatch(/^task-\d+$/);
    // Every request of a workflow shares its trace id and its Idempotency-Key.
    const send = agent.headers.find((h) => !h['x-task'])!;
    expect(send['traceparent']).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    // The steps have series of their own: the poll step is slower than the send.
    const wait = r.seriesByName['workflow{step=wait}']!.phases[0]!;
    const sendStep = r.seriesByName['workflow{step=send}']!.phases[0]!;
    expect(wait.requests).toBe(r.generator.sent);
    expect(wait.latency!.p50).toBeGreaterThan(sendStep.latency!.p50);
  });

  it('a poll step whose condition never holds ends at its timeout', async () => {
    const agent = keep(await startA2aServer({ version: '0.3', completeAfterMs: Infinity }));
    const r = await runLoad({
      workflows: [
        {
          name: 'order',
          steps: [
            { name: 'send', url: `${agent.url}/`, body: JSON.parse(sendBody), extract: { taskId: 'result.id' } },
            { name: 'wait', url: `${agent.url}/`, body: { jsonrpc: '2.0', id: 1, method: 'tasks/get', params: { id: '${taskId}' } }, until: { path: 'result.status.state', in: ['completed'] }, intervalMs: 50, timeoutMs: 300 },
          ],
        },
      ],
      phases: [{ name: 'p', durationMs: 300, rate: 20 }],
    });
    expect(r.outcomes.map((o) => o.class)).toEqual(['timeout']);
    expect(r.workflow.phases[0]!.latency!.min).toBeGreaterThanOrEqual(250);
  });

  it('an extraction that finds nothing ends the workflow as extract:<name>', async () => {
    const agent = keep(await startRpcServer((_m, _p, id) => ({ body: { jsonrpc: '2.0', id, result: { nothing: true } } })));
    const r = await runLoad({
      workflows: [{ name: 'w', steps: [{ url: `${agent.url}/`, body: { jsonrpc: '2.0', id: 1, method: 'x' }, extract: { taskId: 'result.id' } }, { url: `${agent.url}/\${taskId}` }] }],
      phases: [{ name: 'p', durationMs: 300, rate: 20 }],
    });
    expect(r.outcomes.map((o) => o.class)).toEqual(['extract:taskId']);
  });

  it('the closed model drives workflows with its own loop (steps and A2A following), latency from each start', async () => {
    const agent = keep(await startA2aServer({ version: '0.3', completeAfterMs: 60 }));
    const r = await runLoad({ target: { url: `${agent.url}/`, body: sendBody }, model: 'closed', connections: 3, phases: [{ name: 'p', durationMs: 800 }], timeoutMs: 500 });
    const p = r.workflow.phases[0]!;
    expect(r.model).toBe('closed');
    expect(p.requests).toBeGreaterThanOrEqual(9);
    // Three loops, one workflow at a time each: at most 3 × 800 / 60 workflows.
    expect(p.requests).toBeLessThanOrEqual(45);
    expect(p.errors).toBe(0);
    expect(p.latency!.min).toBeGreaterThanOrEqual(60);
  });

  it('rejects a variable no earlier step extracts, and duplicate names, as usage errors', async () => {
    const bad = () => runLoad({ workflows: [{ name: 'w', steps: [{ url: 'http://127.0.0.1:9/${taskId}' }] }], phases: [{ name: 'p', durationMs: 100 }] });
    await expect(bad()).rejects.toThrow(/unknown template variable \$\{taskId\}/);
    await expect(bad()).rejects.toBeInstanceOf(AgentcheckError);
    await expect(
      runLoad({ workflows: [{ name: 'w', steps: [{ url: 'http://127.0.0.1:9/' }] }, { name: 'w', steps: [{ url: 'http://127.0.0.1:9/' }] }], phases: [{ name: 'p', durationMs: 100 }] }),
    ).rejects.toThrow(/duplicate workflow name/);
  });
});
