/**
 * Topology conformance: an agent may call only its declared edges, through their proxies. In the
 * process runtime two views judge it (`process-topology.ts`): the forward proxy every started agent
 * is given in `HTTP_PROXY` refuses and records any other target (`forward-proxy.ts`), and every TCP
 * connection an agent's processes hold is compared with the listen addresses of its declared edges'
 * proxies (`socket-view.ts`), which catches the clients that ignore `HTTP_PROXY`. A call to a peer's
 * own port bypasses the edge's proxy (its faults and its records), a call anywhere else is an
 * undeclared call. Either fails the run, naming the caller, the target, how often it was seen,
 * when first and by which view. Outside dependencies the scenario declares
 * (`detectors.topology.allow`, `topology-allow.ts`) are not findings; the check names them.
 */
import { suiteOf, type Detector } from './detector.js';
import { directCallResults } from './sinkhole.js';
import { processTopologyResults } from './process-topology.js';

/** The topology-conformance detector. */
export function policyDetector(): Detector {
  const detector: Detector = {
    name: 'topology',
    detect({ sockets, forwardProxy, direct, edges }) {
      // The containers runtime: its network sinkhole saw the direct calls (src/detect/sinkhole.ts).
      if (direct) return directCallResults(suiteOf(detector), direct, edges);
      // The process runtime: the forward proxy and the socket view (src/detect/process-topology.ts).
      if (!sockets && !forwardProxy) return [];
      return processTopologyResults(suiteOf(detector), sockets, forwardProxy);
    },
  };
  return detector;
}
