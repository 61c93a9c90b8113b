/**
 * Fault coverage: did each fault of the timeline meet the traffic it was meant to disturb?
 *
 * A fault that no request crossed while it was applied was not tested, however green the rest of
 * the run is: a message-level fault whose `match` names a path the team never calls (`/charge`
 * for `/charges`), a fault on an edge nobody uses in that phase, a shared team that answers from a
 * cache without calling its peers. Passing such a run would be a false PASS, so it cannot be
 * judged (exit 4) and the check says which fault and why.
 *
 * Evidence, per fault kind:
 * - message-level faults (drop, duplicate, http_error, …) journal a decision for every request they
 *   match, fired or not: none at all means the fault never matched a request.
 * - connection-level (Toxiproxy) faults are judged from the edge's per-request records: none whose
 *   head arrived while the fault was on means no request crossed the edge. A toxic that holds or cuts
 *   the byte stream before a request head is read (`timeout`, `reset_peer`, `limit_data`) leaves no
 *   record even when it did its work, so for those "none" is a warning, not a verdict.
 * - edges without per-request evidence (a real Toxiproxy, NATS edges, a journal that lost entries)
 *   are `skipped`, saying why: no evidence either way.
 */
import type { CheckResult, FaultWindow } from '../../report/model.js';
import type { ScenarioFault } from '../types.js';
import type { Checker } from './judge.js';

/** The suite name of the coverage checks in reports. */
export const FAULT_COVERAGE_SUITE = 'fault coverage';

/** Connection-level toxics that can act before any request head reaches the HTTP layer. */
const STREAM_CUTTERS = new Set(['timeout', 'reset_peer', 'limit_data', 'bandwidth', 'slicer']);

/** Journal outcomes of a request the toxic looked at but could not act on in any case. */
const NOT_APPLICABLE = new Set(['no-match', 'not-event-stream', 'body-unavailable']);

/** What the checker needs to know about one applied fault. */
export interface FaultExposure {
  fault: ScenarioFault;
  phase: string;
  /** Requests whose head reached the edge's proxy while the fault was on; undefined when the edge has no per-request records. */
  requests?: number;
  /** Journaled decisions of this toxic on requests it matched (message-level faults); undefined when there is no journal. */
  decisions?: number;
  fired?: number;
}

/** The coverage check of one applied fault (pure: exposures in, a check out). */
export function coverageCheck(x: FaultExposure): CheckResult {
  const { fault } = x;
  const name = `${fault.type} on ${fault.edge} in ${x.phase}`;
  const base = { suite: FAULT_COVERAGE_SUITE, name };
  const crossed = x.requests === undefined ? '' : `${x.requests} request(s) crossed the edge while it was on`;
  if (fault.messageLevel) {
    if (x.decisions === undefined) return { ...base, status: 'skipped', message: 'the proxy keeps no journal of decisions (a real Toxiproxy, or journal entries lost): whether the fault met traffic is unknown' };
    if (x.decisions > 0) return { ...base, status: 'pass', message: `matched ${x.decisions} request(s), fired on ${x.fired ?? 0}` };
    const why = x.requests && x.requests > 0
      ? `${crossed}, but none matched ${fault.match ? JSON.stringify(fault.match) : 'it'}: check the match against the requests the caller really sends`
      : x.requests === 0 ? 'no request crossed the edge while it was on' : 'no request matched it';
    return { ...base, status: 'invalid', message: `the fault was never exercised: ${why}; the run says nothing about it` };
  }
  if (x.requests === undefined) return { ...base, status: 'skipped', message: 'the edge keeps no per-request records (a real Toxiproxy, or not HTTP): whether the fault met traffic is unknown' };
  if (x.requests > 0) return { ...base, status: 'pass', message: crossed };
  if (STREAM_CUTTERS.has(fault.type)) {
    return { ...base, status: 'warn', message: `no request head reached the edge while it was on; a ${fault.type} toxic can stop requests before their head is read, so this may be the fault working or no traffic at all` };
  }
  return { ...base, status: 'invalid', message: 'the fault was never exercised: no request crossed the edge while it was on; the run says nothing about it' };
}

/** The judge-stage checker: one coverage check per fault of every phase that ran with faults. */
export const faultCoverageChecker: Checker = {
  name: 'fault coverage',
  async check({ ctx, driven, collected }) {
    // Without load agentcheck drove no traffic: there is nothing a fault was meant to meet.
    if (!driven.load) return {};
    const zero = Date.parse(driven.load.startedAt);
    const journalComplete = !(collected.journalLost && collected.journalLost > 0);
    // A toxic journals every request it looks at; one that did not match (or could not apply:
    // not an event stream, body not inspectable) was looked at, not exercised.
    const decisions = new Map<string, { n: number; fired: number }>();
    for (const j of collected.journal) {
      const d = decisions.get(j.toxic) ?? { n: 0, fired: 0 };
      if (!NOT_APPLICABLE.has(j.outcome)) d.n += 1;
      if (j.fired) d.fired += 1;
      decisions.set(j.toxic, d);
    }
    // The faults that ran, each with its window; the hops are read once for all of them.
    const ran: Array<{ fault: ScenarioFault; phase: string; window: FaultWindow; requests?: number }> = [];
    for (const phase of ctx.scenario.phases) {
      if (phase.faults.length === 0) continue;
      const window = driven.faultWindows.find((x) => x.phase === phase.name);
      if (!window) continue; // the phase did not run (aborted before it)
      for (const fault of phase.faults) ran.push({ fault, phase: phase.name, window, ...(collected.kept.get(fault.edge)?.records ? { requests: 0 } : {}) });
    }
    const counted = ran.filter((r) => r.requests !== undefined);
    if (counted.length > 0) {
      for (const h of collected.hops()) {
        if (h.copyOf !== undefined) continue;
        const tMs = Date.parse(h.time) - zero;
        for (const r of counted) if (r.fault.edge === h.edge && inWindow(tMs, r.window)) r.requests! += 1;
      }
    }
    const checks: CheckResult[] = [];
    for (const { fault, phase, requests } of ran) {
      const d = decisions.get(fault.name);
      const journaled = collected.kept.get(fault.edge)?.journal === true && (journalComplete || d !== undefined);
      checks.push(coverageCheck({
        fault,
        phase,
        ...(requests !== undefined ? { requests } : {}),
        ...(fault.messageLevel && journaled ? { decisions: d?.n ?? 0, fired: d?.fired ?? 0 } : {}),
      }));
    }
    return { checks };
  },
};

function inWindow(tMs: number, w: FaultWindow): boolean {
  return tMs >= w.startMs && tMs <= w.endMs;
}
