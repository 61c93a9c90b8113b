/**
 * One load generator process of several (generators.ts): a child of the CLI, driven over its IPC
 * channel. It builds an open-model driver for its segment of the one seeded schedule, says it is
 * ready, starts at the coordinator's release time, follows its phase marks, and on `stop` sends its
 * {@link LoadResult} (histograms as compressed snapshots). History events go up in batches. When
 * the channel closes (the CLI died) it exits at once; the reaper also kills its process group.
 */
import { createLoadDriver, type HistoryEvent, type LoadDriver } from './driver.js';
import type { ToCoordinator, ToGenerator } from './generators.js';

const send = (m: ToCoordinator): Promise<void> =>
  new Promise((resolve) => {
    if (!process.send || !process.connected) return resolve();
    process.send(m, undefined, {}, () => resolve());
  });

let driver: LoadDriver | undefined;
let batch: HistoryEvent[] = [];
let flushTimer: NodeJS.Timeout | undefined;

function flush(): Promise<void> {
  if (batch.length === 0) return Promise.resolve();
  const events = batch;
  batch = [];
  return send({ type: 'history', events });
}

async function handle(m: ToGenerator): Promise<void> {
  switch (m.type) {
    case 'init': {
      driver = createLoadDriver({
        ...m.options,
        skipPreflight: true,
        segment: m.segment,
        ...(m.history ? { history: (e: HistoryEvent) => void batch.push(e) } : {}),
      });
      if (m.history) flushTimer = setInterval(() => void flush(), 50);
      await send({ type: 'ready' });
      return;
    }
    case 'go': {
      // Released together: every generator starts its clock at the same wall-clock instant.
      const wait = m.atEpochMs - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      await driver!.start();
      await send({ type: 'started' });
      return;
    }
    case 'phase':
      driver!.markPhase(m.name, m.options);
      return;
    case 'stop': {
      const result = await driver!.stop();
      if (flushTimer) clearInterval(flushTimer);
      await flush();
      await send({ type: 'result', result });
      process.disconnect?.();
      return;
    }
  }
}

process.on('disconnect', () => process.exit(0));
process.on('message', (m: ToGenerator) => {
  handle(m).catch(async (err: unknown) => {
    const e = err as { code?: unknown; message?: string; hint?: unknown };
    await send({ type: 'error', message: String(e?.message ?? err), ...(typeof e?.code === 'string' ? { code: e.code } : {}), ...(typeof e?.hint === 'string' ? { hint: e.hint } : {}) });
  });
});
