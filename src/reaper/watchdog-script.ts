/**
 * The watchdog's program: plain CommonJS for `node -e`, using no agentcheck module, so it keeps
 * working after the CLI and its module graph are gone (and in `dist/` and under vitest alike).
 *
 * It reads NDJSON registrations from stdin (see {@link WatchdogMessage} in watchdog.ts). When
 * stdin closes, for whatever reason the owner went away, it reaps what is still registered:
 * SIGTERM to every process group (SIGKILL after the grace), force-removal of every container
 * and then network labelled with a registered run id (the Docker engine API over node:http),
 * DELETE of every registered remote toxic; then it removes the owner's registry file (when
 * everything went) and exits. argv: `<registry file or ''> <grace ms> [log file]` (the log, its
 * stderr, is deleted when there was nothing to reap).
 */
export const WATCHDOG_SCRIPT = String.raw`
'use strict';
const fs = require('node:fs');
const http = require('node:http');
const https = require('node:https');
const [registryFile, graceArg, logFile] = process.argv.slice(1);
const graceMs = Number(graceArg) || 1000;
const tracked = new Map();
const log = (line) => { try { process.stderr.write(new Date().toISOString() + ' ' + line + '\n'); } catch {} };

function startTime(pid) {
  try {
    const stat = fs.readFileSync('/proc/' + pid + '/stat', 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch { return undefined; }
}
// A member that is a zombie is dead already (it only waits for init to collect it), so with
// /proc the groups with a live member are read there, in one pass for all groups; without it,
// signal 0 is the best there is.
function liveGroups() {
  let names;
  try { names = fs.readdirSync('/proc'); } catch { return undefined; }
  if (!names.includes('self')) return undefined;
  const live = new Set();
  for (const n of names) {
    if (n.charCodeAt(0) < 48 || n.charCodeAt(0) > 57) continue;
    try {
      const stat = fs.readFileSync('/proc/' + n + '/stat', 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (f[0] !== 'Z') live.add(Number(f[2]));
    } catch {}
  }
  return live;
}
function groupAlive(pgid, live) {
  if (live) return live.has(pgid);
  try { process.kill(-pgid, 0); return true; } catch (e) { return e.code === 'EPERM'; }
}
function signalGroup(pgid, sig) {
  try { process.kill(-pgid, sig); } catch {}
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function reapGroups(groups) {
  // A live leader with another start time means the pid was reused: not ours any more.
  const atStart = liveGroups();
  const ours = groups.filter((g) => {
    const now = startTime(g.pgid);
    if (now !== undefined && g.start && now !== g.start) { log('process group ' + g.pgid + ': pid reused by another process, left alone'); return false; }
    return groupAlive(g.pgid, atStart);
  });
  for (const g of ours) signalGroup(g.pgid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  let live = liveGroups();
  while (ours.some((g) => groupAlive(g.pgid, live)) && Date.now() < deadline) { await sleep(25); live = liveGroups(); }
  for (const g of ours) {
    if (groupAlive(g.pgid, live)) { signalGroup(g.pgid, 'SIGKILL'); log('SIGKILL process group ' + g.pgid + ' (' + (g.name || '') + ')'); }
    else log('stopped process group ' + g.pgid + ' (' + (g.name || '') + ')');
  }
  // SIGKILL cannot be ignored, but a loaded machine may take a moment to deliver it.
  const killDeadline = Date.now() + 1000;
  do { await sleep(25); live = liveGroups(); } while (ours.some((g) => groupAlive(g.pgid, live)) && Date.now() < killDeadline);
  let failed = 0;
  for (const g of ours) if (groupAlive(g.pgid, live)) { failed++; log('process group ' + g.pgid + ' still alive after SIGKILL'); }
  return failed;
}

function call(conn, method, path) {
  return new Promise((resolve) => {
    const req = http.request({ ...conn, method, path, timeout: 5000 }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode, body }));
    });
    req.on('error', (e) => resolve({ status: 0, body: String(e.message) }));
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.end();
  });
}
async function list(conn, path) {
  const r = await call(conn, 'GET', path);
  try { return r.status === 200 ? JSON.parse(r.body) : []; } catch { return []; }
}
// Passes until the label finds nothing: a create the owner sent just before dying may complete
// after the first listing, and a network cannot go while a container is still attached.
async function reapDockerRun(run) {
  const f = encodeURIComponent(JSON.stringify({ label: ['agentcheck.run=' + run.runId] }));
  const ok = (r) => r.status === 204 || r.status === 200 || r.status === 404;
  let failures = [];
  for (let pass = 0; pass < 4; pass++) {
    if (pass > 0) await sleep(300);
    failures = [];
    const containers = await list(run.connection, '/containers/json?all=1&filters=' + f);
    const networks = await list(run.connection, '/networks?filters=' + f);
    if (containers.length === 0 && networks.length === 0) break;
    await Promise.all(containers.map(async (c) => {
      const name = (c.Names && c.Names[0]) || c.Id;
      const r = await call(run.connection, 'DELETE', '/containers/' + c.Id + '?force=1&v=1');
      if (ok(r)) log('removed container ' + name.replace(/^\//, ''));
      else failures.push('container ' + name + ': ' + r.body.trim());
    }));
    for (const n of networks) {
      const r = await call(run.connection, 'DELETE', '/networks/' + n.Id);
      if (ok(r)) log('removed network ' + n.Name);
      else failures.push('network ' + n.Name + ': ' + r.body.trim());
    }
  }
  for (const failure of failures) log('could not remove ' + failure);
  // Per-run images last: nothing of the run runs any more, and they take longest.
  for (const i of await list(run.connection, '/images/json?filters=' + f)) {
    const r = await call(run.connection, 'DELETE', '/images/' + i.Id + '?force=1');
    log((ok(r) ? 'removed image ' : 'could not remove image ') + ((i.RepoTags && i.RepoTags[0]) || i.Id));
  }
  return failures.length;
}
function reapToxic(t) {
  return new Promise((resolve) => {
    let url;
    try { url = new URL(t.api.replace(/\/+$/, '') + '/proxies/' + encodeURIComponent(t.proxy) + '/toxics/' + encodeURIComponent(t.toxic)); }
    catch { log('bad toxic API URL ' + t.api); return resolve(1); }
    const req = (url.protocol === 'https:' ? https : http).request(url, { method: 'DELETE', timeout: 1500 }, (res) => {
      res.resume();
      const ok = res.statusCode === 204 || res.statusCode === 200 || res.statusCode === 404;
      log((ok ? 'removed toxic ' : 'could not remove toxic ') + t.toxic + ' of proxy ' + t.proxy + ' at ' + t.api + ' (' + res.statusCode + ')');
      resolve(ok ? 0 : 1);
    });
    req.on('error', (e) => { log('could not remove toxic ' + t.toxic + ' at ' + t.api + ': ' + e.message); resolve(1); });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.end();
  });
}

let reaping;
function reap(why) {
  reaping = reaping || (async () => {
    const all = [...tracked.values()];
    if (all.length) log('owner gone (' + why + '): reaping ' + all.length + ' resource(s)');
    const results = await Promise.all([
      reapGroups(all.filter((r) => r.kind === 'process-group')),
      ...all.filter((r) => r.kind === 'docker-run').map(reapDockerRun),
      ...all.filter((r) => r.kind === 'toxic').map(reapToxic),
    ]);
    const failed = results.reduce((a, b) => a + b, 0);
    if (registryFile && failed === 0) { try { fs.unlinkSync(registryFile); } catch {} }
    if (all.length) log(failed === 0 ? 'all clean' : failed + ' resource(s) could not be removed; agentcheck cleanup retries');
    else if (logFile) { try { fs.unlinkSync(logFile); } catch {} }
    process.exit(failed === 0 ? 0 : 1);
  })();
}

let buffered = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => {
  buffered += chunk;
  let nl;
  while ((nl = buffered.indexOf('\n')) >= 0) {
    const line = buffered.slice(0, nl);
    buffered = buffered.slice(nl + 1);
    if (!line.trim()) continue;
    let m;
    try { m = JSON.parse(line); } catch { log('ignored a line that is not JSON'); continue; }
    if (m.op === 'track' && typeof m.key === 'string') tracked.set(m.key, m);
    else if (m.op === 'untrack') tracked.delete(m.key);
  }
});
process.stdin.on('end', () => reap('pipe closed'));
process.stdin.on('close', () => reap('pipe closed'));
process.stdin.on('error', () => reap('pipe error'));
// Its own session already keeps terminal signals away; a SIGTERM (logout, systemd) reaps too.
process.on('SIGHUP', () => undefined);
process.on('SIGINT', () => undefined);
process.on('SIGTERM', () => reap('SIGTERM'));
`;
