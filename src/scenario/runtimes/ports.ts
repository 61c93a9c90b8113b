/**
 * Ports for agents that listen where agentcheck tells them (`PORT`): free when chosen, and chosen
 * outside the kernel's ephemeral range.
 *
 * Why not port 0: the OS picks a listener's port 0 from the ephemeral range, the same range every
 * outgoing connection takes its local port from. Between choosing a port and the agent's listen
 * (a process start, often a second or more), any connection on the machine may take it: on a busy
 * CI machine with load generators opening thousands of connections, an agent then dies with
 * EADDRINUSE before it is ready. A port below that range is never taken by a connection, only by
 * another listener, and a random one of some twenty thousand is rarely chosen twice.
 */
import { readFileSync } from 'node:fs';
import net from 'node:net';

/** The lowest port chosen from (below it: well-known and registered services more often listen). */
const LOW = 10_000;
/** Random tries below the ephemeral range before leaving the choice to the OS. */
const TRIES = 20;
/** Ports handed out lately by this process: not handed out again while their agent may be starting. */
const recent: number[] = [];
const RECENT_MAX = 2_000;

let range: { low: number; high: number } | undefined;

/** The kernel's ephemeral range (Linux `ip_local_port_range`, read once); elsewhere the IANA one. */
export function ephemeralRange(): { low: number; high: number } {
  range ??= readEphemeralRange();
  return range;
}

function readEphemeralRange(): { low: number; high: number } {
  try {
    const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (Number.isInteger(low) && Number.isInteger(high) && low! > 0 && high! >= low!) return { low: low!, high: high! };
  } catch {
    // Not Linux, or no /proc: assume the IANA range.
  }
  return { low: 49_152, high: 65_535 };
}

/** Listens on `port` at `host` and closes again; resolves the port it got (the OS's choice for 0), rejects with the listen error. */
function listenOnce(port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ port, host, exclusive: true }, () => {
      const address = server.address();
      const got = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(got));
    });
  });
}

/**
 * A TCP port free on `host` now, from below the ephemeral range when there is room there (random,
 * not one this process handed out lately), else chosen by the OS.
 */
export async function allocatePort(host = '127.0.0.1'): Promise<number> {
  const { low } = ephemeralRange();
  const high = low - 1;
  if (high - LOW >= 1_000) {
    for (let i = 0; i < TRIES; i++) {
      const port = LOW + Math.floor(Math.random() * (high - LOW + 1));
      if (recent.includes(port)) continue;
      if ((await listenOnce(port, host).catch(() => undefined)) === port) return remember(port);
    }
  }
  // No room below the range, or every try was taken: the OS's choice (port 0).
  return remember(await listenOnce(0, host));
}

function remember(port: number): number {
  recent.push(port);
  if (recent.length > RECENT_MAX) recent.shift();
  return port;
}
