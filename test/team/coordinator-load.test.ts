import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runLoad, type HistoryEvent, type LoadResult } from '../../src/load/driver.js';
import { getJson, startFaultProxy, startTeam, stopAllTeamAgents, type CoordinatorMode, type FaultProxy, type StartedTeam } from './helpers.js';

// The async coordinator driven by the real load driver (open model, A2A task following on by
// default) with a real fault proxy on planner → payments: what issue 11 is about, below the
// scenario runner. The entry answers every message/send with 200 `submitted`; only the followed
// task, and the effects joined on the extracted task id, tell whether the work happened.

interface Driven {
  result: LoadResult;
  /** Completions: the terminal outcome and the task id each workflow extracted. */
  completions: HistoryEvent[];
}

const RATE = 15;
const DURATION_MS = 2000;

/** Drive message/send at RATE for DURATION_MS; `seed` sets the messageIds (a reused one would replay its task). */
async function drive(coordinatorUrl: string, seed: string): Promise<Driven> {
  const completions: HistoryEvent[] = [];
  const result = await runLoad({
    seed,
    rate: RATE,
    timeoutMs: 2000,
    workflowTimeoutMs: 8000,
    phases: [{ name: 'run', durationMs: DURATION_MS }],
    history: (e) => {
      if (e.type !== 'invoke') completions.push(e);
    },
    workflows: [
      {
        name: 'order',
        steps: [
          {
            name: 'send',
            url: `${coordinatorUrl}/a2a`,
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: {
              jsonrpc: '2.0',
              id: '${seq}',
              method: 'message/send',
              params: {
                message: {
                  messageId: '${uuid}',
                  role: 'user',
                  parts: [{ kind: 'data', data: { items: [{ sku: 'sku-1', qty: 1 }], amount: 990, currency: 'EUR' } }],
                },
              },
            },
            extract: { taskId: 'result.id' },
          },
        ],
      },
    ],
  });
  return { result, completions };
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
const outcomeCounts = (r: LoadResult) => Object.fromEntries(
  [...new Set(r.outcomes.map((o) => o.class))].map((c) => [c, sum(r.outcomes.filter((o) => o.class === c).map((o) => o.count))]),
);
const entryErrors = (r: LoadResult) => sum(r.series.timeline.map((p) => p.errors));
const taskIds = (d: Driven) => d.completions.map((e) => e.extracted?.taskId);

async function effectsPerTask(team: StartedTeam, ids: Array<string | undefined>): Promise<number[]> {
  const effects: Array<{ orderId: string }> = (await getJson(`${team.payments.url}/ledger`)).body.effects;
  return ids.map((id) => effects.filter((e) => e.orderId === id).length);
}

afterAll(stopAllTeamAgents);

function asyncTeam(mode: CoordinatorMode) {
  const state: { team?: StartedTeam; toPayments?: FaultProxy } = {};
  beforeAll(async () => {
    state.team = await startTeam({
      coordinator: { mode },
      env: { planner: { CALL_BACKOFF_MS: '1' } },
      via: { payments: async (url) => (state.toPayments = await startFaultProxy(url, { fault: 'http_error', times: 0, status: 503 })).url },
    });
  });
  afterAll(async () => {
    await state.team?.stop();
    await state.toPayments?.close();
  });
  return state;
}

describe('the correct coordinator under the load driver', () => {
  const s = asyncTeam('correct');

  it('completes every task when nothing fails: one charge per extracted task id', async () => {
    const d = await drive(s.team!.coordinator!.url, 'healthy');
    const n = d.completions.length;
    expect(n).toBeGreaterThanOrEqual(RATE * (DURATION_MS / 1000) - 2);
    expect(outcomeCounts(d.result)).toEqual({ completed: n });
    expect(taskIds(d).every((id) => typeof id === 'string')).toBe(true);
    expect(await effectsPerTask(s.team!, taskIds(d))).toEqual(taskIds(d).map(() => 1));
  });

  it('ends every task failed while payments answers 503, although the entry answered 200 to every send', async () => {
    s.toPayments!.arm(Infinity);
    try {
      const d = await drive(s.team!.coordinator!.url, 'payments-down');
      const n = d.completions.length;
      expect(n).toBeGreaterThan(0);
      expect(entryErrors(d.result)).toBe(0); // what judging the entry alone sees: nothing wrong
      expect(outcomeCounts(d.result)).toEqual({ failed: n });
      expect(d.result.outcomes.every((o) => o.method === 'tasks/get')).toBe(true);
      expect(await effectsPerTask(s.team!, taskIds(d))).toEqual(taskIds(d).map(() => 0));
    } finally {
      s.toPayments!.arm(0);
    }
  });
});

describe('the lying coordinator (complete-on-failure) under the load driver', () => {
  const s = asyncTeam('complete-on-failure');

  it('reports every task completed while payments refused every charge: only the ledger joined on the task id shows the loss', async () => {
    s.toPayments!.arm(Infinity);
    const d = await drive(s.team!.coordinator!.url, 'lying');
    const n = d.completions.length;
    expect(n).toBeGreaterThan(0);
    expect(entryErrors(d.result)).toBe(0);
    expect(outcomeCounts(d.result)).toEqual({ completed: n });
    // Every completed task has no effect: the lost effects an exactly_once join on taskId reports.
    expect(await effectsPerTask(s.team!, taskIds(d))).toEqual(taskIds(d).map(() => 0));
  });
});
