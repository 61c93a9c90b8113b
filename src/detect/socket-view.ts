/**
 * The process runtime's socket view: which TCP peers each agent's processes are connected to, read
 * from /proc (Linux) by sampling while the run goes on. It sees every client library, including
 * the ones that ignore HTTP_PROXY (Node 20's `fetch` does), because it looks at the sockets the
 * processes hold, not at what they were told. It cannot see a connection opened and closed between
 * two samples (short-lived, non-keep-alive calls can be missed; the interval is the resolution),
 * nor processes outside the agent's process group. On a system without /proc it reports nothing
 * and says so.
 */
import { existsSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import type { SocketObservation } from './detector.js';

/** A TCP connection: local and remote `host:port`. */
interface Conn {
  local: string;
  remote: string;
}

/** `0100007F:1F90` (little-endian IPv4 in hex) or the IPv6 form → `127.0.0.1:8080` / `[::1]:8080`. */
export function decodeProcAddress(hex: string): string {
  const [addr = '', portHex = '0'] = hex.toLowerCase().split(':');
  const port = parseInt(portHex, 16);
  if (addr.length === 8) {
    const b = addr.match(/../g)!.map((x) => parseInt(x, 16)).reverse();
    return `${b.join('.')}:${port}`;
  }
  // IPv6: four little-endian 32-bit words.
  const words = addr.match(/.{8}/g) ?? [];
  const bytes = words.flatMap((w) => w.match(/../g)!.reverse());
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(`${bytes[i]}${bytes[i + 1]}`.replace(/^0+(?=.)/, ''));
  const text = groups.join(':');
  if (text === '0:0:0:0:0:ffff:7f00:1' || /^0:0:0:0:0:ffff:/.test(text)) {
    const v4 = bytes.slice(12).map((x) => parseInt(x!, 16));
    return `${v4.join('.')}:${port}`;
  }
  return `[${text === '0:0:0:0:0:0:0:1' ? '::1' : text}]:${port}`;
}

/** Established TCP connections by socket inode, from /proc/net/tcp{,6}. */
function tcpTable(): Map<string, Conn> {
  const table = new Map<string, Conn>();
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(file, 'latin1');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      // f[1] local, f[2] remote, f[3] state (01 = ESTABLISHED), f[9] inode.
      if (f.length < 10 || f[3] !== '01') continue;
      table.set(f[9]!, { local: decodeProcAddress(f[1]!), remote: decodeProcAddress(f[2]!) });
    }
  }
  return table;
}

/** The pids of each of the given process groups (one pass over /proc). */
function groupMembers(pgids: ReadonlySet<number>): Map<number, number[]> {
  const members = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'latin1');
      // Fields after the command (which may hold spaces) start after the last ')'.
      const pgid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
      if (pgids.has(pgid)) members.set(pgid, [...(members.get(pgid) ?? []), Number(name)]);
    } catch {
      /* gone */
    }
  }
  return members;
}

function socketInodes(pid: number): string[] {
  const inodes: string[] = [];
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return inodes;
  }
  for (const fd of fds) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.push(m[1]!);
    } catch {
      /* closed meanwhile */
    }
  }
  return inodes;
}

/** One agent to watch: its process group and the port it listens on (its own server side). */
export interface WatchedAgent {
  name: string;
  pgid: number;
  port: number;
}

/**
 * Samples the outbound connections of agents' process groups. The sampling itself (reading
 * /proc) is synchronous file I/O; {@link SocketViewThread} runs it off the load generator's event
 * loop. Group members are re-listed at most every `membersEveryMs`, since scanning every process
 * of the machine is the expensive part.
 */
export class SocketView {
  private readonly seen = new Map<string, SocketObservation>();
  private members = new Map<number, number[]>();
  private membersAt = -Infinity;
  /** False where /proc cannot be read: nothing is observed, and the detector says it could not judge. */
  readonly available = existsSync('/proc/net/tcp');

  constructor(
    private readonly agents: readonly WatchedAgent[],
    private readonly now: () => number,
    private readonly membersEveryMs = 1000,
  ) {}

