// A minimal NATS client (node built-ins only) for the reference team's event-driven agents: the
// client protocol's INFO / CONNECT / PING / PONG / PUB / HPUB / SUB / MSG / HMSG, request-reply
// over one wildcard inbox, and the few JetStream API calls the agents need (a stream, a durable
// push consumer with explicit acks, a publish that waits for its PubAck). Not a general client:
// no TLS, no auth, no reconnect (an agent that loses its broker exits and the run reports it).
import net from 'node:net';
import { randomBytes } from 'node:crypto';

const CRLF = '\r\n';
const MAX_CONTROL = 64 * 1024;

/** A parsed message: subject, reply, headers (lower-cased names; null for MSG), data (Buffer). */
function message(subject, reply, headers, data) {
  return { subject, reply: reply ?? null, headers, data };
}

/** The status code of an HMSG header block (JetStream heartbeats, flow control, 404/408), or null. */
function statusOf(headerText) {
  const m = /^NATS\/1\.0[ \t]+(\d{3})/.exec(headerText);
  return m ? Number(m[1]) : null;
}

function parseHeaders(text) {
  const out = {};
  for (const line of text.split(CRLF).slice(1)) {
    const i = line.indexOf(':');
    if (i > 0) out[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  return out;
}

/** Connects to `url` (`nats://host:port`); resolves once the server answered the first PING. */
export async function connectNats(url, { name = 'agent', timeoutMs = 5000 } = {}) {
  const u = new URL(url);
  if (u.protocol !== 'nats:') throw new Error(`not a nats:// URL: ${url}`);
  const socket = net.connect(Number(u.port || 4222), u.hostname);
  socket.setNoDelay(true);
  const subs = new Map();
  const pongs = [];
  let nextSid = 1;
  let buf = Buffer.alloc(0);
  let closed = false;
  let onClosed = () => {};
  const closedPromise = new Promise((resolve) => (onClosed = resolve));
  let infoSeen;
  const info = new Promise((resolve, reject) => {
    infoSeen = resolve;
    socket.once('error', reject);
    setTimeout(() => reject(new Error(`no INFO from ${url} within ${timeoutMs} ms`)), timeoutMs).unref();
  });

  const write = (s) => {
    if (!closed) socket.write(s);
  };

  // One frame at a time; returns false when the buffer holds no whole frame yet.
  function parseOne() {
    const eol = buf.indexOf(CRLF);
    if (eol < 0) {
      if (buf.length > MAX_CONTROL) throw new Error('control line too long');
      return false;
    }
    const line = buf.subarray(0, eol).toString('latin1');
    const [op, ...args] = line.split(/[ \t]+/);
    const OP = op.toUpperCase();
    if (OP === 'MSG' || OP === 'HMSG') {
      const hdr = OP === 'HMSG';
      const [subject, sid, ...rest] = args;
      const total = Number(rest[rest.length - 1]);
      const hlen = hdr ? Number(rest[rest.length - 2]) : 0;
      const reply = rest.length === (hdr ? 3 : 2) ? rest[0] : null;
      const end = eol + 2 + total + 2;
      if (buf.length < end) return false;
      const payload = buf.subarray(eol + 2, eol + 2 + total);
      buf = buf.subarray(end);
      const headerText = hdr ? payload.subarray(0, hlen).toString('latin1') : '';
      const status = hdr ? statusOf(headerText) : null;
      const sub = subs.get(sid);
      if (sub && status === null) sub(message(subject, reply, hdr ? parseHeaders(headerText) : null, Buffer.from(payload.subarray(hlen))));
      else if (sub && status !== null && sub.onStatus) sub.onStatus(status, subject);
      return true;
    }
    buf = buf.subarray(eol + 2);
    if (OP === 'INFO') infoSeen(JSON.parse(args.join(' ')));
    else if (OP === 'PING') write(`PONG${CRLF}`);
    else if (OP === 'PONG') pongs.shift()?.();
    else if (OP === '-ERR') process.stderr.write(`${JSON.stringify({ agent: name, event: 'nats-error', error: line })}\n`);
    return true;
  }

  socket.on('data', (chunk) => {
    buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
    try {
      while (parseOne());
    } catch (err) {
      socket.destroy(err);
    }
  });
  socket.on('close', () => {
    closed = true;
    for (const p of pongs.splice(0)) p();
    onClosed();
  });
  socket.on('error', () => undefined);

  const serverInfo = await info;
  if (serverInfo.tls_required) throw new Error('the server requires TLS, which this client does not speak');
  write(`CONNECT ${JSON.stringify({ verbose: false, pedantic: false, headers: true, no_responders: true, protocol: 1, name, lang: 'node-minimal', version: '0.1.0' })}${CRLF}`);

  const flush = () =>
    new Promise((resolve, reject) => {
      if (closed) return reject(new Error('connection closed'));
      pongs.push(resolve);
      write(`PING${CRLF}`);
    });
  await flush();

  /** Publishes `data` (Buffer or string) on `subject`, with optional reply subject and headers. */
  function publish(subject, data = '', { reply, headers } = {}) {
    const body = Buffer.isBuffer(data) ? data : Buffer.from(String(data));
    const r = reply ? ` ${reply}` : '';
    if (headers && Object.keys(headers).length > 0) {
      let h = `NATS/1.0${CRLF}`;
      for (const [k, v] of Object.entries(headers)) h += `${k}: ${v}${CRLF}`;
      h += CRLF;
      const hb = Buffer.from(h);
      write(Buffer.concat([Buffer.from(`HPUB ${subject}${r} ${hb.length} ${hb.length + body.length}${CRLF}`), hb, body, Buffer.from(CRLF)]));
    } else {
      write(Buffer.concat([Buffer.from(`PUB ${subject}${r} ${body.length}${CRLF}`), body, Buffer.from(CRLF)]));
    }
  }

  /** Subscribes `handler(msg)` to `subject`; returns the sid. */
  function subscribe(subject, handler, queue) {
    const sid = String(nextSid++);
    subs.set(sid, handler);
    write(`SUB ${subject}${queue ? ` ${queue}` : ''} ${sid}${CRLF}`);
    return sid;
  }

  // Request-reply: one wildcard inbox subscription for every request of this connection.
  const inbox = `_INBOX.${randomBytes(8).toString('hex')}`;
  const waiting = new Map();
  let nextReq = 1;
  const onReply = (m) => {
    const token = m.subject.slice(inbox.length + 1);
    waiting.get(token)?.resolve(m);
    waiting.delete(token);
  };
  // 503 (no responders) is the one status a plain request gets: nobody serves the subject.
  onReply.onStatus = (status, subject) => {
    const token = subject.slice(inbox.length + 1);
    if (status === 503) waiting.get(token)?.reject(new Error('no responders'));
    waiting.delete(token);
  };
  subscribe(`${inbox}.*`, onReply);

  /** Sends a request and resolves with the reply message; rejects after `timeoutMs`. */
  function request(subject, data = '', { timeoutMs: t = 2000, headers } = {}) {
    const token = String(nextReq++);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        waiting.delete(token);
        reject(new Error(`request on ${subject} timed out after ${t} ms`));
      }, t);
      waiting.set(token, {
        resolve: (m) => (clearTimeout(timer), resolve(m)),
        reject: (e) => (clearTimeout(timer), reject(e)),
      });
      publish(subject, data, { reply: `${inbox}.${token}`, ...(headers ? { headers } : {}) });
    });
  }

  /** A JetStream API call: the JSON answer; throws on an API error. */
  async function jsApi(subject, body, timeoutMs = 2000) {
    const m = await request(`$JS.API.${subject}`, body === undefined ? '' : JSON.stringify(body), { timeoutMs });
    const answer = JSON.parse(m.data.toString('utf8'));
    if (answer.error) throw Object.assign(new Error(`JetStream ${subject}: ${answer.error.description} (${answer.error.err_code})`), { code: answer.error.err_code });
    return answer;
  }

  return {
    publish,
    subscribe,
    request,
    flush,
    jsApi,
    closed: closedPromise,
    close() {
      if (closed) return Promise.resolve();
      socket.end();
      return closedPromise;
    },
  };
}

/** JetStream's sequence numbers and pending count from a delivery's `$JS.ACK.…` reply subject. */
export function ackInfo(reply) {
  // $JS.ACK.<stream>.<consumer>.<delivered>.<stream seq>.<consumer seq>.<timestamp>.<pending>
  // (nats-server 2.9; the longer form with a domain and an account hash is not read here).
  const t = (reply ?? '').split('.');
  if (t.length !== 9 || t[0] !== '$JS' || t[1] !== 'ACK') return null;
  return { stream: t[2], consumer: t[3], delivered: Number(t[4]), streamSeq: Number(t[5]), pending: Number(t[8]) };
}
