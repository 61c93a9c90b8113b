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

/** The kernel's ephemeral range (Linux `ip_local_port_range`); elsewhere the IANA one. */
export function ephemeralRange(): { low: number; high: number } {
  try {
    const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (Number.isInteger(low) && Number.isInteger(high) && low! > 0 && high! >= low!) return { low: low!, high: high! };
  } catch {
    // Not Linux, or no /proc: assume the IANA range.
  }
  return { low: 49_152, high: 65_535 };
}

/** True when `port` can be listened on at `host` right now. */
function canListen(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** A port the OS chooses (port 0): the fallback when no port below the ephemeral range is free. */
function osPort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
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
      if (await canListen(port, host)) return remember(port);
    }
  }
  return remember(await osPort(host));
}

function remember(port: number): number {
  recent.push(port);
  if (recent.length > RECENT_MAX) recent.shift();
  return port;
}
