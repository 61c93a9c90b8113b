// How long `scenario validate` takes on one very large map, against the yaml library's plain
// parse of the same text, in one process run. The file is the reference scenario with an agent
// env of KEYS entries (400,000 keys: about 6.7 MB). Before the linear-time validator (the yaml
// library's uniqueKeys check is quadratic in one map's size) 20,000 keys took 29 s and this file
// did not finish in 5 minutes.
//   node bench/validate.mjs [KEYS]    (build first: npx tsc -p tsconfig.build.json)
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { parse } from 'yaml';
import { loadScenarioFile } from '../dist/index.js';

const keys = Number(process.argv[2] ?? 400_000);
const base = readFileSync(new URL('../scenarios/order-fulfilment.yaml', import.meta.url), 'utf8');
const anchor = '    command: node team/intake.mjs\n';
if (!base.includes(anchor)) throw new Error('bench: the reference scenario changed; update the anchor line');
const env = Array.from({ length: keys }, (_, i) => `      K${i}: ${i % 10}\n`).join('');
const text = base.replace(anchor, `${anchor}    env:\n${env}`);
const dir = mkdtempSync(path.join(tmpdir(), 'agentcheck-bench-validate-'));
const file = path.join(dir, 'large.yaml');
writeFileSync(file, text);

// Each side starts from a collected heap, so neither pays for the other's garbage.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc');

function time(label, fn) {
  gc();
  const start = process.hrtime.bigint();
  const out = fn();
  return Promise.resolve(out).then(() => {
    const s = Number(process.hrtime.bigint() - start) / 1e9;
    console.log(`${label.padEnd(38)} ${s.toFixed(2).padStart(7)} s`);
    return s;
  });
}

try {
  console.log(`file: ${(text.length / 1e6).toFixed(1)} MB, ${keys} keys in one map`);
  const plain = await time('yaml.parse (the other side)', () => parse(text, { uniqueKeys: false }));
  const validate = await time('loadScenarioFile (scenario validate)', async () => {
    const s = await loadScenarioFile(file);
    if (Object.keys(s.agents[0].env).length !== keys) throw new Error('bench: the env did not load');
  });
  console.log(`ratio validate/yaml.parse: ${(validate / plain).toFixed(2)}x`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
