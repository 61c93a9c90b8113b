/**
 * Malformed scenario files and the exact lines `agentcheck scenario validate` must print for
 * them (file `bad.yaml`). Lines 1–11 of {@link base} are a valid scenario; `extra` starts on line 12.
 */
import { parseScenarioText, ScenarioValidationError } from '../../src/scenario/load.js';

/** A valid two-agent scenario followed by `extra` (which starts on line 12). */
export const base = (extra = ''): string => `name: t
agents:
  - name: a
    command: node a.js
  - name: b
    command: node b.js
edges:
  - { from: a, to: b, env: B_URL }
phases:
  - name: p1
    duration: 1s
${extra}`;

/** The `FILE:LINE:COL: …` lines validation prints for `yaml` as file `bad.yaml` (none when it is valid). */
export function errorsOf(yaml: string): string[] {
  try {
    parseScenarioText(yaml, { file: 'bad.yaml', baseDir: '/tmp' });
  } catch (err) {
    if (err instanceof ScenarioValidationError) return err.issues.map((i) => i.text);
    throw err;
  }
  return [];
}

/** One malformed file and what validation must say about it. */
export interface MalformedCase {
  name: string;
  yaml: string;
  errors: string[];
}


/** A scenario whose agents section is `a` then `b` (default: a valid agent b), starting on line 3. */
const agents2 = (a: string, b = '  - name: b\n    command: node b.js\n'): string =>
  `name: t\nagents:\n${a}${b}edges:\n  - { from: a, to: b, env: B_URL }\nphases:\n  - { name: p1, duration: 1s }\n`;

