/**
 * End to end through the real binary (`node bin/agentcheck.js proxy`, built dist): an http proxy
 * from a config file, a duplicate toxic through the API, the journal read back, clean shutdown.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { fetchJournal } from '../../../src/chaos/http/client.js';
import { countingUpstream, eventually, send } from './helpers.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function startCli(args: string[]): Promise<{ child: ChildProcess; url: string }> {
  if (!existsSync(path.join(root, 'dist/cli/main.js'))) throw new Error('dist is missing: run `npm run build` (npm test does)');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(root, 'bin/agentcheck.js'), 'proxy', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) resolve({ child, url: m[1]! });
    });
    let err = '';
    child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
    child.once('exit', (code) => reject(new Error(`agentcheck proxy exited ${code}: ${err}`)));
  });
}

describe('agentcheck proxy with an http proxy (built CLI)', () => {
  it('duplicates through a config-file http proxy, serves the journal, exits 0 on SIGTERM', async () => {
    const upstream = await countingUpstream();
    cleanups.push(() => upstream.close());
    const dir = await mkdtemp(path.join(tmpdir(), 'agentcheck-http-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const config = path.join(dir, 'proxies.json');
    await writeFile(config, JSON.stringify([{ name: 'edge', listen: '127.0.0.1:0', upstream: `127.0.0.1:${upstream.port}`, protocol: 'http' }]));

    const { child, url } = await startCli(['--port', '0', '--seed', '5', '--config', config]);
    cleanups.push(() => {
      if (child.exitCode === null) child.kill('SIGKILL');
    });
    const proxy = (await (await fetch(`${url}/proxies/edge`)).json()) as { listen: string; protocol: string };
    expect(proxy.protocol).toBe('http');
    const port = Number(proxy.listen.split(':').pop());
    const toxic = await fetch(`${url}/proxies/edge/toxics`, {
      method: 'POST',
      body: JSON.stringify({ type: 'duplicate', attributes: { copies: 2, mode: 'concurrent', match: { path: '/charges' } } }),
    });
    expect(toxic.status).toBe(200);

    const r = await send(port, { path: '/charges', body: '{"amount":1}' });
    expect('status' in r && r.status).toBe(200);
    expect(await eventually(() => upstream.received.length === 3)).toBe(true);
    const journal = await fetchJournal(url, 'edge');
    expect(journal.map((e) => [e.type, e.fired, e.outcome])).toEqual([['duplicate', true, 'duplicate:2:concurrent']]);

    const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exit).toBe(0);
  });
});
