// How much validation costs on top of parsing: parseScenarioText (YAML parse with positions, schema,
// semantics, budgets, model) vs yaml.parse alone, on the reference scenario, in one process run.
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { parseScenarioText } from '../dist/index.js';

const file = new URL('../scenarios/order-fulfilment.yaml', import.meta.url);
const text = readFileSync(file, 'utf8');
const bad = text.replace('to: payments,', 'to: paymnts,').replace('duration: 3s', 'duration: 3x');
const N = 2000;

function time(label, fn) {
  for (let i = 0; i < 200; i++) fn(); // warm-up
  const start = process.hrtime.bigint();
  for (let i = 0; i < N; i++) fn();
  const us = Number(process.hrtime.bigint() - start) / 1000 / N;
  console.log(`${label.padEnd(34)} ${us.toFixed(1).padStart(8)} µs/file`);
  return us;
}

const raw = time('yaml.parse', () => parse(text));
const valid = time('parseScenarioText (valid)', () => parseScenarioText(text, { file: 'f.yaml' }));
const invalid = time('parseScenarioText (2 errors)', () => {
  try {
    parseScenarioText(bad, { file: 'f.yaml' });
  } catch {
    /* expected */
  }
});
console.log(`ratio valid/yaml.parse: ${(valid / raw).toFixed(2)}x; invalid/yaml.parse: ${(invalid / raw).toFixed(2)}x`);
