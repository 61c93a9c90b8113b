// Environment and argv parsing shared by every agent. A bad value is a usage error: one clear
// line on stderr and exit 2, never a stack trace (the scenario runner shows stderr to the user).

/** Print a usage error and exit 2. */
export function usageError(agent, message) {
  process.stderr.write(`${agent}: ${message}\n`);
  process.exit(2);
}

/** Integer env var `name` (default `fallback`), at least `min`. */
export function envInt(agent, name, fallback, min = 0) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw.trim()) || Number(raw) < min) {
    usageError(agent, `${name} must be an integer >= ${min}, got "${raw}"`);
  }
  return Number(raw);
}

/** Required URL env var `name` (an http:// or https:// base URL, trailing slash removed). */
export function envUrl(agent, name) {
  const raw = process.env[name];
  if (!raw) usageError(agent, `${name} is required (the base URL of the agent it calls)`);
  let url;
  try {
    url = new URL(raw);
  } catch {
    usageError(agent, `${name} is not a valid URL: "${raw}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    usageError(agent, `${name} must be an http:// URL, got "${raw}"`);
  }
  return raw.replace(/\/+$/, '');
}

/** Value of `--flag value` / `--flag=value` in argv, or undefined. */
export function argValue(flag, argv = process.argv.slice(2)) {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === flag) return argv[i + 1];
    if (arg.startsWith(`${flag}=`)) return arg.slice(flag.length + 1);
  }
  return undefined;
}

/** Outgoing-call settings every caller agent reads: CALL_TIMEOUT_MS (1000), CALL_RETRIES (2), CALL_BACKOFF_MS (50). */
export function callSettings(agent) {
  return {
    timeoutMs: envInt(agent, 'CALL_TIMEOUT_MS', 1000, 1),
    retries: envInt(agent, 'CALL_RETRIES', 2, 0),
    backoffMs: envInt(agent, 'CALL_BACKOFF_MS', 50, 0),
  };
}
