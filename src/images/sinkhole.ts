/**
 * The network sinkhole of the containers runtime: a small server that answers, on an agent's
 * network, for every *other* agent's network alias. An agent that calls a peer's own address
 * instead of its edge proxy reaches this server, which records who called (source address),
 * which port, and for HTTP/1 the request line and `Host` header, then answers 403 (or closes a
 * connection that is not HTTP/1). Its records are served as JSON on an API port, which
 * agentcheck reads at the end of the run and turns into topology findings.
 *
 * It runs in agentcheck's proxy image (`node /app/dist/images/sinkhole.js --ports … --api …`)
 * and imports only Node built-ins, so the image needs nothing more for it.
 */
import http from 'node:http';
import net, { type AddressInfo, type Socket } from 'node:net';
import { pathToFileURL } from 'node:url';

/** Where the sinkhole's entry point is inside agentcheck's proxy image. */
export const SINKHOLE_SCRIPT = '/app/dist/images/sinkhole.js';

/** One connection (or one request on it) the sinkhole answered. */
export interface SinkholeRecord {
  /** Source IP address of the connection (an address on the caller's network). */
  source: string;
  /** The port the caller connected to (the peer's container port it meant). */
  port: number;
  /** Epoch ms when the connection was accepted. */
  atMs: number;
  /** `METHOD target HTTP/x.y`, when the bytes were an HTTP/1 request. */
  request?: string;
  /** The request's Host header, when there was one. */
  host?: string;
}

/** What `GET /records` answers. */
export interface SinkholeRecords {
  records: SinkholeRecord[];
  /** Records not kept because {@link MAX_RECORDS} were already held (they are counted, not lost silently). */
  dropped: number;
}

/** Most records held; a caller in a tight loop must not grow the sinkhole without bound. */
export const MAX_RECORDS = 5000;

/** A running sinkhole. */
export interface Sinkhole {
  /** Ports it listens on for callers (as bound: `0` in the options becomes the real port). */
  readonly ports: number[];
  /** The records API's port. */
  readonly apiPort: number;
  /** What was recorded so far. */
  snapshot(): SinkholeRecords;
  close(): Promise<void>;
}

/** Options of {@link startSinkhole}. */
export interface SinkholeOptions {
  /** Ports to answer on (`0`: any free port, for tests). */
  ports: number[];
  /** Port of the records API (`0`: any free port). */
  apiPort: number;
  /** Address to bind; default `0.0.0.0` (inside its container). */
  host?: string;
}

const FORBIDDEN_BODY = 'agentcheck sinkhole: this address belongs to a peer agent, which may be called only through the edge proxy its caller was given\n';

