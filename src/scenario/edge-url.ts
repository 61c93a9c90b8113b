/**
 * The URL a caller gets in its edge's env variable: `http://<proxy listen>` on http and tcp edges,
 * `nats://<proxy listen>` on nats edges (what NATS clients take as their server URL).
 */
import type { ScenarioEdge } from './types.js';

/** The base URL of `edge`'s proxy listening on `listen` (`host:port`). */
export function edgeUrl(edge: Pick<ScenarioEdge, 'protocol'>, listen: string): string {
  return `${edge.protocol === 'nats' ? 'nats' : 'http'}://${listen}`;
}
