/**
 * The Toxiproxy 2.7.0 HTTP API, byte-compatible: routes, statuses, error messages, bodies, content
 * types, JSON key order, defaults and Go's decoder wording (see docs/proxy.md). All HTTP status
 * mapping lives here; handlers throw {@link ApiError} and return early. Each request's body is read on
 * its own (a slow client holds up nobody); only the handlers, which change state, run one at a time,
 * like Toxiproxy's collection lock, so concurrent changes never interleave. Answers are framed as
 * Go's net/http frames them (src/chaos/go-http.ts).
 *
 * agentcheck extensions (absent from a `tcp` proxy's output, so it stays identical to Toxiproxy):
 * a proxy's `protocol` field, and sub-resources registered with {@link registerProxyRoute}.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError, ApiErrors } from './api-error.js';
import { GO_BAD_REQUEST, sendGoAnswer, type GoAnswer } from './go-http.js';
import {
  decodeStruct,
  goFloat32,
  goFloat64,
  goJson,
  goString,
  parseGoJson,
  type GoField,
  type GoValue,
} from './gojson.js';
import { misplacedToxic, protocolHandler, protocolNames, protocolRoute, tcpProtocol, toxicDefinitionFor } from './protocols.js';
import { Proxy } from './proxy.js';
import type { ProxyCollection } from './proxy-collection.js';
import type { Rng } from './rng.js';
import type { AttributeSpec, AttributeValue, StreamDirection, Toxic, ToxicAttributes, ToxicDefinition } from './toxic.js';

/** The version Toxiproxy clients see. */
export const TOXIPROXY_VERSION = '2.7.0';

/** What the API serves. */
export interface ApiState {
  /** The proxies. */
  readonly proxies: ProxyCollection;
  /** The server's random source (each proxy forks `proxy:<name>`). */
  readonly rng: Rng;
}

/** A response from an extension route. */
export interface ApiReply {
  /** HTTP status (default 200). */
  readonly status?: number;
  /** Content type (default `application/json`). */
  readonly contentType?: string;
  /** Body. */
  readonly body: string | Buffer;
}

/** An extension route under `/proxies/{p}/<name>`: GET only, answered from the proxy's state. */
export type ProxyRoute = (proxy: Proxy, query: URLSearchParams) => ApiReply | Promise<ApiReply>;

const proxyRoutes = new Map<string, ProxyRoute>();

/**
 * Adds `GET /proxies/{p}/<name>` (e.g. `journal`). `toxics` is reserved. Unknown proxies get the
 * usual 404 `proxy not found`; other methods 405.
 */
export function registerProxyRoute(name: string, route: ProxyRoute): void {
  if (name === 'toxics' || name.includes('/')) throw new Error(`cannot register proxy route '${name}'`);
  proxyRoutes.set(name, route);
}

// ---------------------------------------------------------------------------------------------
// Output, as Toxiproxy writes it.

function attributeZero(spec: AttributeSpec): AttributeValue {
  switch (spec.type) {
    case 'bool':
      return false;
    case 'string':
      return '';
    case 'json':
      return null;
    default:
      return 0;
  }
}

function encodeAttribute(spec: AttributeSpec, value: AttributeValue | undefined): string {
  const v = value ?? attributeZero(spec);
  switch (spec.type) {
    case 'float32':
      return goFloat32(Number(v));
    case 'float64':
      return goFloat64(Number(v));
    case 'int':
    case 'int64':
      return typeof v === 'bigint' ? v.toString() : String(Math.trunc(Number(v)));
    case 'bool':
      return String(Boolean(v));
    case 'string':
      return goString(String(v));
    case 'json':
      return goJson(v);
  }
}

// The `stream` value exactly as the client spelled it ("UPSTREAM", "Downstream"): Toxiproxy keeps the
// string it decoded and echoes it in every answer, while the toxic itself only knows its direction.
const streamAsGiven = new WeakMap<Toxic, string>();

/** A toxic as Toxiproxy serialises it: `{"attributes":{…},"name","type","stream","toxicity"}`. */
export function encodeToxic(toxic: Toxic): string {
  const attrs = toxic.definition.attributes
    .map((spec) => `${goString(spec.name)}:${encodeAttribute(spec, toxic.attributes[spec.name])}`)
    .join(',');
  return (
    `{"attributes":{${attrs}},"name":${goString(toxic.name)},"type":${goString(toxic.type)},` +
    `"stream":${goString(streamAsGiven.get(toxic) ?? toxic.stream)},"toxicity":${goFloat32(toxic.toxicity)}}`
  );
}

