/**
 * The scenario schema: the single source of both the validator (`validate-schema.ts`) and the
 * exported JSON Schema file (`schema/scenario.schema.json`, written by `json-schema.ts`), so the
 * two cannot drift. It is plain JSON Schema (draft 2020-12) plus one private keyword,
 * `x-expected`: the words an error message uses for "expected …"; it is stripped from the file.
 */
import { TEMPLATE_VARIABLES } from '../load/template.js';
import { DURATION_EXPECTED, DURATION_PATTERN } from './duration.js';

/** The subset of JSON Schema the scenario schema uses and `validate-schema.ts` implements. */
export interface SchemaNode {
  $schema?: string;
  $id?: string;
  $ref?: string;
  $defs?: Record<string, SchemaNode>;
  title?: string;
  description?: string;
  type?: JsonType | JsonType[];
  properties?: Record<string, SchemaNode>;
  required?: string[];
  additionalProperties?: boolean | SchemaNode;
  items?: SchemaNode;
  minItems?: number;
  enum?: readonly (string | number | boolean)[];
  const?: string | number | boolean;
  pattern?: string;
  minLength?: number;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  oneOf?: SchemaNode[];
  anyOf?: SchemaNode[];
  default?: unknown;
  examples?: unknown[];
  /** Private: how an error message describes a valid value. */
  'x-expected'?: string;
}

/** JSON types as JSON Schema names them. */
export type JsonType = 'string' | 'number' | 'integer' | 'boolean' | 'object' | 'array' | 'null';

/** The TCP-level toxic types Toxiproxy itself knows. */
export const TCP_TOXIC_TYPES = [
  'latency',
  'bandwidth',
  'slow_close',
  'timeout',
  'reset_peer',
  'slicer',
  'limit_data',
  'noop',
] as const;

/** agentcheck's message-level (HTTP) toxic types: they need an `http` edge and the embedded proxy. */
export const MESSAGE_TOXIC_TYPES = [
  'drop',
  'duplicate',
  'http_error',
  'commit_then_drop',
  'http_latency',
  'stream_cut',
] as const;

/** The message-level toxic types of a `nats` edge (NATS messages; `drop` and `duplicate` are NATS's own there). */
export const NATS_TOXIC_TYPES = ['drop', 'duplicate', 'delay', 'reorder', 'drop_ack'] as const;

/**
 * Placeholders the load driver expands in request paths, headers and bodies: `${uuid}` (the
 * workflow's, the same in each of its steps), `${seq}` (0, 1, 2, … in arrival order), `${phase}`
 * (the current phase), `${workflow}` (the workflow's name); a workflow's steps may also use the
 * names earlier steps extract. Every request also gets an Idempotency-Key (the uuid by default)
 * and a W3C traceparent. The list is the driver's own, so what validates is what runs.
 */
export const TEMPLATE_PLACEHOLDERS: readonly string[] = TEMPLATE_VARIABLES;

const NAME_PATTERN = '^[A-Za-z][A-Za-z0-9_-]*$';
const ENV_NAME_PATTERN = '^[A-Za-z_][A-Za-z0-9_]*$';

const str = (description: string, extra: Partial<SchemaNode> = {}): SchemaNode => ({
  type: 'string',
  description,
  ...extra,
});
const obj = (
  description: string,
  properties: Record<string, SchemaNode>,
  required: string[] = [],
  extra: Partial<SchemaNode> = {},
): SchemaNode => ({
  type: 'object',
  description,
  properties,
  ...(required.length > 0 ? { required } : {}),
  additionalProperties: false,
  ...extra,
});
const ref = (name: string, description?: string): SchemaNode => ({
  $ref: `#/$defs/${name}`,
  ...(description ? { description } : {}),
});
const list = (description: string, items: SchemaNode, minItems?: number): SchemaNode => ({
  type: 'array',
  description,
  items,
  ...(minItems !== undefined ? { minItems } : {}),
});
const ratio = (description: string): SchemaNode => ({
  type: 'number',
  description,
  minimum: 0,
  maximum: 1,
  'x-expected': 'a number from 0 to 1',
});
const count = (description: string): SchemaNode => ({
  type: 'integer',
  description,
  minimum: 1,
  'x-expected': 'an integer ≥ 1',
});