/** Starts the sinkhole's listeners and its records API. */
export async function startSinkhole(options: SinkholeOptions): Promise<Sinkhole> {
  const host = options.host ?? '0.0.0.0';
  const records: SinkholeRecord[] = [];
  let dropped = 0;
  const keep = (r: SinkholeRecord): SinkholeRecord => {
    if (records.length < MAX_RECORDS) records.push(r);
    else dropped++;
    return r;
  };
  // The record of each connection's first request is filled in place; later requests on a
  // kept-alive connection (the answer says `Connection: close`, but a client may pipeline) get their own.
  const firstOf = new WeakMap<Socket, { record: SinkholeRecord; used: boolean }>();

  const trap = http.createServer({ requestTimeout: 5000, headersTimeout: 5000 }, (req, res) => {
    const entry = firstOf.get(req.socket);
    const request = `${req.method ?? '?'} ${req.url ?? '?'} HTTP/${req.httpVersion}`;
    const fields = { request, ...(req.headers.host !== undefined ? { host: req.headers.host } : {}) };
    if (entry && !entry.used) {
      entry.used = true;
      Object.assign(entry.record, fields);
    } else {
      keep({ source: plainAddress(req.socket.remoteAddress), port: req.socket.localPort ?? 0, atMs: Date.now(), ...fields });
    }
    req.resume();
    res.writeHead(403, { 'content-type': 'text/plain; charset=utf-8', connection: 'close', 'x-agentcheck-sinkhole': '1' });
    res.end(FORBIDDEN_BODY);
  });
  // Recorded on accept, so a connection that never sends a byte (a TCP probe, a client waiting
  // for a server greeting) is seen too.
  trap.on('connection', (socket: Socket) => {
    const record = keep({ source: plainAddress(socket.remoteAddress), port: socket.localPort ?? 0, atMs: Date.now() });
    firstOf.set(socket, { record, used: false });
  });
  // Not HTTP/1 (TLS, HTTP/2 prior knowledge, NATS, raw bytes): already recorded; just close.
  trap.on('clientError', (_err, socket: Socket) => socket.destroy());
  trap.keepAliveTimeout = 1000;

  const listeners: Array<net.Server> = [];
  const bound: number[] = [];
  const open = new Set<Socket>();
  let api: http.Server | undefined;
  const closeAll = async () => {
    const closed = Promise.all(listeners.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    for (const socket of open) socket.destroy();
    if (api) api.closeAllConnections();
    await closed;
  };
  try {
    // One http.Server parses for every port: each port is a plain net listener handing it its connections.
    // Port 0 (any free port, for tests) may be asked for more than once; a real port is bound once.
    for (const port of options.ports.filter((p, i, all) => p === 0 || all.indexOf(p) === i)) {
      const server = net.createServer((socket) => {
        open.add(socket);
        socket.once('close', () => open.delete(socket));
        trap.emit('connection', socket);
      });
      await listen(server, port, host);
      listeners.push(server);
      bound.push((server.address() as AddressInfo).port);
    }
    api = http.createServer((req, res) => {
      if (req.method === 'GET' && (req.url === '/records' || req.url === '/healthz')) {
        const body = req.url === '/records' ? JSON.stringify({ records, dropped } satisfies SinkholeRecords) : 'ok\n';
        res.writeHead(200, { 'content-type': req.url === '/records' ? 'application/json' : 'text/plain' });
        res.end(body);
        return;
      }
      res.writeHead(404).end();
    });
    await listen(api, options.apiPort, host);
    listeners.push(api);
    const apiPort = (api.address() as AddressInfo).port;
    return {
      ports: bound,
      apiPort,
      snapshot: () => ({ records: records.map((r) => ({ ...r })), dropped }),
      close: async () => {
        await closeAll();
      },
    };
  } catch (err) {
    await closeAll();
    throw err;
  }
}

function listen(server: net.Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** `::ffff:172.18.0.3` → `172.18.0.3`: Docker reports container addresses in plain IPv4. */
function plainAddress(address: string | undefined): string {
  return (address ?? '?').replace(/^::ffff:/, '');
}

/** `--ports 8080,9090 --api 8475` → options; throws on anything else. */
export function parseSinkholeArgs(argv: readonly string[]): SinkholeOptions {
  const value = (flag: string): string => {
    const i = argv.indexOf(flag);
    const v = i >= 0 ? argv[i + 1] : undefined;
    if (v === undefined) throw new Error(`sinkhole: missing ${flag}`);
    return v;
  };
  const port = (text: string): number => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`sinkhole: '${text}' is not a port`);
    return n;
  };
  return { ports: value('--ports').split(',').filter(Boolean).map(port), apiPort: port(value('--api')) };
}

// Run as a program (in the proxy image): listen until SIGTERM.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const options = parseSinkholeArgs(process.argv.slice(2));
  const sinkhole = await startSinkhole(options);
  process.stdout.write(`sinkhole listening on ${sinkhole.ports.join(', ')}; records on ${sinkhole.apiPort}\n`);
  process.on('SIGTERM', () => void sinkhole.close().then(() => process.exit(0)));
}
