// What is left on this machine, found by listing /proc and the Docker CLI, never by asking
// agentcheck: the reaper tests judge agentcheck's cleanup with these.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const root = path.resolve(__dirname, '../..');
export const bin = path.join(root, 'bin/agentcheck.js');
export const fixtures = path.join(__dirname, 'fixtures');

/** Live (non-zombie) processes of process group `pgid`, from /proc. */
export function groupMembers(pgid: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (f[0] !== 'Z' && Number(f[2]) === pgid) out.push(Number(name));
    } catch {
      // Gone while listing.
    }
  }
  return out;
}

/** True when a non-zombie process `pid` exists. */
export function pidAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/** Live processes whose environment holds `entry` (`NAME=value`), from /proc/<pid>/environ. */
export function processesWithEnv(entry: string, except: number[] = []): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || except.includes(Number(name)) || Number(name) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${name}/environ`, 'utf8').split('\0').includes(entry) && pidAlive(Number(name))) out.push(Number(name));
    } catch {
      // Gone while listing, or not ours to read.
    }
  }
  return out;
}

/** TCP ports something listens on, from /proc/net/tcp and tcp6. */
export function listeningPorts(): Set<number> {
  const ports = new Set<number>();
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    if (!existsSync(file)) continue;
    for (const line of readFileSync(file, 'utf8').split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols[3] === '0A') ports.add(parseInt(cols[1]!.split(':')[1]!, 16));
    }
  }
  return ports;
}

/** An agent as the fixture agent recorded itself. */
export interface MarkedAgent {
  name: string;
  pid: number;
  helper: number;
  port: number;
}

/** The fixture agents that started with `REAPER_MARK_DIR=dir`. */
export function markedAgents(dir: string): MarkedAgent[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as MarkedAgent);
}

/** What of those agents is still there: live group members, live helpers, listening ports. */
export function agentLeftovers(agents: MarkedAgent[]): string[] {
  const ports = listeningPorts();
  const left: string[] = [];
  for (const a of agents) {
    const members = groupMembers(a.pid);
    if (members.length) left.push(`${a.name}: process group ${a.pid} has live members ${members.join(', ')}`);
    if (pidAlive(a.helper)) left.push(`${a.name}: helper ${a.helper} alive`);
    if (ports.has(a.port)) left.push(`${a.name}: port ${a.port} still listening`);
  }
  return left;
}

/** Polls `check` until it returns nothing or `timeoutMs` passes; returns the last result and the time taken. */
export async function waitClean(check: () => string[], timeoutMs: number): Promise<{ left: string[]; ms: number }> {
  const started = Date.now();
  for (;;) {
    const left = check();
    const ms = Date.now() - started;
    if (left.length === 0 || ms > timeoutMs) return { left, ms };
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** SIGKILL to each process group a test started itself (for afterAll). */
export function killGroups(pgids: number[]): void {
  for (const pgid of pgids) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      // Gone.
    }
  }
}

/** Waits until `condition` holds or `timeoutMs` passes (the caller checks which). */
export async function until(condition: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
}

/** A CLI started by a test, with its output collected. */
export interface Cli {
  pid: number;
  child: ReturnType<typeof spawn>;
  stdout(): string;
  stderr(): string;
  /** Exit code, or the signal name. */
  exited: Promise<number | string>;
}

/** A fresh folder for one CLI run: state dir, mark dir, report folder. */
export function runDirs(base: string, name: string): { state: string; mark: string; out: string } {
  const dir = path.join(base, name);
  const dirs = { state: path.join(dir, 'state'), mark: path.join(dir, 'mark'), out: path.join(dir, 'out') };
  mkdirSync(dirs.mark, { recursive: true });
  return dirs;
}

/** Starts `agentcheck ARGS` with its own state dir and the fixture agents' mark dir. */
export function startCli(args: string[], dirs: { state: string; mark: string }, extraEnv: Record<string, string> = {}): Cli {
  const child = spawn(process.execPath, [bin, ...args], {
    cwd: root,
    env: { ...process.env, CI: 'true', AGENTCHECK_STATE_DIR: dirs.state, REAPER_MARK_DIR: dirs.mark, ...extraEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (b: Buffer) => (stdout += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')));
  return { pid: child.pid!, child, stdout: () => stdout, stderr: () => stderr, exited };
}

/** Waits until `n` fixture agents recorded themselves in `dir`. */
export async function waitForAgents(dir: string, n: number, timeoutMs = 20_000): Promise<MarkedAgent[]> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const agents = markedAgents(dir);
    if (agents.length >= n) return agents;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`fewer than ${n} agents started within ${timeoutMs} ms`);
}

/** The run files of a state dir. */
export function runFiles(state: string): string[] {
  const dir = path.join(state, 'runs');
  return existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => path.join(dir, f)) : [];
}

/** A temp folder for a test file. */
export function tempBase(prefix: string): string {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** Names of containers / networks whose owner label is `pid`, as the docker CLI lists them. */
export function dockerLeftoversOf(pid: number): string[] {
  const list = (args: string[]) => execFileSync('docker', args, { encoding: 'utf8' }).split('\n').map((s) => s.trim()).filter(Boolean);
  const filter = `label=agentcheck.owner.pid=${pid}`;
  return [
    ...list(['ps', '-a', '--filter', filter, '--format', 'container {{.Names}}']),
    ...list(['network', 'ls', '--filter', filter, '--format', 'network {{.Name}}']),
  ];
}
