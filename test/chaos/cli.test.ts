/**
 * End to end: the real `agentcheck proxy` binary (run against dist; `npm test` builds first),
 * driven by toxiproxy-node-client, stopped with SIGINT; exit codes for bad flags, bad config and a
 * port in use.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Toxiproxy } from 'toxiproxy-node-client';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { dial, portOf, readAll, startEcho } from './helpers.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const bin = join(root, 'bin/agentcheck.js');
const children: ChildProcess[] = [];
let dir: string;

beforeAll(() => {
  // `npm test` builds first; a bare `vitest run` of this file builds here (type errors elsewhere do not stop emit).
  if (!existsSync(join(root, 'dist/cli/main.js')) || !existsSync(join(root, 'dist/chaos/server.js'))) {
    spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'ignore' });
  }
  dir = mkdtempSync(join(tmpdir(), 'agentcheck-proxy-'));
});
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function start(args: string[]): { child: ChildProcess; firstLine: Promise<string>; exit: Promise<{ code: number | null; stderr: string }> } {
  const child = spawn(process.execPath, [bin, 'proxy', ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let stdout = '';
  let stderr = '';
  const firstLine = new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (c: Buffer) => {
      stdout += c.toString();
      const nl = stdout.indexOf('\n');
      if (nl >= 0) resolve(stdout.slice(0, nl));
    });
    child.on('exit', () => reject(new Error(`exited before listening: ${stderr}`)));
  });
  firstLine.catch(() => {});
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const exit = new Promise<{ code: number | null; stderr: string }>((resolve) => child.on('exit', (code) => resolve({ code, stderr })));
  return { child, firstLine, exit };
}

it('serves the Toxiproxy API, proxies bytes, and exits 0 on SIGINT', async () => {
  const echo = await startEcho();
  try {
    const run = start(['--port', '0', '--seed', '5']);
    const line = await run.firstLine;
    const url = /(http:\/\/127\.0\.0\.1:\d+)/.exec(line)?.[1];
    expect(url, line).toBeDefined();
    const client = new Toxiproxy(url!);
    expect(await client.getVersion()).toBe('{"version": "2.7.0"}\n');
    const proxy = await client.createProxy({ name: 'e2e', listen: '127.0.0.1:0', upstream: echo.address });
    await proxy.addToxic({ name: 'lag', type: 'latency', stream: 'downstream', toxicity: 1, attributes: { latency: 50, jitter: 0 } });
    const socket = await dial(portOf(proxy.listen));
    const got = readAll(socket);
    const t0 = performance.now();
    socket.end('through the binary');
    const r = await got;
    expect(r.data.toString()).toBe('through the binary');
    expect(r.chunks[0]!.at - t0).toBeGreaterThanOrEqual(50);
    // An open connection must not keep the process alive after SIGINT.
    const idle = await dial(portOf(proxy.listen));
    idle.on('error', () => {});
    run.child.kill('SIGINT');
    const { code } = await run.exit;
    expect(code).toBe(0);
    idle.destroy();
  } finally {
    await echo.close();
  }
});

it('loads --config proxies at start', async () => {
  const echo = await startEcho();
  try {
    const file = join(dir, 'proxies.json');
    writeFileSync(file, JSON.stringify([{ name: 'cfg', listen: '127.0.0.1:0', upstream: echo.address }]));
    const run = start(['--port', '0', '--config', file]);
    const url = /(http:\/\/[^ ]+)/.exec(await run.firstLine)![1]!;
    const proxy = await new Toxiproxy(url).get('cfg');
    expect(proxy.enabled).toBe(true);
    const socket = await dial(portOf(proxy.listen));
    const got = readAll(socket);
    socket.end('cfg');
    expect((await got).data.toString()).toBe('cfg');
    run.child.kill('SIGTERM');
    expect((await run.exit).code).toBe(0);
  } finally {
    await echo.close();
  }
});

it('exit 2 for a bad flag or a bad config file (naming the file), exit 3 for a port in use', async () => {
  const badFlag = start(['--port', 'many']);
  const r1 = await badFlag.exit;
  expect(r1.code).toBe(2);
  expect(r1.stderr).toContain('--port');
  expect(r1.stderr).not.toMatch(/at .*\.js:\d+/);

  const file = join(dir, 'bad.json');
  writeFileSync(file, '[{"name":"x","listen":"127.0.0.1:0"}]');
  const r2 = await start(['--port', '0', '--config', file]).exit;
  expect(r2.code).toBe(2);
  expect(r2.stderr).toContain(file);
  expect(r2.stderr).toContain('missing required field: upstream at proxy 1');

  const r3 = await start(['--port', '0', '--config', join(dir, 'missing.json')]).exit;
  expect(r3.code).toBe(2);
  expect(r3.stderr).toContain('missing.json');

  const blocker: Server = createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
  try {
    const port = (blocker.address() as AddressInfo).port;
    const r4 = await start(['--port', String(port)]).exit;
    expect(r4.code).toBe(3);
    expect(r4.stderr).toContain('address already in use');
  } finally {
    blocker.close();
  }
});

it('--headers-timeout closes a stalled API client; a zero timeout is a usage error', async () => {
  const run = start(['--port', '0', '--headers-timeout', '300', '--body-timeout', '5000']);
  const port = Number(/:(\d+)/.exec(await run.firstLine)![1]);
  const stalled = await dial(port);
  const t0 = performance.now();
  stalled.write('GET /version HTTP/1.1\r\nHo');
  const r = await readAll(stalled);
  expect(r.data.length).toBe(0);
  expect(r.endedAt - t0).toBeGreaterThanOrEqual(300);
  expect(r.endedAt - t0).toBeLessThan(5_000);
  run.child.kill('SIGTERM');
  expect((await run.exit).code).toBe(0);

  const bad = await start(['--port', '0', '--body-timeout', '0']).exit;
  expect(bad.code).toBe(2);
  expect(bad.stderr).toContain('--body-timeout');
});