export const malformedCases: MalformedCase[] = [
  {
    name: 'yaml: unclosed flow sequence',
    yaml: 'name: t\nagents: [a, b\nedges: []\n',
    errors: [
      "bad.yaml:3:1: Flow sequence in block collection must be sufficiently indented and end with a ], expected valid YAML",
    ],
  },
  {
    name: 'yaml: duplicate key',
    yaml: base('name: again\n'),
    errors: [
      "bad.yaml:12:1: name: duplicate key \"name\" (first at 1:1), expected each key once",
    ],
  },
  {
    name: 'yaml: tab indentation',
    yaml: 'name: t\nagents:\n\t- name: a\n',
    errors: [
      "bad.yaml:3:1: Tabs are not allowed as indentation, expected valid YAML",
    ],
  },
  {
    name: 'yaml: a map used as a key',
    yaml: base('? { a: 1 }\n: x\n'),
    errors: [
      'bad.yaml:12:3: got a list or map as a key, expected a plain name',
    ],
  },
  {
    name: 'empty document',
    yaml: '# nothing here\n',
    errors: [
      "bad.yaml:1:1: (root): got an empty document, expected a map with name, agents, edges, phases",
    ],
  },
  {
    name: 'root is a list',
    yaml: '- name: t\n',
    errors: [
      "bad.yaml:1:1: (root): got a list, expected a map with name, agents, edges, phases",
    ],
  },
  {
    name: 'missing required top-level field',
    yaml: base().replace('name: t\n', ''),
    errors: [
      "bad.yaml:1:1: name: missing required field, expected a string",
    ],
  },
  {
    name: 'unknown top-level field with suggestion',
    yaml: base('phase: []\n'),
    errors: [
      "bad.yaml:12:1: phase: unknown field (did you mean \"phases\"?), expected one of: $schema, name, description, seed, warmup, chaos, runtime, agents, edges, phases, load, slo, invariants, detectors",
    ],
  },
  {
    name: 'agents is an empty list',
    yaml: 'name: t\nagents: []\nedges: []\nphases: [{ name: p1, duration: 1s }]\n',
    errors: [
      "bad.yaml:2:9: agents: got an empty list, expected at least 1 item",
    ],
  },
  {
    name: 'agent name not a name',
    yaml: agents2('  - name: 1st\n    command: node a.js\n'),
    errors: [
      "bad.yaml:3:11: agents[0].name: got \"1st\", expected a name made of letters, digits, \"_\" and \"-\", starting with a letter",
      "bad.yaml:8:13: edges[0].from: unknown agent \"a\", expected one of: 1st, b",
    ],
  },
  {
    name: 'duplicate agent names',
    yaml: agents2('  - name: a\n    command: node a.js\n', '  - name: a\n    command: node b.js\n  - name: b\n    command: node b.js\n'),
    errors: [
      "bad.yaml:5:11: agents[1].name: duplicate agent name \"a\" (also agents[0]), expected unique names",
    ],
  },
  {
    name: 'process agent without command',
    yaml: agents2('  - name: a\n    port: 8080\n'),
    errors: [
      "bad.yaml:3:5: agents[0].command: missing, expected a command: the process runtime starts each agent with one",
    ],
  },
  {
    name: 'containers agent without image or build',
    yaml: 'runtime: containers\n' + agents2('  - name: a\n    image: a:1\n', '  - name: b\n    env: { X: "1" }\n'),
    errors: [
      "bad.yaml:6:5: agents[1].image: missing, expected image or build: the containers runtime needs one",
    ],
  },
  {
    name: 'image and build both',
    yaml: 'runtime: containers\n' + agents2('  - name: a\n    image: a:1\n    build: { context: ./a }\n', '  - name: b\n    image: b:1\n'),
    errors: [
      "bad.yaml:6:5: agents[0].build: got both image and build, expected only one of them",
    ],
  },
  {
    name: 'command with an unclosed quote',
    yaml: agents2('  - name: a\n    command: node "a.js\n'),
    errors: [
      "bad.yaml:4:14: agents[0].command: got an unclosed quote or a trailing backslash, expected a complete command line",
    ],
  },
  {
    name: 'command as an empty list',
    yaml: agents2('  - name: a\n    command: []\n'),
    errors: [
      "bad.yaml:4:14: agents[0].command: got a list, expected a command string or a non-empty list of strings",
    ],
  },
  {
    name: 'port out of range',
    yaml: agents2('  - name: a\n    command: node a.js\n    port: 70000\n'),
    errors: [
      "bad.yaml:5:11: agents[0].port: got 70000, expected a port number from 1 to 65535 or \"auto\"",
    ],
  },
  {
    name: 'port as a word',
    yaml: agents2('  - name: a\n    command: node a.js\n    port: any\n'),
    errors: [
      "bad.yaml:5:11: agents[0].port: got \"any\", expected a port number from 1 to 65535 or \"auto\"",
    ],
  },
  {
    name: 'same fixed port twice',
    yaml: agents2('  - name: a\n    command: node a.js\n    port: 8080\n', '  - name: b\n    command: node b.js\n    port: 8080\n'),
    errors: [
      "bad.yaml:8:11: agents[1].port: duplicate port 8080 (also agents[0]), expected a distinct port or \"auto\"",
    ],
  },
  {
    name: 'readiness path without slash',
    yaml: agents2('  - name: a\n    command: node a.js\n    readiness: { http: healthz }\n'),
    errors: [
      "bad.yaml:5:24: agents[0].readiness.http: got \"healthz\", expected a path starting with \"/\"",
    ],
  },
  {
    name: 'readiness http and tcp',
    yaml: agents2('  - name: a\n    command: node a.js\n    readiness: { http: /healthz, tcp: true }\n'),
    errors: [
      "bad.yaml:5:34: agents[0].readiness.tcp: got both http and tcp, expected only one of them",
    ],
  },
  {
    name: 'readiness tcp false',
    yaml: agents2('  - name: a\n    command: node a.js\n    readiness: { tcp: false }\n'),
    errors: [
      "bad.yaml:5:23: agents[0].readiness.tcp: got false, expected true",
    ],
  },
  {
    name: 'env value is a list',
    yaml: agents2('  - name: a\n    command: node a.js\n    env: { MODE: [x] }\n'),
    errors: [
      "bad.yaml:5:18: agents[0].env.MODE: got a list, expected a string, number or boolean",
    ],
  },
  {
    name: 'agent field typo',
    yaml: agents2('  - name: a\n    comand: node a.js\n'),
    errors: [
      "bad.yaml:3:5: agents[0].command: missing, expected a command: the process runtime starts each agent with one",
      "bad.yaml:4:5: agents[0].comand: unknown field (did you mean \"command\"?), expected one of: name, url, command, cwd, env, image, build, port, readiness",
    ],
  },
  {
    name: 'bad duration string',
    yaml: base('warmup: 5 minutes\n'),
    errors: [
      "bad.yaml:12:9: warmup: got \"5 minutes\", expected a duration such as \"500ms\", \"2s\", \"1m30s\" or a number of milliseconds",
    ],
  },
  {
    name: 'negative duration',
    yaml: base().replace('duration: 1s', 'duration: -1'),
    errors: [
      "bad.yaml:11:15: phases[0].duration: got -1, expected a duration such as \"500ms\", \"2s\", \"1m30s\" or a number of milliseconds",
    ],
  },
  {
    name: 'zero phase duration',
    yaml: base().replace('duration: 1s', 'duration: 0s'),
    errors: [
      "bad.yaml:11:15: phases[0].duration: got 0, expected a duration > 0",
    ],
  },
  {
    name: 'phase without duration',
    yaml: base().replace('    duration: 1s\n', ''),
    errors: [
      "bad.yaml:10:5: phases[0].duration: missing required field, expected a duration such as \"500ms\", \"2s\", \"1m30s\" or a number of milliseconds",
    ],
  },
  {
    name: 'duplicate phase names',
    yaml: base('  - name: p1\n    duration: 2s\n'),
    errors: [
      "bad.yaml:12:11: phases[1].name: duplicate phase name \"p1\" (also phases[0]), expected unique names",
    ],
  },
  {
    name: 'edge to an unknown agent',
    yaml: base().replace('to: b,', 'to: bb,'),
    errors: [
      "bad.yaml:8:20: edges[0].to: unknown agent \"bb\", expected one of: a, b",
    ],
  },
  {
    name: 'edge env not a variable name',
    yaml: base().replace('B_URL', 'b-url'),
    errors: [
      "bad.yaml:8:28: edges[0].env: got \"b-url\", expected an environment variable name such as PAYMENTS_URL",
    ],
  },
  {
    name: 'edge protocol unknown',
    yaml: base().replace('env: B_URL }', 'env: B_URL, protocol: grpc }'),
    errors: [
      "bad.yaml:8:45: edges[0].protocol: got \"grpc\", expected one of: http, tcp, nats",
    ],
  },
  {
    name: 'duplicate edge',
    yaml: base().replace('edges:\n', 'edges:\n  - { from: a, to: b, env: B2_URL }\n'),
    errors: [
      "bad.yaml:9:5: edges[1]: duplicate edge \"a->b\" (also edges[0]), expected one edge per caller and callee",
    ],
  },
  {
    name: 'edge to itself',
    yaml: base().replace('to: b,', 'to: a,'),
    errors: [
      "bad.yaml:8:20: edges[0].to: got \"a\" calling itself, expected an edge between two different agents",
    ],
  },
  {
    name: 'fault edge not from->to',
    yaml: base('    faults: [{ edge: a-b, type: latency }]\n'),
    errors: [
      "bad.yaml:12:22: phases[0].faults[0].edge: got \"a-b\", expected an edge written \"from->to\", e.g. \"planner->payments\"",
    ],
  },
  {
    name: 'fault edge unknown',
    yaml: base('    faults: [{ edge: b->a, type: latency }]\n'),
    errors: [
      "bad.yaml:12:22: phases[0].faults[0].edge: unknown edge \"b->a\", expected one of: a->b",
    ],
  },
  {
    name: 'unknown toxic type',
    yaml: base('    faults: [{ edge: a->b, type: latancy }]\n'),
    errors: [
      "bad.yaml:12:34: phases[0].faults[0].type: unknown toxic type \"latancy\" (did you mean \"latency\"?), expected one of: latency, bandwidth, slow_close, timeout, reset_peer, slicer, limit_data, noop, drop, duplicate, http_error, commit_then_drop, http_latency, stream_cut, delay, reorder, drop_ack",
    ],
  },
  {
    name: 'message toxic on a tcp edge',
    yaml: base('    faults: [{ edge: a->b, type: duplicate }]\n').replace('env: B_URL }', 'env: B_URL, protocol: tcp }'),
    errors: [
      "bad.yaml:12:34: phases[0].faults[0].type: \"duplicate\" is a message-level toxic but edge \"a->b\" is tcp, expected a TCP toxic (latency, bandwidth, slow_close, timeout, reset_peer, slicer, limit_data, noop) or protocol: http on the edge",
    ],
  },
  {
    name: 'message toxic on real toxiproxy',
    yaml: base('    faults: [{ edge: a->b, type: http_error }]\nchaos: { backend: toxiproxy, url: "http://127.0.0.1:8474" }\n'),
    errors: [
      "bad.yaml:12:34: phases[0].faults[0].type: \"http_error\" is a message-level toxic that Toxiproxy does not serve, expected a TCP toxic (latency, bandwidth, slow_close, timeout, reset_peer, slicer, limit_data, noop) or chaos.backend: embedded",
    ],
  },
  {
    name: 'probability on a tcp toxic',
    yaml: base('    faults: [{ edge: a->b, type: latency, probability: 0.5 }]\n'),
    errors: [
      "bad.yaml:12:43: phases[0].faults[0].probability: \"probability\" applies to message-level toxics only, expected it with one of: drop, duplicate, http_error, commit_then_drop, http_latency, stream_cut, delay, reorder, drop_ack",
    ],
  },
  {
    name: 'toxicity above 1',
    yaml: base('    faults: [{ edge: a->b, type: latency, toxicity: 1.5 }]\n'),
    errors: [
      "bad.yaml:12:53: phases[0].faults[0].toxicity: got 1.5, expected a number from 0 to 1",
    ],
  },
  {
    name: 'first and every together',
    yaml: base('    faults: [{ edge: a->b, type: drop, first: 3, every: 2 }]\n'),
    errors: [
      "bad.yaml:12:50: phases[0].faults[0].every: got both first and every, expected only one of them",
    ],
  },
  {
    name: 'fault field typo',
    yaml: base('    faults: [{ edge: a->b, type: drop, probabilty: 0.5 }]\n'),
    errors: [
      "bad.yaml:12:40: phases[0].faults[0].probabilty: unknown field (did you mean \"probability\"?), expected one of: edge, type, name, stream, toxicity, attributes, match, probability, first, every",
    ],
  },
  {
    name: 'unknown toxic attribute',
    yaml: base('    faults: [{ edge: a->b, type: latency, attributes: { latancy: 100 } }]\n'),
    errors: [
      'bad.yaml:12:57: phases[0].faults[0].attributes.latancy: unknown attribute of "latency" (did you mean "latency"?), expected one of: latency, jitter',
    ],
  },
  {
    name: 'toxic attribute of the wrong type',
    yaml: base('    faults: [{ edge: a->b, type: latency, attributes: { latency: 100ms } }]\n'),
    errors: [
      'bad.yaml:12:66: phases[0].faults[0].attributes.latency: got "100ms", expected an integer',
    ],
  },
  {
    name: 'probability and toxicity together',
    yaml: base('    faults: [{ edge: a->b, type: drop, probability: 0.5, toxicity: 0.5 }]\n'),
    errors: [
      'bad.yaml:12:40: phases[0].faults[0].probability: got both probability and toxicity, expected only one of them (a message-level toxic fires per request with probability = toxicity)',
    ],
  },
  {
    name: 'load target unknown',
    yaml: base('load:\n  target: c\n  requests: [{ method: GET, path: / }]\n'),
    errors: [
      "bad.yaml:13:11: load.target: unknown agent \"c\", expected one of: a, b",
    ],
  },
  {
    name: 'load without requests',
    yaml: base('load:\n  target: a\n  requests: []\n'),
    errors: [
      "bad.yaml:14:13: load.requests: got an empty list, expected at least 1 item",
    ],
  },
  {
    name: 'request method lowercase',
    yaml: base('load:\n  target: a\n  requests: [{ method: post, path: /orders }]\n'),
    errors: [
      "bad.yaml:14:24: load.requests[0].method: got \"post\" (did you mean \"POST\"?), expected one of: GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS",
    ],
  },
  {
    name: 'unknown placeholder',
    yaml: base('load:\n  target: a\n  requests:\n    - method: POST\n      path: /orders\n      body: { id: "${uid}" }\n'),
    errors: [
      "bad.yaml:17:19: load.requests[0].body.id: unknown placeholder \"${uid}\" (did you mean \"${uuid}\"?), expected one of: ${uuid}, ${seq}, ${phase}, ${workflow}",
    ],
  },
  {
    name: 'late share above 1',
    yaml: base('load:\n  target: a\n  max_late: 5\n  requests: [{ method: GET, path: / }]\n'),
    errors: [
      "bad.yaml:14:13: load.max_late: got 5, expected a number from 0 to 1",
    ],
  },
  {
    name: 'rate zero',
    yaml: base('load:\n  target: a\n  rate: 0\n  requests: [{ method: GET, path: / }]\n'),
    errors: [
      "bad.yaml:14:9: load.rate: got 0, expected a number > 0",
    ],
  },
  {
    name: 'phase load override without load',
    yaml: base('    load: { rate: 5 }\n'),
    errors: [
      "bad.yaml:12:5: phases[0].load: got a load override but the scenario has no load section, expected a top-level load",
    ],
  },
  {
    name: 'slo phase unknown',
    yaml: base('slo:\n  - { budget: "p(99) < 300ms", phases: [p2] }\n'),
    errors: [
      "bad.yaml:13:41: slo[0].phases[0]: unknown phase \"p2\", expected one of: p1",
    ],
  },
  {
    name: 'slo not a string',
    yaml: base('slo:\n  - 300\n'),
    errors: [
      "bad.yaml:13:5: slo[0]: got 300, expected a budget string or a map with budget, phases, name",
    ],
  },
  {
    name: 'budget: unknown statistic',
    yaml: base('slo:\n  - median < 2s\n'),
    errors: [
      "bad.yaml:13:5: slo[0]: cannot read budget: unknown statistic 'median', expected [metric[{phase=NAME,…}]] STAT[{workflow=NAME}] OP AMOUNT, e.g. `p(99) < 300ms`, `http.latency{phase=baseline} p(95) <= 1s`, `p(99){workflow=order} < 2s`, `error_rate < 1%`, `throughput >= 200/s`; statistics: p(N), avg, min, max, error_rate, throughput; operators: <, <=, >, >=; units: us, ms, s, %, /s, /m",
    ],
  },
  {
    name: 'budget: latency without unit',
    yaml: base('slo:\n  - "p(99) < 300"\n'),
    errors: [
      "bad.yaml:13:14: slo[0]: invalid budget: a latency needs a unit, expected units for latency: us, ms, s (e.g. 300ms, 1.5s)",
    ],
  },
  {
    name: 'budget: unknown edge',
    yaml: base('slo:\n  - { budget: "edge.b->a.latency avg < 50ms" }\n'),
    errors: [
      "bad.yaml:13:16: slo[0].budget: invalid budget: unknown edge 'b->a' (edges: a->b); did you mean 'edge.a->b.latency'?, expected valid metrics: http.latency, http.error_rate, http.throughput, workflow.latency, workflow.error_rate, workflow.throughput, edge.a->b.latency, edge.a->b.error_rate, edge.a->b.throughput",
    ],
  },
  {
    name: 'budget: unknown phase in scope',
    yaml: base('slo:\n  - http.latency{phase=p2} p(95) < 1s\n'),
    errors: [
      "bad.yaml:13:17: slo[0]: invalid budget: unknown phase 'p2'; did you mean 'p1'?, expected phases: p1",
    ],
  },
  {
    name: 'invariant with no check',
    yaml: base('invariants:\n  - name: x\n'),
    errors: [
      "bad.yaml:13:5: invariants[0]: got no check, expected one of: http, command, exactly_once",
    ],
  },
  {
    name: 'invariant with two checks',
    yaml: base('invariants:\n  - name: x\n    http: { agent: a, path: /invariants }\n    command: ./check.sh\n'),
    errors: [
      "bad.yaml:15:5: invariants[0].command: got http and command, expected exactly one of: http, command, exactly_once",
    ],
  },
  {
    name: 'exactly_once without load',
    yaml: base('invariants:\n  - name: x\n    exactly_once: { effects: { agent: b, path: /ledger }, key: orderId }\n'),
    errors: [
      "bad.yaml:14:5: invariants[0].exactly_once: exactly_once checks the keys the load submitted, expected a top-level load section",
    ],
  },
  {
    name: 'invariant agent unknown',
    yaml: base('invariants:\n  - name: x\n    http: { agent: payments, path: /invariants }\n'),
    errors: [
      "bad.yaml:14:20: invariants[0].http.agent: unknown agent \"payments\", expected one of: a, b",
    ],
  },
  {
    name: 'chaos url with embedded backend',
    yaml: base('chaos: { backend: embedded, url: "http://127.0.0.1:8474" }\n'),
    errors: [
      "bad.yaml:12:29: chaos.url: url applies to the toxiproxy backend only, expected backend: toxiproxy or no url",
    ],
  },
  {
    name: 'chaos backend unknown',
    yaml: base('chaos: { backend: toxyproxy }\n'),
    errors: [
      "bad.yaml:12:19: chaos.backend: got \"toxyproxy\" (did you mean \"toxiproxy\"?), expected one of: embedded, toxiproxy",
    ],
  },
  {
    name: 'seed negative',
    yaml: base('seed: -3\n'),
    errors: [
      "bad.yaml:12:7: seed: got -3, expected an integer ≥ 0 or a non-empty string",
    ],
  },
  {
    name: 'runtime unknown',
    yaml: base('runtime: docker\n'),
    errors: [
      "bad.yaml:12:10: runtime: got \"docker\", expected one of: process, containers",
    ],
  },
  {
    name: 'several errors, sorted by position',
    yaml: base('invariants:\n  - name: x\nseed: 1.5\n').replace('to: b,', 'to: c,'),
    errors: [
      "bad.yaml:8:20: edges[0].to: unknown agent \"c\", expected one of: a, b",
      "bad.yaml:13:5: invariants[0]: got no check, expected one of: http, command, exactly_once",
      "bad.yaml:14:7: seed: got 1.5, expected an integer ≥ 0 or a non-empty string",
    ],
  },
  {
    name: 'json file with a wrong type',
    yaml: '{\n  "name": "t",\n  "agents": [{ "name": "a", "command": "node a.js" }],\n  "edges": [],\n  "phases": [{ "name": "p1", "duration": true }]\n}\n',
    errors: [
      "bad.yaml:5:42: phases[0].duration: got true, expected a duration such as \"500ms\", \"2s\", \"1m30s\" or a number of milliseconds",
    ],
  },
];