/** A proxy as Toxiproxy serialises it, `"Logger":{}` included; `protocol` only when not tcp. */
export function encodeProxy(proxy: Proxy): string {
  const protocol = proxy.protocol === tcpProtocol.name ? '' : `"protocol":${goString(proxy.protocol)},`;
  return (
    `{"name":${goString(proxy.name)},"listen":${goString(proxy.listen)},"upstream":${goString(proxy.upstream)},` +
    `"enabled":${proxy.enabled},${protocol}"Logger":{},"toxics":[${proxy.toxics.list().map(encodeToxic).join(',')}]}`
  );
}

// ---------------------------------------------------------------------------------------------
// Decoding request bodies, as Toxiproxy's Go structs do.

const LOGGER: GoField = { key: 'Logger', type: { struct: 'zerolog.Logger' } };
const PROXY_FIELDS: readonly GoField[] = [
  { key: 'name', type: 'string' },
  { key: 'listen', type: 'string' },
  { key: 'upstream', type: 'string' },
  { key: 'enabled', type: 'bool' },
  { key: 'protocol', type: 'string' },
  LOGGER,
];
const POPULATE_ELEMENT = 'struct { toxiproxy.Proxy; Enabled *bool "json:\\"enabled\\"" }';

function parseBody(body: Buffer): GoValue {
  const parsed = parseGoJson(body);
  if ('error' in parsed) throw ApiErrors.badBody(parsed.error);
  return parsed.value;
}

function attributeFields(definition: ToxicDefinition): GoField[] {
  return definition.attributes.map((a) => ({ key: a.name, type: a.type }));
}

function checkProtocol(protocol: string): void {
  if (!protocolHandler(protocol)) {
    throw new ApiError(`unknown protocol '${protocol}': valid protocols are ${protocolNames().join(', ')}`, 400);
  }
}

function parseStream(stream: string): StreamDirection {
  const s = stream.toLowerCase();
  if (s !== 'upstream' && s !== 'downstream') throw ApiErrors.invalidStream();
  return s;
}

function mergeAttributes(definition: ToxicDefinition, base: ToxicAttributes, decoded: Map<string, unknown>): ToxicAttributes {
  const out: ToxicAttributes = {};
  for (const spec of definition.attributes) {
    const v = decoded.has(spec.name) ? decoded.get(spec.name) : base[spec.name];
    out[spec.name] = (v === undefined ? attributeZero(spec) : v) as AttributeValue;
  }
  return out;
}

function validateAttributes(definition: ToxicDefinition, attributes: ToxicAttributes): void {
  const problem = definition.validate?.(attributes);
  if (problem !== undefined) throw ApiErrors.badBody(problem);
}

// ---------------------------------------------------------------------------------------------
// Handlers: each returns a reply or throws ApiError.

interface Reply {
  status: number;
  body?: string;
  contentType?: string;
}

const json = (status: number, body: string): Reply => ({ status, body, contentType: 'application/json' });

async function createProxy(state: ApiState, body: Buffer): Promise<Reply> {
  const decoded = decodeStruct(parseBody(body), PROXY_FIELDS, { struct: 'Proxy', path: '', valueType: 'toxiproxy.Proxy' });
  if (decoded.error) throw ApiErrors.badBody(decoded.error);
  const v = decoded.values;
  const name = (v.get('name') as string | undefined) ?? '';
  const upstream = (v.get('upstream') as string | undefined) ?? '';
  if (name.length < 1) throw ApiErrors.missingField('name');
  if (upstream.length < 1) throw ApiErrors.missingField('upstream');
  const protocol = (v.get('protocol') as string | undefined) || tcpProtocol.name;
  checkProtocol(protocol);
  const proxy = new Proxy(name, { listen: (v.get('listen') as string | undefined) ?? '', upstream, protocol }, state.rng);
  await state.proxies.add(proxy, (v.get('enabled') as boolean | undefined) ?? true);
  return json(201, encodeProxy(proxy));
}