const defs: Record<string, SchemaNode> = {
  duration: {
    description: 'A duration: a number of milliseconds, or a string such as "500ms", "2s", "1m30s" (units ms, s, m, h).',
    oneOf: [
      { type: 'number', minimum: 0 },
      { type: 'string', pattern: DURATION_PATTERN },
    ],
    'x-expected': DURATION_EXPECTED,
  },
  command: {
    description: 'A command: one string, split into words like a shell would (quotes respected, no expansion), or an argv list.',
    oneOf: [
      { type: 'string', minLength: 1 },
      { type: 'array', items: { type: 'string' }, minItems: 1 },
    ],
    'x-expected': 'a command string or a non-empty list of strings',
  },
  name: str('A name: a letter, then letters, digits, "_" or "-".', {
    pattern: NAME_PATTERN,
    'x-expected': 'a name made of letters, digits, "_" and "-", starting with a letter',
  }),
  stringOrList: {
    description: 'A string, or a non-empty list of strings (any of them).',
    anyOf: [
      { type: 'string', minLength: 1 },
      { type: 'array', items: { type: 'string', minLength: 1 }, minItems: 1 },
    ],
    'x-expected': 'a string or a non-empty list of strings',
  },
  stringMap: {
    type: 'object',
    description: 'A map of names to strings.',
    additionalProperties: { type: 'string' },
  },
  agent: obj(
    'One agent of the team: a local process (command) or a container (image or build).',
    {
      name: ref('name', 'Unique agent name; edges, load and invariants refer to it.'),
      url: str('Attach mode: the base URL of an agent that already runs elsewhere (no command, image or build). agentcheck probes its readiness there, drives load and probes at it, and never starts or stops it.', {
        pattern: '^https?://[^/\\s]+/?$',
        'x-expected': 'a base URL such as http://planner.staging:8080',
      }),
      command: ref('command', 'Process runtime: the command that starts the agent. It gets PORT (and HOST) in its environment.'),
      cwd: str("Working directory of the command, relative to the scenario file's folder. Default: that folder."),
      env: {
        type: 'object',
        description: 'Extra environment variables for the agent.',
        additionalProperties: { type: ['string', 'number', 'boolean'], 'x-expected': 'a string, number or boolean' },
      },
      image: str('Containers runtime: an image used as is.', { minLength: 1 }),
      build: obj(
        'Containers runtime: build the image from a Dockerfile.',
        {
          context: str("Build context, relative to the scenario file's folder.", { minLength: 1 }),
          dockerfile: str('Dockerfile path relative to the context. Default "Dockerfile".'),
        },
        ['context'],
      ),
      port: {
        description: 'The port the agent listens on, passed as PORT. Default "auto": a free port.',
        anyOf: [
          { type: 'integer', minimum: 1, maximum: 65535 },
          { type: 'string', enum: ['auto'] },
        ],
        default: 'auto',
        'x-expected': 'a port number from 1 to 65535 or "auto"',
      },
      readiness: obj(
        'How agentcheck knows the agent is ready. Default: a TCP connect, 10s timeout.',
        {
          http: str('GET this path until it answers 2xx, e.g. "/healthz".', {
            pattern: '^/',
            'x-expected': 'a path starting with "/"',
          }),
          tcp: { type: 'boolean', const: true, description: 'Wait until the port accepts a TCP connection.', 'x-expected': 'true' },
          timeout: ref('duration', 'Give up (exit 3) after this long. Default "10s".'),
        },
      ),
    },
    ['name'],
  ),
  edge: obj(
    'A caller -> callee connection. agentcheck puts a proxy on it and gives the caller the proxy URL in `env`.',
    {
      from: ref('name', 'The calling agent.'),
      to: ref('name', 'The called agent.'),
      env: str("The environment variable the caller reads the callee's base URL from.", {
        pattern: ENV_NAME_PATTERN,
        'x-expected': 'an environment variable name such as PAYMENTS_URL',
      }),
      proxy: obj(
        'A proxy that already runs beside the team, on a Toxiproxy-compatible API (agentcheck proxy, or Toxiproxy). agentcheck checks it (or creates it, given listen and upstream) and applies the faults through that API.',
        {
          api: str('The API base URL, e.g. http://10.0.0.5:8474.', { pattern: '^https?://[^/\\s]+/?$', 'x-expected': 'an API URL such as http://proxy-host:8474' }),
          name: str('The proxy name on that API.', { minLength: 1, pattern: '^[A-Za-z0-9_.-]+$', 'x-expected': 'a proxy name of letters, digits, "_", "." and "-"' }),
          listen: str('Where the proxy listens (host:port on its host); with upstream, the proxy is created when it does not exist.', { minLength: 1 }),
          upstream: str('Where it forwards (host:port as the proxy\'s host reaches the callee); checked against an existing proxy.', { minLength: 1 }),
        },
        ['api', 'name'],
      ),
      protocol: {
        type: 'string',
        enum: ['http', 'tcp', 'nats'],
        default: 'http',
        description:
          '"http" allows message-level faults on this edge; "nats" is an edge to a NATS server (the caller gets nats://127.0.0.1:<proxy port>) with NATS message faults; "tcp" only TCP toxics. Default "http".',
      },
    },
    // env: required unless the caller is attached by url (checked in validate-semantics.ts).
    ['from', 'to'],
  ),
  fault: obj(
    'A fault (toxic) on one edge for the length of its phase.',
    {
      edge: str('The edge, written "from->to".', {
        pattern: '^[A-Za-z][A-Za-z0-9_-]*->[A-Za-z][A-Za-z0-9_-]*$',
        'x-expected': 'an edge written "from->to", e.g. "planner->payments"',
      }),
      type: str(
        `The toxic type: TCP (${TCP_TOXIC_TYPES.join(', ')}), message-level on http edges (${MESSAGE_TOXIC_TYPES.join(', ')}) or on nats edges (${NATS_TOXIC_TYPES.join(', ')}).`,
        { minLength: 1, 'x-expected': 'a toxic type' },
      ),
      name: str('Toxic name. Default "<phase>-<type>-<index>".', {
        pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]*$',
        'x-expected': 'a name made of letters, digits, ".", "_" and "-"',
      }),
      stream: { type: 'string', enum: ['upstream', 'downstream'], description: 'Direction: upstream is caller -> callee. Default downstream.' },
      toxicity: ratio('Share of connections the toxic applies to. Default 1.'),
      attributes: {
        type: 'object',
        description: 'Toxic attributes, e.g. { latency: 500, jitter: 50 } for latency.',
      },
      match: obj('Message-level only: which requests the fault applies to; every given filter must match.', {
        method: ref('stringOrList', 'HTTP method(s), e.g. "POST".'),
        path: ref('stringOrList', 'Path glob(s) without the query string, e.g. "/charges" or "/a2a/**".'),
        header: ref('stringMap', 'Header values the request must carry; "*" in a value matches any run of characters.'),
        jsonrpc_method: ref('stringOrList', 'JSON-RPC method(s) in the body, e.g. "SendMessage" or "tools/call".'),
        subject: ref('stringOrList', 'nats edges: NATS subject(s), with "*" (one token) and ">" (the rest) wildcards, e.g. "orders.*".'),
        direction: ref('stringOrList', 'nats edges: "publish" (caller -> server) and/or "deliver" (server -> caller). Default both.'),
        stream: str('nats edges: the JetStream stream of a delivery or ack ("*" wildcard).'),
        consumer: str('nats edges: the JetStream consumer of a delivery or ack ("*" wildcard).'),
      }),
      probability: ratio('Message-level only: chance that a matching request is hit. Default 1.'),
      first: count('Message-level only: hit only the first N matching requests.'),
      every: count('Message-level only: hit every Nth matching request.'),
    },
    ['edge', 'type'],
  ),
  phase: obj(
    'One step of the timeline: its faults are applied at its start and removed at its end.',
    {
      name: str('Unique phase name; budgets can be scoped to it.', {
        pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]*$',
        'x-expected': 'a name made of letters, digits, ".", "_" and "-"',
      }),
      duration: ref('duration', 'How long the phase lasts.'),
      faults: list('Faults during this phase.', ref('fault')),
      load: obj('Load overrides during this phase.', {
        rate: { type: 'number', exclusiveMinimum: 0, description: 'Requests per second in this phase.', 'x-expected': 'a number > 0' },
      }),
    },
    ['name', 'duration'],
  ),
  request: obj(
    'A request template. Header values and body strings may hold placeholders: ' +
      TEMPLATE_PLACEHOLDERS.map((p) => '${' + p + '}').join(', ') +
      '.',
    {
      name: str('Name in reports. Default "<METHOD> <path>".'),
      method: { type: 'string', enum: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'], description: 'HTTP method.' },
      path: str('Request path (placeholders allowed).', { pattern: '^/', 'x-expected': 'a path starting with "/"' }),
      headers: ref('stringMap', 'Request headers.'),
      body: { description: 'Request body: sent as JSON (content-type application/json) unless it is a string.' },
    },
    ['method', 'path'],
  ),
  publish: obj(
    'Publish one message to the broker (a JetStream publish, judged by its PubAck, when a stream binds the subject; a core publish otherwise). Subject, header values and body strings may hold placeholders.',
    {
      subject: str('The subject, e.g. order.placed (dot-separated tokens, no wildcards; placeholders allowed).', { minLength: 1 }),
      headers: ref('stringMap', 'Message headers, e.g. { Nats-Msg-Id: "${uuid}" }.'),
      body: { description: 'Message data: sent as JSON unless it is a string; placeholders inside JSON strings are JSON-escaped.' },
    },
    ['subject'],
  ),
  await_event: obj(
    'Wait for the event that completes this workflow: the first message on subject whose JSON has match.equals at match.path. The subscription is opened before the run, so an event that arrives before the wait starts is not missed.',
    {
      subject: str('The subject subscribed to (* and > wildcards allowed, no placeholders), e.g. order.booked.', { minLength: 1 }),
      match: obj(
        'Which event is this workflow\'s.',
        {
          path: str('Where to look in the event\'s JSON, e.g. orderId.', { minLength: 1 }),
          equals: str('The value it must have (a template), e.g. "${uuid}".'),
        },
        ['path', 'equals'],
      ),
      timeout: ref('duration', "Give up (a timeout outcome) this long after the step started. Default: the workflow's timeout."),
    },
    ['subject', 'match'],
  ),
  step: obj(
    'One step of a workflow: a request (path), values to extract from its answer, and an optional poll condition (until); or an event step (publish, await_event) on a NATS broker. ' +
      'Path, header values and body strings may hold placeholders: ' +
      TEMPLATE_PLACEHOLDERS.map((p) => '${' + p + '}').join(', ') +
      ', and every name an earlier step extracts (${taskId}).',
    {
      name: str('Step name: unique in its workflow; budgets scope to it with {step=NAME}. Default "step<N>".', {
        pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]*$',
        'x-expected': 'a name made of letters, digits, ".", "_" and "-"',
      }),
      method: { type: 'string', enum: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'], description: 'HTTP method. Default GET, or POST with a body.' },
      path: str('Request path (placeholders allowed).', { pattern: '^/', 'x-expected': 'a path starting with "/"' }),
      headers: ref('stringMap', 'Request headers.'),
      body: { description: 'Request body: sent as JSON (content-type application/json) unless it is a string; placeholders inside JSON strings are JSON-escaped.' },
      extract: {
        type: 'object',
        description: 'Values to take from this step\'s JSON answer: name -> path, e.g. { taskId: result.id } (dot and bracket segments: result.items[0].id, result["a key"]).',
        additionalProperties: { type: 'string', minLength: 1, 'x-expected': 'a path such as result.id' },
      },
      until: obj(
        'Poll: resend this step until the value at path is one of in (compared as text).',
        {
          path: str('Where to look in the answer, e.g. result.status.state.', { minLength: 1 }),
          in: { type: 'array', description: 'The values that end the polling.', items: { type: ['string', 'number', 'boolean', 'null'] }, minItems: 1, 'x-expected': 'a non-empty list of values' },
        },
        ['path', 'in'],
      ),
      interval: ref('duration', 'Poll: wait between resends. Default "100ms".'),
      timeout: ref('duration', "Poll: give up (a timeout outcome) this long after the step started. Default: the workflow's timeout."),
      publish: ref('publish'),
      await_event: ref('await_event'),
      via: ref('name', 'Event steps: the agent that is the broker (the driver connects to its port directly, not through an edge). Default: load.nats, else the load target when it is a broker, else the one agent that nats edges lead to.'),
    },
  ),
  workflow: obj(
    'A named workflow: its steps run in order for each arrival that picks it.',
    {
      name: str('Workflow name: unique; budgets scope to it with {workflow=NAME}.', {
        pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]*$',
        'x-expected': 'a name made of letters, digits, ".", "_" and "-"',
      }),
      weight: { type: 'number', exclusiveMinimum: 0, default: 1, description: 'Share of arrivals: weight / sum of weights. Default 1.', 'x-expected': 'a number > 0' },
      steps: list('The steps, in order.', ref('step'), 1),
    },
    ['name', 'steps'],
  ),
  follow: obj('Protocol-aware following of answers (on by default).', {
    a2a: {
      description: 'A2A tasks left submitted/working are polled (tasks/get, GetTask) to a terminal state; false judges the first answer only.',
      anyOf: [
        { type: 'boolean', const: false },
        obj('How A2A tasks are followed.', {
          poll_interval: ref('duration', 'First wait between polls; doubled after each up to max_interval. Default "100ms".'),
          max_interval: ref('duration', 'Longest wait between polls. Default "1s".'),
          input_required: { type: 'string', enum: ['error', 'ok'], default: 'error', description: 'A task that stops in input-required is an error (default) or ok.' },
          auth_required: { type: 'string', enum: ['error', 'ok'], default: 'error', description: 'A task that stops in auth-required is an error (default) or ok.' },
        }),
      ],
      'x-expected': 'false or a map with poll_interval, max_interval, input_required, auth_required',
    },
  }),
  load: obj(
    'The traffic agentcheck drives at the entry agent.',
    {
      target: ref('name', 'The entry agent the requests go to.'),
      model: { type: 'string', enum: ['open', 'closed'], default: 'open', description: '"open": fixed arrival rate, latency from the intended start (default); "closed": N connections back to back.' },
      rate: { type: 'number', exclusiveMinimum: 0, default: 20, description: 'Requests per second (open model). Default 20.', 'x-expected': 'a number > 0' },
      connections: count('Connections (closed model) or the concurrency cap (open model). Default 10.'),
      generators: { type: 'integer', minimum: 1, maximum: 64, default: 1, description: 'Open model: generator processes sharing one seeded arrival schedule (arrival k goes to generator k mod N); histograms merged exactly. Default 1 (in the CLI process).', 'x-expected': 'an integer from 1 to 64' },
      duration: ref('duration', 'How long to drive load. Default: the sum of the phase durations.'),
      timeout: ref('duration', 'Per-request timeout; a timeout counts as an error at this latency. Default "2s".'),
      late_tolerance: ref('duration', 'Open model: an arrival sent later than this after its intended start is late. Default "50ms".'),
      max_late: { type: 'number', minimum: 0, maximum: 1, default: 0.05, description: 'Open model: more late arrivals than this share makes the run invalid (exit 4). Default 0.05.', 'x-expected': 'a number from 0 to 1' },
      workflow_timeout: ref('duration', 'A whole workflow, from its intended start to its terminal outcome; later is a timeout at this value. Default "30s".'),
      follow: ref('follow'),
      workflows: list('Workflows in a weighted mix: each arrival picks one (seeded) and runs its steps. Give workflows, requests, or both.', ref('workflow'), 1),
      requests: list('Request templates (the short form): each is a workflow of one step, weight 1.', ref('request'), 1),
      nats: str('Event steps: a broker that runs elsewhere, nats://host:port (a step\'s via wins).', { pattern: '^nats://[^/\\s]+:[0-9]+/?$', 'x-expected': 'a URL such as nats://127.0.0.1:4222' }),
    },
    ['target'],
  ),
  slo: {
    description: 'An SLO budget such as "p(99) < 300ms", or { budget, phases, name }.',
    anyOf: [
      { type: 'string', minLength: 1 },
      obj(
        'An SLO budget scoped to phases.',
        {
          budget: str('The budget expression, e.g. "p(99) < 300ms", "error_rate < 1%".', { minLength: 1 }),
          phases: list('Judge the budget only over these phases. Default: every phase.', ref('phaseRef'), 1),
          name: str('Name in reports. Default: the expression.', { minLength: 1 }),
        },
        ['budget'],
      ),
    ],
    'x-expected': 'a budget string or a map with budget, phases, name',
  },
  phaseRef: str('A phase name.', { minLength: 1 }),
  detectors: obj('Tuning of the detectors (docs/detectors.md); false turns one off.', {
    amplification: {
      description: 'Retry amplification per edge and phase: attempts per logical request. false turns it off.',
      oneOf: [{ const: false }, obj('Settings.', { limit: { type: 'number', minimum: 1, description: 'Largest factor that passes. Default 3.', 'x-expected': 'a number of at least 1' } })],
      'x-expected': 'false or { limit }',
    },
    loops: {
      description: 'Call cycles within one trace (fail) and step repetition (warn). false turns it off.',
      oneOf: [
        { const: false },
        obj('Settings.', {
          allow: list('Edges whose reverse call is expected (a callback), "from->to".', str('An edge "from->to".', { minLength: 1 })),
          repetition: { type: 'string', enum: ['warn', 'gate'], description: 'Step repetition warns (default) or fails the run.' },
          threshold: { type: 'integer', minimum: 2, description: 'Identical calls in one trace that count as repetition. Default 3.', 'x-expected': 'an integer of at least 2' },
        }),
      ],
      'x-expected': 'false or { allow, repetition, threshold }',
    },
    traces: {
      description: 'Trace continuity: share of outbound requests carrying the inbound trace id. false turns it off.',
      oneOf: [{ const: false }, obj('Settings.', { min_share: ratio('Smallest share that passes. Default 1.') })],
      'x-expected': 'false or { min_share }',
    },
    retry_after: { const: false, description: 'false turns off the Retry-After check (callers coming back sooner than told).', 'x-expected': 'false' },
    topology: {
      description: 'The topology check (undeclared calls, calls around an edge proxy). false turns it off; allow declares outside dependencies.',
      oneOf: [
        { const: false },
        obj('Settings.', {
          allow: list(
            'Outside dependencies agents may call (an LLM API, a registry, a database): forwarded by the forward proxy and not findings.',
            {
              description: 'host[:port], *.domain[:port], IP or CIDR[:port] (IPv6 in brackets before a port), or { from, to } for one caller.',
              anyOf: [
                str('A target for every agent, e.g. "api.openai.com:443", "*.example.com", "10.0.0.0/8:5432", "[::1]:8080".', { minLength: 1 }),
                obj('A target for one caller.', { from: ref('name', 'The agent allowed to call it.'), to: str('The target, as in the string form.', { minLength: 1 }) }, ['from', 'to']),
              ],
              'x-expected': 'a target string or { from, to }',
            },
          ),
        }),
      ],
      'x-expected': 'false or { allow }',
    },
  }),
  invariant: obj(
    'A check after the run (or after each phase). Exactly one of http, command, exactly_once.',
    {
      name: str('Name in reports.', { minLength: 1 }),
      http: obj(
        'GET a path on an agent; passes when it answers JSON { "ok": true, "details": … }.',
        { agent: ref('name', 'The agent to probe.'), path: str('The path.', { pattern: '^/', 'x-expected': 'a path starting with "/"' }) },
        ['agent', 'path'],
      ),
      command: ref('command', "Passes when the command exits 0; runs in the scenario file's folder."),
      exactly_once: obj(
        "Each key the load submitted has exactly one effect in the agent's effect list (lost, duplicated and unexpected effects fail).",
        {
          effects: obj(
            'Where to read effects: GET path on agent returning { effects: [ { <key>: … } ] } or a list.',
            {
              agent: ref('name', 'The agent that records effects.'),
              path: str('The path.', { pattern: '^/', 'x-expected': 'a path starting with "/"' }),
              list: str('Dot path to the list of effects in the answer, e.g. "data.charges". Default: the answer itself, or its only array property.', { minLength: 1 }),
            },
            ['agent', 'path'],
          ),
          key: str('Dot path of the key in each effect, e.g. "orderId"; without join, also the request body field the submitted keys come from.', { minLength: 1 }),
          join: str('Join on this value the workflow extracted (a name under a step\'s extract, e.g. "taskId") instead of a request body field.', { minLength: 1 }),
        },
        ['effects', 'key'],
      ),
      after: { type: 'string', enum: ['end', 'each-phase'], default: 'end', description: 'When to check. Default "end".' },
      during: { type: 'string', enum: ['each-phase'], description: 'Also sample the check while each phase (and its faults) is active. Not for exactly_once.' },
      interval: ref('duration', 'Sampling interval with during. Default "1s".'),
    },
    ['name'],
  ),
};

