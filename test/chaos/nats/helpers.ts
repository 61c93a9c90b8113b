/**
 * Helpers for the NATS proxy tests: a real nats-server (Debian's package, JetStream on, a temp
 * store, a random 127.0.0.1 port it reports itself), an agentcheck proxy server with a `nats`
 * proxy in front of it, and small API calls.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startProxyServer, type ProxyServer } from '../../../src/chaos/server.js';

/** Whether a nats-server binary is on PATH (CI installs it: see .ci/run). */
export const natsServerAvailable = spawnSync('nats-server', ['--version'], { stdio: 'ignore' }).status === 0;

/** The one-line reason the NATS tests skip; in CI a missing binary is a failure, not a skip. */
export function natsSkipReason(): string | null {
  if (natsServerAvailable) return null;
  if (process.env.CI) throw new Error('nats-server is not installed, but CI must have it (.ci/run installs Debian\'s nats-server)');
  const reason = 'skipped: nats-server is not on PATH (apt-get install -y nats-server)';
  console.warn(reason);
  return reason;
}

/** A running nats-server. */
export interface NatsServer {
  readonly port: number;
  readonly url: string;
  readonly process: ChildProcess;
  stop(): Promise<void>;
}

/** Starts `nats-server -a 127.0.0.1 -p -1 -js -sd <temp>` and waits until it listens. */
export async function startNatsServer(): Promise<NatsServer> {
  const store = mkdtempSync(path.join(tmpdir(), 'agentcheck-nats-'));
  const child = spawn('nats-server', ['-a', '127.0.0.1', '-p', '-1', '-js', '-sd', store], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`nats-server did not start within 15 s:\n${log}`)), 15_000);
    child.stderr!.on('data', (chunk: Buffer) => {
      log += chunk.toString('utf8');
      const m = /Listening for client connections on [\d.]+:(\d+)/.exec(log);
      if (m && /Server is ready/.test(log)) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`nats-server exited with ${code}:\n${log}`));
    });
  });
  child.stderr!.resume();
  return {
    port,
    url: `nats://127.0.0.1:${port}`,
    process: child,
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
        child.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000))]);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
      rmSync(store, { recursive: true, force: true });
    },
  };
}

/** An agentcheck proxy server with one `nats` proxy (`name`) in front of `upstreamPort`. */
export async function startNatsProxy(upstreamPort: number, seed: number | string = 7, name = 'bus'): Promise<{ server: ProxyServer; url: string; port: number; name: string }> {
  const server = await startProxyServer({ port: 0, seed });
  const res = await api(server.url, 'POST', '/proxies', { name, listen: '127.0.0.1:0', upstream: `127.0.0.1:${upstreamPort}`, protocol: 'nats' });
  if (res.status !== 201) throw new Error(`creating the nats proxy answered ${res.status}: ${res.text}`);
  const port = Number(/:(\d+)$/.exec((JSON.parse(res.text) as { listen: string }).listen)![1]);
  return { server, url: `nats://127.0.0.1:${port}`, port, name };
}

/** One API call; the body as text. */
export async function api(base: string, method: string, route: string, body?: unknown): Promise<{ status: number; text: string }> {
  const res = await fetch(new URL(route, base), { method, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  return { status: res.status, text: await res.text() };
}

/** Adds a toxic and returns its JSON; throws on a non-200. */
export async function addToxic(base: string, proxy: string, toxic: Record<string, unknown>): Promise<unknown> {
  const res = await api(base, 'POST', `/proxies/${proxy}/toxics`, toxic);
  if (res.status !== 200) throw new Error(`adding toxic answered ${res.status}: ${res.text}`);
  return JSON.parse(res.text) as unknown;
}

/** NDJSON lines of `GET /proxies/{p}/<resource>`. */
export async function ndjson<T>(base: string, proxy: string, resource: 'journal' | 'records'): Promise<T[]> {
  const res = await api(base, 'GET', `/proxies/${proxy}/${resource}`);
  if (res.status !== 200) throw new Error(`GET ${resource} answered ${res.status}: ${res.text}`);
  return res.text.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as T);
}

/** Resolves when `predicate` holds, polling every 20 ms; rejects after `timeoutMs`. */
export async function until(predicate: () => boolean | Promise<boolean>, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