async function populate(state: ApiState, body: Buffer): Promise<Reply> {
  const reply = (status: number, error: ApiError | null, proxies: Proxy[] | null) => {
    const list = proxies && proxies.length > 0 ? `[${proxies.map(encodeProxy).join(',')}]` : 'null';
    const err = error ? `"error":${goString(error.message)},"status":${error.status},` : '';
    return json(status, `{${err}"proxies":${list}}`);
  };
  let configs: ReturnType<typeof decodePopulate>;
  try {
    configs = decodePopulate(body);
  } catch (err) {
    if (err instanceof ApiError) return reply(err.status, err, null);
    throw err;
  }
  // Toxiproxy answers with the proxy objects it built from the request, whatever happened to them:
  // one that matched an existing proxy (kept as it was) shows up fresh and never started,
  // `"enabled":false` and no toxics.
  const done: Proxy[] = [];
  for (const config of configs) {
    try {
      const proxy = new Proxy(config.name, config, state.rng);
      await state.proxies.addOrReplace(proxy, config.enabled);
      done.push(proxy);
    } catch (err) {
      if (err instanceof ApiError) return reply(err.status, err, done);
      throw err;
    }
  }
  return reply(201, null, done);
}

/** Decodes and validates a `/populate` body (also used for config files); throws ApiError. */
export function decodePopulate(
  body: Buffer,
): Array<{ name: string; listen: string; upstream: string; enabled: boolean; protocol: string }> {
  const value = parseBody(body);
  if (value.k === 'null') return [];
  if (value.k !== 'arr') {
    const kind = value.k === 'obj' ? 'object' : value.k === 'str' ? 'string' : value.k === 'num' ? 'number' : 'bool';
    throw ApiErrors.badBody(`json: cannot unmarshal ${kind} into Go value of type []${POPULATE_ELEMENT}`);
  }
  const decoded = value.v.map((element) =>
    decodeStruct(element, PROXY_FIELDS, { struct: '', path: '', valueType: POPULATE_ELEMENT }),
  );
  const firstError = decoded.find((d) => d.error !== undefined);
  if (firstError?.error) throw ApiErrors.badBody(firstError.error);
  return decoded.map(({ values: v }, i) => {
    const name = (v.get('name') as string | undefined) ?? '';
    const upstream = (v.get('upstream') as string | undefined) ?? '';
    if (name.length < 1) throw ApiErrors.missingField(`name at proxy ${i + 1}`);
    if (upstream.length < 1) throw ApiErrors.missingField(`upstream at proxy ${i + 1}`);
    const protocol = (v.get('protocol') as string | undefined) || tcpProtocol.name;
    checkProtocol(protocol);
    return {
      name,
      listen: (v.get('listen') as string | undefined) ?? '',
      upstream,
      enabled: (v.get('enabled') as boolean | undefined) ?? true,
      protocol,
    };
  });
}

async function updateProxy(proxy: Proxy, body: Buffer): Promise<Reply> {
  const decoded = decodeStruct(parseBody(body), PROXY_FIELDS, { struct: 'Proxy', path: '', valueType: 'toxiproxy.Proxy' });
  if (decoded.error) throw ApiErrors.badBody(decoded.error);
  const v = decoded.values;
  const protocol = (v.get('protocol') as string | undefined) || proxy.protocol;
  checkProtocol(protocol);
  await proxy.update({
    listen: (v.get('listen') as string | undefined) ?? proxy.listen,
    upstream: (v.get('upstream') as string | undefined) ?? proxy.upstream,
    enabled: (v.get('enabled') as boolean | undefined) ?? proxy.enabled,
    protocol,
  });
  return json(200, encodeProxy(proxy));
}

const WRAPPER_FIELDS: readonly GoField[] = [
  { key: 'attributes', type: { struct: 'toxics.NoopToxic', name: 'NoopToxic', fields: [] } },
  { key: 'name', type: 'string' },
  { key: 'type', type: 'string' },
  { key: 'stream', type: 'string' },
  { key: 'toxicity', type: 'float32' },
];