/** The scenario JSON Schema, with `x-expected` hints (see `json-schema.ts` for the exported form). */
export const scenarioSchema: SchemaNode = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'https://agentcheck.dev/schema/scenario.schema.json',
  title: 'agentcheck scenario',
  ...obj(
    'A team of agents, the edges between them, a timeline of fault phases, the load, SLO budgets and invariants. See docs/scenario.md.',
    {
      $schema: str('JSON Schema reference for editors; ignored.'),
      name: str('Scenario name, used in reports.', { minLength: 1 }),
      description: str('What the scenario shows.'),
      seed: {
        description: "Seed of the run's random decisions. Default: random, printed in the report so a run can be replayed.",
        anyOf: [{ type: 'integer', minimum: 0 }, { type: 'string', minLength: 1 }],
        'x-expected': 'an integer ≥ 0 or a non-empty string',
      },
      warmup: ref('duration', 'Load before the first phase; its results are discarded. Default 0.'),
      chaos: obj(
        'The fault proxy. Default: the embedded agentcheck proxy.',
        {
          backend: { type: 'string', enum: ['embedded', 'toxiproxy'], description: '"embedded" (agentcheck, message-level faults) or "toxiproxy" (TCP toxics only).' },
          url: str('Toxiproxy API URL (process runtime), e.g. http://127.0.0.1:8474.', {
            pattern: '^https?://',
            'x-expected': 'an http:// or https:// URL',
          }),
          image: str('Proxy image (containers runtime).', { minLength: 1 }),
        },
        ['backend'],
      ),
      runtime: { type: 'string', enum: ['process', 'containers'], default: 'process', description: 'Where agents run. Default "process".' },
      agents: list('The agents of the team.', ref('agent'), 1),
      edges: list('Caller -> callee connections; each gets a proxy.', ref('edge')),
      phases: list('The timeline, in order.', ref('phase'), 1),
      load: ref('load'),
      slo: list('SLO budgets.', ref('slo')),
      invariants: list('Checks on the system after the run.', ref('invariant')),
      detectors: ref('detectors', 'Detectors of the traffic the proxies saw: retry amplification, loops, trace continuity, topology. All on by default.'),
    },
    ['name', 'agents', 'edges', 'phases'],
    { 'x-expected': 'a map with name, agents, edges, phases' },
  ),
  $defs: defs,
};
