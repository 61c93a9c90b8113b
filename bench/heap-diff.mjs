// Compares two V8 heap snapshots (e.g. the ones `bench/evidence-memory.mjs --heap-snapshots DIR`
// writes at minute 1 and at the end): which kinds of objects grew, and who holds them.
//
//   node --max-old-space-size=8192 bench/heap-diff.mjs first.heapsnapshot last.heapsnapshot [--top 25] [--retainers 8]
//
// Prints, per node kind (`type:constructor-or-name`), the count and self size in each snapshot and
// the growth, biggest growth first; then, for the kinds that grew most, what holds the objects of
// that kind in the second snapshot (retainer kind and edge name, counted over the objects), which
// names the structure that keeps them alive.
import { readFileSync } from 'node:fs';

const files = process.argv.slice(2).filter((a, i, all) => !a.startsWith('--') && !all[i - 1]?.startsWith('--'));
const opt = (name, def) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const top = opt('top', 25);
const retainerKinds = opt('retainers', 8);
if (files.length !== 2) {
  console.error('usage: node bench/heap-diff.mjs first.heapsnapshot last.heapsnapshot [--top 25] [--retainers 8]');
  process.exit(2);
}

/** Reads a snapshot into flat arrays plus a kind label per node. */
function load(file) {
  const snap = JSON.parse(readFileSync(file, 'utf8'));
  const meta = snap.snapshot.meta;
  const nf = meta.node_fields.length;
  const ef = meta.edge_fields.length;
  const types = meta.node_types[0];
  const edgeTypes = meta.edge_types[0];
  const at = (fields, name) => fields.indexOf(name);
  const [nType, nName, nSize, nEdges] = ['type', 'name', 'self_size', 'edge_count'].map((n) => at(meta.node_fields, n));
  const [eType, eName, eTo] = ['type', 'name_or_index', 'to_node'].map((n) => at(meta.edge_fields, n));
  const { nodes, edges, strings } = snap;
  const count = nodes.length / nf;
  const kind = new Array(count);
  for (let i = 0; i < count; i++) {
    const type = types[nodes[i * nf + nType]];
    // Strings, numbers and code are grouped by type alone: their names are their contents.
    kind[i] = type === 'object' || type === 'closure' || type === 'native' ? `${type}:${strings[nodes[i * nf + nName]]}` : type;
  }
  return { nodes, edges, strings, nf, ef, types, edgeTypes, nType, nName, nSize, nEdges, eType, eName, eTo, count, kind };
}

function totals(s) {
  const byKind = new Map();
  for (let i = 0; i < s.count; i++) {
    const t = byKind.get(s.kind[i]) ?? { n: 0, size: 0 };
    t.n++;
    t.size += s.nodes[i * s.nf + s.nSize];
    byKind.set(s.kind[i], t);
  }
  return byKind;
}

const MB = 1024 * 1024;
const a = load(files[0]);
const ta = totals(a);
const b = load(files[1]);
const tb = totals(b);
const rows = [...new Set([...ta.keys(), ...tb.keys()])].map((k) => {
  const x = ta.get(k) ?? { n: 0, size: 0 };
  const y = tb.get(k) ?? { n: 0, size: 0 };
  return { k, n0: x.n, n1: y.n, s0: x.size, s1: y.size, dn: y.n - x.n, ds: y.size - x.size };
});
rows.sort((p, q) => q.ds - p.ds);
const sum = (t) => [...t.values()].reduce((n, v) => n + v.size, 0);
console.log(`self size: ${(sum(ta) / MB).toFixed(1)} MB (${a.count} nodes) -> ${(sum(tb) / MB).toFixed(1)} MB (${b.count} nodes)`);
console.log('growth MB  count0 -> count1   kind');
for (const r of rows.slice(0, top)) console.log(`${(r.ds / MB).toFixed(2).padStart(9)}  ${String(r.n0).padStart(8)} -> ${String(r.n1).padEnd(8)}  ${r.k}`);

