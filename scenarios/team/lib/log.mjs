// One JSON line per request on stdout (the format API.md promises; the runner and the tests
// parse it). Diagnostics go to stderr so stdout stays a clean request log.

/** Write the request log line `{agent, method, path, status, ms, traceparent}` to stdout. */
export function logRequest(entry) {
  process.stdout.write(`${JSON.stringify(entry)}\n`);
}

/** Write a diagnostic JSON line (retries, errors) to stderr. */
export function logEvent(agent, event, fields = {}) {
  process.stderr.write(`${JSON.stringify({ agent, event, ...fields })}\n`);
}