function createToxic(proxy: Proxy, body: Buffer): Reply {
  const value = parseBody(body);
  const wrapper = decodeStruct(value, WRAPPER_FIELDS, { struct: 'ToxicWrapper', path: '', valueType: 'toxics.ToxicWrapper' });
  if (wrapper.error) throw ApiErrors.badBody(wrapper.error);
  const w = wrapper.values;
  const givenStream = (w.get('stream') as string | undefined) ?? 'downstream';
  const stream = parseStream(givenStream);
  const type = (w.get('type') as string | undefined) ?? '';
  // Toxiproxy names it from the string as given: `latency_UPSTREAM`.
  const name = (w.get('name') as string | undefined) || `${type}_${givenStream}`;
  const definition = toxicDefinitionFor(proxy.protocol, type);
  if (!definition) throw ApiErrors.invalidToxicType();
  const misplaced = misplacedToxic(proxy.protocol, definition);
  if (misplaced) throw new ApiError(misplaced, 400);
  if (proxy.toxics.get(name)) throw ApiErrors.toxicExists();
  const attrs = decodeStruct(
    value,
    [{ key: 'attributes', type: { struct: `toxics.${definition.goName}`, name: definition.goName, fields: attributeFields(definition) } }],
    { struct: '', path: '', valueType: '' },
  );
  if (attrs.error) throw ApiErrors.badBody(attrs.error);
  const attributes = mergeAttributes(
    definition,
    {},
    (attrs.values.get('attributes') as Map<string, unknown> | undefined) ?? new Map(),
  );
  validateAttributes(definition, attributes);
  const toxicity = (w.get('toxicity') as number | undefined) ?? 1;
  const toxic: Toxic = { name, type, stream, toxicity, attributes, definition };
  if (givenStream !== stream) streamAsGiven.set(toxic, givenStream);
  return json(200, encodeToxic(proxy.toxics.add(toxic)));
}

function updateToxic(proxy: Proxy, toxicName: string, body: Buffer): Reply {
  const toxic = proxy.toxics.get(toxicName);
  if (!toxic) throw ApiErrors.toxicNotFound();
  const definition = toxic.definition;
  const decoded = decodeStruct(
    parseBody(body),
    [
      { key: 'attributes', type: { struct: `toxics.${definition.goName}`, name: definition.goName, fields: attributeFields(definition) } },
      { key: 'toxicity', type: 'float32' },
    ],
    { struct: '', path: '', valueType: 'struct { Attributes interface {} "json:\\"attributes\\""; Toxicity float32 "json:\\"toxicity\\"" }' },
  );
  if (decoded.error) throw ApiErrors.badBody(decoded.error);
  const attributes = mergeAttributes(
    definition,
    toxic.attributes,
    (decoded.values.get('attributes') as Map<string, unknown> | undefined) ?? new Map(),
  );
  validateAttributes(definition, attributes);
  const toxicity = (decoded.values.get('toxicity') as number | undefined) ?? toxic.toxicity;
  return json(200, encodeToxic(proxy.toxics.update(toxicName, attributes, toxicity)));
}

// ---------------------------------------------------------------------------------------------
// Routing.

type Handler = (state: ApiState, params: string[], body: Buffer, query: URLSearchParams) => Reply | Promise<Reply>;

interface Route {
  readonly pattern: readonly (string | null)[]; // null = a `[^/]+` variable
  readonly methods: Readonly<Record<string, Handler>>;
}

const routes: readonly Route[] = [
  {
    pattern: ['version'],
    methods: {
      GET: () => ({
        status: 200,
        body: `{"version": "${TOXIPROXY_VERSION}"}\n`,
        contentType: 'application/json;charset=utf-8',
      }),
    },
  },
  {
    pattern: ['reset'],
    methods: {
      POST: async (s) => {
        await s.proxies.reset();
        return { status: 204 };
      },
    },
  },
  {
    pattern: ['proxies'],
    methods: {
      GET: (s) =>
        json(200, `{${s.proxies.list().map((p) => `${goString(p.name)}:${encodeProxy(p)}`).join(',')}}`),
      POST: (s, _p, body) => createProxy(s, body),
    },
  },
  { pattern: ['populate'], methods: { POST: (s, _p, body) => populate(s, body) } },
  {
    pattern: ['proxies', null],
    methods: {
      GET: (s, [p]) => json(200, encodeProxy(s.proxies.get(p!))),
      POST: (s, [p], body) => updateProxy(s.proxies.get(p!), body),
      PATCH: (s, [p], body) => updateProxy(s.proxies.get(p!), body),
      DELETE: (s, [p]) => {
        s.proxies.remove(p!);
        return { status: 204 };
      },
    },
  },
  {
    pattern: ['proxies', null, 'toxics'],
    methods: {
      GET: (s, [p]) => json(200, `[${s.proxies.get(p!).toxics.list().map(encodeToxic).join(',')}]`),
      POST: (s, [p], body) => createToxic(s.proxies.get(p!), body),
    },
  },
  {
    pattern: ['proxies', null, 'toxics', null],
    methods: {
      GET: (s, [p, t]) => {
        const toxic = s.proxies.get(p!).toxics.get(t!);
        if (!toxic) throw ApiErrors.toxicNotFound();
        return json(200, encodeToxic(toxic));
      },
      POST: (s, [p, t], body) => updateToxic(s.proxies.get(p!), t!, body),
      PATCH: (s, [p, t], body) => updateToxic(s.proxies.get(p!), t!, body),
      DELETE: (s, [p, t]) => {
        s.proxies.get(p!).toxics.remove(t!);
        return { status: 204 };
      },
    },
  },
];