// Retainers of the kinds that grew most, in the second snapshot.
const wanted = new Set(rows.slice(0, retainerKinds).filter((r) => r.dn > 0).map((r) => r.k));
const held = new Map([...wanted].map((k) => [k, new Map()]));
let edge = 0;
for (let i = 0; i < b.count; i++) {
  const n = b.nodes[i * b.nf + b.nEdges];
  for (let j = 0; j < n; j++, edge++) {
    const base = edge * b.ef;
    const to = b.edges[base + b.eTo] / b.nf;
    const into = held.get(b.kind[to]);
    if (!into) continue;
    const et = b.edgeTypes[b.edges[base + b.eType]];
    if (et === 'weak') continue;
    const nameOrIndex = b.edges[base + b.eName];
    const label = et === 'element' || et === 'hidden' ? `[${et}]` : b.strings[nameOrIndex];
    const key = `${b.kind[i]} .${label}`;
    into.set(key, (into.get(key) ?? 0) + 1);
  }
}
for (const [k, m] of held) {
  console.log(`\nheld ${k} (top retainers in the second snapshot):`);
  for (const [r, n] of [...m].sort((p, q) => q[1] - p[1]).slice(0, 8)) console.log(`  ${String(n).padStart(8)}  ${r}`);
}

// The largest arrays of the second snapshot (by element count), each with a retainer chain: the
// field that holds a growing list, and what holds that.
const first = new Uint32Array(b.count + 1);
for (let i = 0, e = 0; i < b.count; i++) {
  first[i] = e;
  e += b.nodes[i * b.nf + b.nEdges];
}
first[b.count] = b.edges.length / b.ef;
const retainer = new Int32Array(b.count).fill(-1);
const retainerEdge = new Int32Array(b.count).fill(-1);
for (let i = 0; i < b.count; i++) {
  for (let e = first[i]; e < first[i + 1]; e++) {
    const base = e * b.ef;
    const et = b.edgeTypes[b.edges[base + b.eType]];
    if (et === 'weak' || et === 'shortcut') continue;
    const to = b.edges[base + b.eTo] / b.nf;
    // The first strong retainer that is not the array's own backing store or a map.
    if (retainer[to] === -1 && b.kind[i] !== 'hidden') {
      retainer[to] = i;
      retainerEdge[to] = e;
    }
  }
}
const chainOf = (i, depth = 8) => {
  const chain = [];
  for (let at = i, d = 0; d < depth && retainer[at] !== -1; d++) {
    const e = retainerEdge[at];
    const et = b.edgeTypes[b.edges[e * b.ef + b.eType]];
    const label = et === 'element' || et === 'hidden' ? `[${b.edges[e * b.ef + b.eName]}]` : b.strings[b.edges[e * b.ef + b.eName]];
    at = retainer[at];
    chain.push(`${b.kind[at]}.${label}`);
  }
  return chain.join(' <- ');
};
const biggest = [];
for (let i = 0; i < b.count; i++) {
  if (b.kind[i] !== 'array') continue;
  biggest.push([i, first[i + 1] - first[i], b.nodes[i * b.nf + b.nSize]]);
}
for (const [by, col] of [['elements', 1], ['self size (bytes)', 2]]) {
  biggest.sort((p, q) => q[col] - p[col]);
  console.log(`\nlargest arrays in the second snapshot by ${by}, with a retainer chain:`);
  for (const row of biggest.slice(0, opt('biggest', 6))) console.log(`  ${String(row[col]).padStart(9)}  <- ${chainOf(row[0])}`);
}

// Ropes and other self-similar chains: nodes of a growing kind whose retainer is of another kind,
// grouped by retainer chain (who holds the head of each chain).
for (const k of ['concatenated string', 'sliced string', 'string']) {
  const heads = new Map();
  for (let i = 0; i < b.count; i++) {
    if (b.kind[i] !== k || retainer[i] === -1 || b.kind[retainer[i]] === k) continue;
    const c = chainOf(i, 5);
    heads.set(c, (heads.get(c) ?? 0) + 1);
  }
  console.log(`\n${k}: who holds them (first retainer of another kind, top 8 chains):`);
  for (const [c, n] of [...heads].sort((p, q) => q[1] - p[1]).slice(0, 8)) console.log(`  ${String(n).padStart(8)}  <- ${c}`);
}