  /** One sample now. */
  sample(): void {
    if (!this.available) return;
    const t = this.now();
    if (t - this.membersAt >= this.membersEveryMs) {
      this.members = groupMembers(new Set(this.agents.map((a) => a.pgid)));
      this.membersAt = t;
    }
    const table = tcpTable();
    for (const agent of this.agents) {
      for (const pid of this.members.get(agent.pgid) ?? []) {
        for (const inode of socketInodes(pid)) {
          const c = table.get(inode);
          // The agent's own server side (a caller connected to it) is not its outbound call.
          if (!c || c.local.endsWith(`:${agent.port}`)) continue;
          const key = `${agent.name} ${c.remote}`;
          const o = this.seen.get(key);
          if (o) o.count++;
          else this.seen.set(key, { agent: agent.name, remote: c.remote, firstMs: t, count: 1 });
        }
      }
    }
  }

  /** What was seen so far. */
  observations(): SocketObservation[] {
    return [...this.seen.values()];
  }
}

/** How long {@link SocketViewThread.stop} waits for the worker's last sample. */
const STOP_TIMEOUT_MS = 10_000;

/**
 * A {@link SocketView} sampling every `intervalMs` on a worker thread, so reading /proc never
 * delays the load generator's sends. `firstMs` is on the caller's clock: the worker is told the
 * offset of its own clock at start.
 */
export class SocketViewThread {
  private worker: Worker | null = null;
  /** In-process fallback where a worker cannot load this module (TypeScript sources under a test runner). */
  private local: { view: SocketView; timer: NodeJS.Timeout } | null = null;
  /** Why sampling failed, when it did: the topology check then says it could not judge. */
  failure: string | null = null;

  constructor(
    private readonly agents: readonly WatchedAgent[],
    private readonly now: () => number,
  ) {}

  /** True where /proc can be read. */
  get available(): boolean {
    return existsSync('/proc/net/tcp');
  }

  start(intervalMs = 250): void {
    if (import.meta.url.endsWith('.ts')) {
      const view = new SocketView(this.agents, this.now);
      view.sample();
      this.local = { view, timer: setInterval(() => view.sample(), intervalMs * 2) };
      return;
    }
    this.worker = new Worker(new URL(import.meta.url), { workerData: { agents: this.agents, intervalMs, clockOffsetMs: this.now() - performance.now() } });
    this.worker.unref();
    this.worker.on('error', (err) => (this.failure ??= `the socket sampler failed: ${err.message}`));
  }

  /** Takes a last sample, stops sampling and returns what was seen; on failure, {@link failure} says why. */
  async stop(): Promise<SocketObservation[]> {
    if (this.local) {
      clearInterval(this.local.timer);
      this.local.view.sample();
      const seen = this.local.view.observations();
      this.local = null;
      return seen;
    }
    const worker = this.worker;
    this.worker = null;
    if (!worker) return [];
    let answered = false;
    const result = new Promise<SocketObservation[]>((resolve) => {
      // Generous: no answer makes the run not judged, and one sample on a busy machine can take a while.
      const timer = setTimeout(() => {
        if (!answered) this.failure ??= `the socket sampler did not answer within ${STOP_TIMEOUT_MS / 1000} s`;
        resolve([]);
      }, STOP_TIMEOUT_MS);
      worker.once('message', (m: SocketObservation[]) => {
        answered = true;
        clearTimeout(timer);
        resolve(m);
      });
      // Only an exit before the answer is a failure (terminate() below exits it too).
      worker.once('exit', () => {
        clearTimeout(timer);
        if (!answered) this.failure ??= 'the socket sampler exited early';
        resolve([]);
      });
    });
    worker.postMessage('stop');
    const observations = await result;
    await worker.terminate();
    return observations;
  }
}

// The worker's side: sample until told to stop, then post the observations.
if (!isMainThread && parentPort && (workerData as { agents?: unknown })?.agents) {
  const { agents, intervalMs, clockOffsetMs } = workerData as { agents: WatchedAgent[]; intervalMs: number; clockOffsetMs: number };
  const view = new SocketView(agents, () => performance.now() + clockOffsetMs);
  view.sample();
  const timer = setInterval(() => view.sample(), intervalMs);
  const port = parentPort;
  port.on('message', () => {
    clearInterval(timer);
    view.sample();
    port.postMessage(view.observations());
  });
}