function matchRoute(segments: string[]): { route: Route; params: string[] } | null {
  for (const route of routes) {
    if (route.pattern.length !== segments.length) continue;
    const params: string[] = [];
    let ok = true;
    for (let i = 0; i < segments.length && ok; i++) {
      const want = route.pattern[i];
      const got = segments[i]!;
      if (want === null) {
        if (got === '') ok = false;
        else params.push(got);
      } else if (want !== got) ok = false;
    }
    if (ok) return { route, params };
  }
  // Extension sub-resources: /proxies/{p}/<name>.
  if (segments.length === 3 && segments[0] === 'proxies' && segments[1] !== '') {
    const ext = proxyRoutes.get(segments[2]!);
    if (ext) {
      const handler: Handler = async (s, [p], _body, query) => {
        const proxy = s.proxies.get(p!);
        const r = await (protocolRoute(proxy.protocol, segments[2]!) ?? ext)(proxy, query);
        return { status: r.status ?? 200, body: typeof r.body === 'string' ? r.body : r.body.toString('utf8'), contentType: r.contentType ?? 'application/json' };
      };
      return { route: { pattern: [], methods: { GET: handler } }, params: [segments[1]!] };
    }
  }
  return null;
}

// Go's path.Clean, keeping a trailing slash (gorilla/mux redirects to the cleaned path).
function cleanPath(p: string): string {
  if (p === '') return '/';
  const rooted = p.startsWith('/') ? p : `/${p}`;
  const out: string[] = [];
  for (const part of rooted.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') out.pop();
    else out.push(part);
  }
  let cleaned = `/${out.join('/')}`;
  if (p.endsWith('/') && cleaned !== '/') cleaned += '/';
  return cleaned;
}

// A request id like rs/xid's (what Toxiproxy's hlog puts in X-Toxiproxy-Request-Id): 12 bytes,
// time + machine + pid + counter, base32hex lower-case, 20 characters.
const machine = randomBytes(3);
let counter = randomBytes(3).readUIntBE(0, 3);
/** A fresh request id (the `X-Toxiproxy-Request-Id` value), 20 characters of base32hex. */
export function requestId(): string {
  const b = Buffer.alloc(12);
  b.writeUInt32BE(Math.floor(Date.now() / 1000) >>> 0, 0);
  machine.copy(b, 4);
  b.writeUInt16BE(process.pid & 0xffff, 7);
  counter = (counter + 1) & 0xffffff;
  b.writeUIntBE(counter, 9, 3);
  const alphabet = '0123456789abcdefghijklmnopqrstuv';
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of b) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    value &= (1 << bits) - 1;
  }
  if (bits > 0) out += alphabet[(value << (5 - bits)) & 31];
  return out;
}

/** How long the API waits for a request body (the headers' limit is the HTTP server's). */
export interface ApiHandlerOptions {
  /**
   * A request whose body has not fully arrived this many ms after its headers has its connection
   * closed without an answer (as Go's read deadline does). 0 waits forever.
   */
  readonly bodyTimeoutMs?: number;
}

/** Default of {@link ApiHandlerOptions.bodyTimeoutMs}. */
export const DEFAULT_BODY_TIMEOUT_MS = 30_000;

// Go's http.Error: plain text, nosniff, the text and a newline.
function goError(status: number, text: string, id?: string): GoAnswer {
  const headers: Array<[string, string]> = [
    ['Content-Type', 'text/plain; charset=utf-8'],
    ['X-Content-Type-Options', 'nosniff'],
  ];
  if (id !== undefined) headers.push(['X-Toxiproxy-Request-Id', id]);
  return { status, headers, body: Buffer.from(`${text}\n`, 'utf8') };
}

