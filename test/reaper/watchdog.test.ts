/**
 * The watchdog program on its own (src/reaper/watchdog-script.ts), owned by this test through
 * its stdin pipe: closing the pipe is the owner dying. Real process groups, a real
 * Toxiproxy-compatible API (agentcheck's proxy server), NDJSON split at arbitrary points.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { startProxyServer } from '../../src/chaos/server.js';
import { processStartTime } from '../../src/reaper/proc.js';
import { resourceKey, type TrackedResource } from '../../src/reaper/registry.js';
import { WATCHDOG_SCRIPT } from '../../src/reaper/watchdog-script.js';
import { groupMembers, killGroups, waitClean } from './listing.js';

const strays: number[] = [];
afterAll(() => {
  killGroups(strays);
});

/** A process group of two processes (a leader and its child), like an agent that spawned a helper. */
function startGroup(): number {
  const leader = spawn(process.execPath, ['-e', "require('child_process').spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' }); setInterval(() => {}, 1000)"], { detached: true, stdio: 'ignore' });
  leader.unref();
  strays.push(leader.pid!);
  return leader.pid!;
}

function startWatchdog(graceMs = 500): { child: ChildProcess; log: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, ['-e', WATCHDOG_SCRIPT, '', String(graceMs), ''], { stdio: ['pipe', 'ignore', 'pipe'] });
  let log = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (log += d));
  const exited = new Promise<number | null>((resolve) => child.once('close', resolve));
  return { child, log: () => log, exited };
}

const track = (r: TrackedResource) => `${JSON.stringify({ op: 'track', key: resourceKey(r), ...r })}\n`;
const untrack = (r: TrackedResource) => `${JSON.stringify({ op: 'untrack', key: resourceKey(r) })}\n`;
const group = (pgid: number): TrackedResource => ({ kind: 'process-group', pgid, ...(processStartTime(pgid) ? { start: processStartTime(pgid)! } : {}), name: `g${pgid}` });

async function waitForGroup(pgid: number): Promise<void> {
  for (let i = 0; i < 200 && groupMembers(pgid).length < 2; i++) await new Promise((r) => setTimeout(r, 10));
}

describe('the watchdog program', { timeout: 120_000 }, () => {
  it('kills every tracked group (leader and child) when its pipe closes, keeps untracked ones, whatever the chunking', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 1, max: 400 }), { maxLength: 6 }), fc.boolean(), async (cuts, junk) => {
        const [a, b, c] = [startGroup(), startGroup(), startGroup()];
        await Promise.all([a, b, c].map(waitForGroup));
        const text = (junk ? 'not json\n\n' : '') + track(group(a)) + track(group(b)) + track(group(c)) + untrack(group(c));
        const w = startWatchdog();
        // The same bytes, split at arbitrary points, with pauses between the pieces.
        let at = 0;
        for (const cut of [...cuts.map((x) => Math.min(x, text.length)).sort((x, y) => x - y), text.length]) {
          if (cut <= at) continue;
          w.child.stdin!.write(text.slice(at, cut));
          at = cut;
          await new Promise((r) => setTimeout(r, 2));
        }
        w.child.stdin!.end();
        expect(await w.exited).toBe(0);
        const clean = await waitClean(() => [a, b].flatMap((g) => (groupMembers(g).length ? [`group ${g}`] : [])), 2000);
        expect(clean.left).toEqual([]);
        expect(groupMembers(c).length).toBe(2);
        process.kill(-c, 'SIGKILL');
      }),
      { numRuns: 5 },
    );
  });

  it('escalates to SIGKILL after the grace for a group that ignores SIGTERM', async () => {
    const stubborn = spawn(process.execPath, ['-e', "process.on('SIGTERM', () => {}); setInterval(() => {}, 1000)"], { detached: true, stdio: 'ignore' });
    strays.push(stubborn.pid!);
    await new Promise((r) => setTimeout(r, 300)); // its SIGTERM handler is installed
    const w = startWatchdog(1000);
    w.child.stdin!.end(track(group(stubborn.pid!)));
    const started = Date.now();
    expect(await w.exited).toBe(0);
    const took = Date.now() - started;
    expect(groupMembers(stubborn.pid!)).toEqual([]);
    expect(took).toBeGreaterThanOrEqual(1000);
    expect(took).toBeLessThan(2000 + 3000); // loose: a busy CI machine
    expect(w.log()).toContain(`SIGKILL process group ${stubborn.pid}`);
  });

  it('leaves a group alone when its leader pid now belongs to a process with another start time', async () => {
    const other = startGroup();
    await waitForGroup(other);
    const w = startWatchdog();
    w.child.stdin!.end(track({ kind: 'process-group', pgid: other, start: '1', name: 'recycled' }));
    expect(await w.exited).toBe(0);
    expect(groupMembers(other).length).toBe(2);
    expect(w.log()).toContain(`process group ${other}: pid reused by another process, left alone`);
  });

  it('deletes tracked toxics on a Toxiproxy API and only those', async () => {
    const server = await startProxyServer({ port: 0 });
    try {
      const api = (method: string, path: string, body?: unknown) =>
        fetch(`${server.url}${path}`, { method, ...(body ? { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } } : {}) });
      expect((await api('POST', '/proxies', { name: 'edge', listen: '127.0.0.1:0', upstream: '127.0.0.1:9', enabled: true })).status).toBe(201);
      for (const name of ['slow', 'kept', 'cleaned-normally']) {
        expect((await api('POST', '/proxies/edge/toxics', { name, type: 'latency', attributes: { latency: 10 } })).ok).toBe(true);
      }
      const w = startWatchdog();
      const toxic = (name: string): TrackedResource => ({ kind: 'toxic', api: server.url, proxy: 'edge', toxic: name });
      w.child.stdin!.end(track(toxic('slow')) + track(toxic('cleaned-normally')) + untrack(toxic('cleaned-normally')));
      expect(await w.exited).toBe(0);
      const left = (await (await api('GET', '/proxies/edge/toxics')).json()) as Array<{ name: string }>;
      expect(left.map((t) => t.name).sort()).toEqual(['cleaned-normally', 'kept']);
      expect(w.log()).toContain('removed toxic slow of proxy edge');
    } finally {
      await server.close();
    }
  });

  it('reports a toxic API it cannot reach as not removed (exit 1), for cleanup to retry', async () => {
    const w = startWatchdog();
    w.child.stdin!.end(track({ kind: 'toxic', api: 'http://127.0.0.1:9', proxy: 'p', toxic: 't' }));
    expect(await w.exited).toBe(1);
    expect(w.log()).toContain('could not remove toxic t');
  });
});
