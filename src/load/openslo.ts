/**
 * Imports OpenSLO `kind: SLO` documents (openslo/v1 and v1alpha) as budgets.
 *
 * - A threshold objective (`op`, `value`, `target`) becomes a latency percentile:
 *   `op: lt, value: 300, target: 0.99` → `p(99) < 300ms`.
 * - A ratio objective (`target` or `targetPercent` only) becomes an error rate:
 *   `target: 0.995` → `error_rate < 0.5%`.
 * OpenSLO does not say which of our streams an SLO is about, nor the unit of `value`; annotations
 * do: `agentcheck.dev/metric` (`http` default, `workflow`, `edge.<from>-><to>`), `agentcheck.dev/unit`
 * (`ms` default, `s`, `us`) and `agentcheck.dev/phases` (comma-separated). `timeWindow` and
 * `budgetingMethod` are ignored: a run judges each phase and each 1/12 of it.
 */
import { readFile } from 'node:fs/promises';
import { parseAllDocuments } from 'yaml';
import { AgentcheckError } from '../errors.js';
import { formatAmount } from './budget-grammar.js';
import type { BudgetSpec } from './budget.js';

const OPS: Record<string, string> = { lt: '<', lte: '<=' };
const UNITS = new Set(['ms', 's', 'us']);

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Budgets from the `kind: SLO` documents in an OpenSLO YAML text (other kinds are skipped). */
export function budgetsFromOpenSlo(text: string, source = 'OpenSLO document'): BudgetSpec[] {
  const docs = parseAllDocuments(text);
  const out: BudgetSpec[] = [];
  let slos = 0;
  for (const [i, doc] of (Array.isArray(docs) ? docs : [docs]).entries()) {
    const where = `${source} (document ${i + 1})`;
    if (doc.errors.length > 0) throw new AgentcheckError('config', `${where}: not valid YAML: ${doc.errors[0]!.message}`);
    const value: unknown = doc.toJS();
    if (!isObj(value) || value['kind'] !== 'SLO') continue;
    slos++;
    const api = String(value['apiVersion'] ?? '');
    if (!/^openslo\/v1(alpha)?$/.test(api)) {
      throw new AgentcheckError('config', `${where}: unsupported apiVersion '${api}'`, 'supported: openslo/v1, openslo/v1alpha');
    }
    const meta = isObj(value['metadata']) ? value['metadata'] : {};
    const name = String(meta['name'] ?? `slo-${i + 1}`);
    const ann = isObj(meta['annotations']) ? meta['annotations'] : {};
    const stream = String(ann['agentcheck.dev/metric'] ?? 'http');
    const unit = String(ann['agentcheck.dev/unit'] ?? 'ms');
    if (!UNITS.has(unit)) throw new AgentcheckError('config', `${where}: SLO '${name}': unit '${unit}' is not one of ms, s, us`);
    const phases = typeof ann['agentcheck.dev/phases'] === 'string' ? ann['agentcheck.dev/phases'].split(',').map((s) => s.trim()).filter(Boolean) : undefined;
    const spec = isObj(value['spec']) ? value['spec'] : {};
    const objectives = spec['objectives'];
    if (!Array.isArray(objectives) || objectives.length === 0) {
      throw new AgentcheckError('config', `${where}: SLO '${name}' has no spec.objectives`);
    }
    for (const [j, o] of objectives.entries()) {
      if (!isObj(o)) throw new AgentcheckError('config', `${where}: SLO '${name}' objective ${j + 1} is not a mapping`);
      const label = `${where}: SLO '${name}' objective ${j + 1}${o['displayName'] ? ` ('${String(o['displayName'])}')` : ''}`;
      const target = o['target'] !== undefined ? Number(o['target']) : o['targetPercent'] !== undefined ? Number(o['targetPercent']) / 100 : NaN;
      if (!(target > 0 && target < 1)) {
        throw new AgentcheckError('config', `${label}: target must be between 0 and 1 (or targetPercent between 0 and 100)`);
      }
      const pct = Number((target * 100).toPrecision(12));
      let budget: string;
      if (o['op'] !== undefined || o['value'] !== undefined) {
        const op = OPS[String(o['op'])];
        if (!op) throw new AgentcheckError('config', `${label}: op '${String(o['op'])}' cannot be a latency budget`, 'use lt or lte (a latency must stay below a value)');
        const v = Number(o['value']);
        if (!(v >= 0)) throw new AgentcheckError('config', `${label}: value must be a non-negative number`);
        budget = `${stream}.latency p(${formatAmount(pct)}) ${op} ${formatAmount(v)}${unit}`;
      } else {
        const allowed = Number((100 - pct).toPrecision(12));
        budget = `${stream}.error_rate < ${formatAmount(allowed)}%`;
      }
      out.push(phases ? { budget, phases } : budget);
    }
  }
  if (slos === 0) throw new AgentcheckError('config', `${source}: no 'kind: SLO' document found`);
  return out;
}

/** Reads an OpenSLO file and returns its budgets ({@link budgetsFromOpenSlo}); a missing file is exit 2. */
export async function loadOpenSlo(path: string): Promise<BudgetSpec[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new AgentcheckError('config', `cannot read OpenSLO file ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return budgetsFromOpenSlo(text, path);
}