// Toxiproxy's apiError: the JSON error through http.Error.
function apiErrorAnswer(err: ApiError, id: string): GoAnswer {
  return goError(err.status, `{"error":${goString(err.message)},"status":${err.status}}`, id);
}

function replyAnswer(reply: Reply, id: string): GoAnswer {
  const headers: Array<[string, string]> = [['X-Toxiproxy-Request-Id', id]];
  if (reply.contentType !== undefined) headers.push(['Content-Type', reply.contentType]);
  return { status: reply.status, headers, ...(reply.body !== undefined ? { body: Buffer.from(reply.body, 'utf8') } : {}) };
}

const MAX_BODY = 16 * 1024 * 1024;

/**
 * Reads the whole body; null when it did not arrive within `timeoutMs` (the connection is then
 * closed) or the client went away.
 */
function readBody(req: IncomingMessage, timeoutMs: number): Promise<Buffer | null> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const settle = (value: Buffer | null) => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      resolve(value);
    };
    const timer =
      timeoutMs > 0
        ? setTimeout(() => {
            req.socket.destroy();
            settle(null);
          }, timeoutMs)
        : undefined;
    timer?.unref();
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      // Past the cap, stop keeping bytes: the decoder then reports the body as cut short.
      if (size <= MAX_BODY) chunks.push(chunk);
    });
    req.on('end', () => settle(Buffer.concat(chunks)));
    req.on('error', () => settle(null));
    req.on('close', () => settle(req.complete ? Buffer.concat(chunks) : null));
  });
}

/** An HTTP request listener serving the Toxiproxy API over `state`. */
export function createApiHandler(
  state: ApiState,
  options: ApiHandlerOptions = {},
): (req: IncomingMessage, res: ServerResponse) => void {
  const bodyTimeoutMs = options.bodyTimeoutMs ?? DEFAULT_BODY_TIMEOUT_MS;
  // Only state changes are serialised; bodies are read concurrently, before joining the queue.
  let queue: Promise<void> = Promise.resolve();
  // Answers given before any handler runs go out at once, as Go's do; the body is then read and
  // dropped under the same timeout, so a stalled one still loses its connection.
  const answerNow = (req: IncomingMessage, res: ServerResponse, answer: GoAnswer) => {
    sendGoAnswer(req, res, answer);
    void readBody(req, bodyTimeoutMs);
  };
  return (req, res) => {
    const raw = req.url ?? '/';
    const q = raw.indexOf('?');
    const rawPath = q >= 0 ? raw.slice(0, q) : raw;
    const query = new URLSearchParams(q >= 0 ? raw.slice(q + 1) : '');
    let path: string;
    try {
      path = decodeURIComponent(rawPath);
    } catch {
      // Go fails to parse such a request URI before any handler: the raw 400, then close.
      const socket = req.socket;
      socket.end(GO_BAD_REQUEST, () => socket.destroy());
      return;
    }
    // gorilla/mux answers redirects, 404 and 405 itself, outside the middlewares: no request id.
    const cleaned = cleanPath(path);
    if (cleaned !== path && req.method !== 'CONNECT') {
      answerNow(req, res, { status: 301, headers: [['Location', q >= 0 ? `${cleaned}${raw.slice(q)}` : cleaned]] });
      return;
    }
    const match = matchRoute(path.split('/').slice(1));
    if (!match) {
      answerNow(req, res, goError(404, '404 page not found'));
      return;
    }
    const handler = match.route.methods[req.method ?? ''];
    if (!handler) {
      answerNow(req, res, { status: 405, headers: [] });
      return;
    }
    // A matched route runs Toxiproxy's middlewares: request id first, then the browser check.
    const id = requestId();
    const ua = req.headers['user-agent'];
    if (typeof ua === 'string' && ua.startsWith('Mozilla/')) {
      answerNow(req, res, goError(403, 'User agent not allowed', id));
      return;
    }
    void readBody(req, bodyTimeoutMs).then((body) => {
      if (body === null) return;
      queue = queue.then(async () => {
        let answer: GoAnswer;
        try {
          answer = replyAnswer(await handler(state, match.params, body, query), id);
        } catch (err) {
          const apiErr = err instanceof ApiError ? err : new ApiError(err instanceof Error ? err.message : String(err), 500);
          answer = apiErrorAnswer(apiErr, id);
        }
        sendGoAnswer(req, res, answer);
      });
    });
  };
}
