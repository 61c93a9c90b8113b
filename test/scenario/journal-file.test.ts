/**
 * journal.ndjson: a drain reading a real proxy's journal as requests go saves every decision once,
 * in order, tagged with its edge, with hop attempts per request identity; a malformed file is a
 * configuration error naming file:line.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ProxyServer } from '../../src/chaos/server.js';
import { JournalDrain, readJournalFile } from '../../src/scenario/journal-file.js';
import { addToxic, countingUpstream, createProxy, send, startServer, type CountingUpstream } from '../chaos/http/helpers.js';

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanup.splice(0)) await c();
});

// Trace ids 1, 2, …: never the all-zero id, which W3C Trace Context says is invalid.
const trace = (n: number) => `00-${(n + 1).toString(16).padStart(32, '0')}-${'1'.repeat(16)}-01`;

/** A proxy a_to_b in front of a counting upstream, with a 1 ms latency toxic that journals every request. */
async function journaledProxy(toxicity: number): Promise<{ server: ProxyServer; port: number }> {
  const server: ProxyServer = await startServer(3);
  const upstream: CountingUpstream = await countingUpstream();
  cleanup.push(() => server.close(), () => upstream.close());
  const port = await createProxy(server, 'a_to_b', upstream.port);
  await addToxic(server, 'a_to_b', { type: 'http_latency', stream: 'upstream', toxicity, attributes: { latency: 1 } });
  return { server, port };
}

describe('JournalDrain', () => {
  it('saves every decision exactly once while the run goes, with edge and attempts', async () => {
    const { server, port } = await journaledProxy(0.5);
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'agentcheck-journal-')), 'journal.ndjson');
    const drain = new JournalDrain(server.url, [{ edge: 'a->b', proxyName: 'a_to_b' }], file).start();
    // 300 requests in batches, the drain reading in between; request 7 is sent three times (a retry).
    for (let batch = 0; batch < 15; batch++) {
      await Promise.all(Array.from({ length: 20 }, (_, i) => send(port, { path: '/pay', body: '{}', headers: { traceparent: trace(batch === 14 && i > 0 && i < 3 ? 7 : batch * 20 + i) } })));
      if (batch % 5 === 0) await drain.drain();
    }
    // Written to the file as it goes, not held in memory too (it would grow with the run).
    await drain.drain();
    expect(drain.heldInMemory).toBe(0);
    const entries = await drain.stop();
    expect(drain.lost).toBe(0);
    expect(entries.map((e) => e.seq)).toEqual(Array.from({ length: 300 }, (_, i) => i + 1));
    expect(entries.every((e) => e.edge === 'a->b' && e.traceId !== null && e.identity !== null)).toBe(true);
    const saved = await readJournalFile(file);
    expect(saved).toEqual(entries);
    expect(saved.filter((e) => e.traceId === (8).toString(16).padStart(32, '0')).map((e) => e.attempt)).toEqual([0, 1, 2]);
    // Some fired at toxicity 0.5, some did not, and fired ones carry their value.
    expect(saved.some((e) => e.fired && e.value?.delayMs === 1)).toBe(true);
    expect(saved.some((e) => !e.fired && e.value === null && e.outcome === 'toxicity')).toBe(true);
  });

  it('without a file, or when the file cannot be written, every entry is held in memory instead', async () => {
    const { server, port } = await journaledProxy(1);
    const memory = new JournalDrain(server.url, [{ edge: 'a->b', proxyName: 'a_to_b' }]);
    // A file under a regular file cannot be created: the drain keeps the entries itself.
    const blocker = path.join(mkdtempSync(path.join(os.tmpdir(), 'agentcheck-journal-')), 'not-a-dir');
    writeFileSync(blocker, '');
    const unwritable = new JournalDrain(server.url, [{ edge: 'a->b', proxyName: 'a_to_b' }], path.join(blocker, 'journal.ndjson'));
    for (let i = 0; i < 40; i++) await send(port, { path: '/pay', body: '{}', headers: { traceparent: trace(i) } });
    await memory.drain();
    await unwritable.drain();
    expect(memory.heldInMemory).toBe(40);
    expect(unwritable.heldInMemory).toBe(40);
    for (const d of [memory, unwritable]) expect((await d.stop()).map((e) => e.seq)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
  });

  it('a malformed journal is a configuration error at its line; a missing one a usage error', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'agentcheck-journal-'));
    const file = path.join(dir, 'journal.ndjson');
    writeFileSync(file, '{"toxic":"t","fired":true,"identity":null,"attempt":0}\n{oops\n');
    await expect(readJournalFile(file)).rejects.toMatchObject({ code: 'config', message: expect.stringMatching(new RegExp(`^${file}:2:1: not a JSON journal line`)) });
    writeFileSync(file, '{"toxic":"t","fired":true}\n');
    await expect(readJournalFile(file)).rejects.toMatchObject({ code: 'config', message: expect.stringContaining(`${file}:1:1: not a journal line of this agentcheck version`) });
    await expect(readJournalFile(path.join(dir, 'nope.ndjson'))).rejects.toMatchObject({ code: 'usage' });
    expect(readFileSync(file, 'utf8')).toContain('"t"');
  });
});
