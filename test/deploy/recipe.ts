/**
 * What the two deployment-recipe tests share: the recipe's attach-mode scenario as the tests run
 * it, waiting for a deployment, and listing what toxics a proxy API still holds.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { root } from '../reaper/listing.js';

/** The four edge proxies of docs/deploy/proxies.json, by name. */
export const RECIPE_PROXIES = ['intake_to_planner', 'planner_to_inventory', 'planner_to_notifier', 'planner_to_payments'];

/**
 * docs/deploy/order-fulfilment-attach.yaml with the load the tests give it. Five agents, a proxy and
 * the generator share a busy 2-core CI machine with the rest of the suite: half the recipe's rate
 * keeps the good team's latency budgets about the team, not the machine, and 6 s phases keep 120
 * events per phase (the budgets need 100). Phases, faults, budgets and invariants are the recipe's.
 */
export function recipeScenarioText(): string {
  const text = readFileSync(path.join(root, 'docs/deploy/order-fulfilment-attach.yaml'), 'utf8');
  const slowed = text.replace('  rate: 40\n', '  rate: 20\n').replaceAll('duration: 3s', 'duration: 6s');
  if (slowed === text) throw new Error('order-fulfilment-attach.yaml no longer has "rate: 40" / "duration: 3s": update recipeScenarioText');
  return slowed;
}

/** Polls `check` every 100 ms until it is true; throws `not ready: <what>` after `timeoutMs`. */
export async function until(check: () => Promise<boolean>, timeoutMs: number, what = 'the deployment'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`not ready within ${timeoutMs} ms: ${what}`);
}

/** The toxics still on any proxy of the Toxiproxy-compatible API at `api`, one line each. */
export async function toxicsLeft(api: string): Promise<string[]> {
  const listed = (await (await fetch(`${api}/proxies`, { signal: AbortSignal.timeout(10_000) })).json()) as Record<string, { toxics: unknown[] }>;
  return Object.entries(listed).flatMap(([name, p]) => p.toxics.map((t) => `${name}: ${JSON.stringify(t)}`));
}

/** The proxy names the API at `api` lists, sorted. */
export async function proxyNames(api: string): Promise<string[]> {
  return Object.keys((await (await fetch(`${api}/proxies`, { signal: AbortSignal.timeout(10_000) })).json()) as object).sort();
}
