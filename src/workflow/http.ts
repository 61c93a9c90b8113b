/** HTTP outcomes: a status of 400 or more is an error `http:<status>` (4xx: not done; 5xx: unknown). */
import type { OutcomeClassifier } from './protocol.js';

/** The HTTP classifier; asked first, so an HTTP error is never read as a protocol answer. */
export const httpClassifier: OutcomeClassifier = {
  protocol: 'http',
  classify(res) {
    if (res.status < 400) return null;
    return { kind: 'error', class: `http:${res.status}`, history: res.status < 500 ? 'fail' : 'info' };
  },
};
