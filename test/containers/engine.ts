// Shared by the Docker-backed container tests: whether an engine answers (they skip with one
// line when none does), and small helpers that ask the engine directly.
import { execFileSync } from 'node:child_process';
import { checkDockerEngine, dockerAvailable, START_ENGINE_HINT, type DockerEngine } from '../../src/images/engine.js';

/** True when a Docker engine answers on this machine. */
export const engineAvailable = await dockerAvailable(15_000);

/** Prints the one line a skipped file shows, naming what is missing. */
export function noteSkip(file: string): void {
  if (!engineAvailable) console.log(`[containers] ${file}: skipped, no Docker engine is reachable (${START_ENGINE_HINT})`);
}

/** The engine (only call when {@link engineAvailable}). */
export function engine(): Promise<DockerEngine> {
  return checkDockerEngine();
}

/** True when the docker CLI is on PATH (tests prefer it to prove what a user would see). */
export const dockerCli = (() => {
  try {
    execFileSync('docker', ['version', '--format', '{{.Client.Version}}'], { stdio: 'ignore', timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
})();

/** Names of containers / networks carrying `agentcheck.run=<runId>`, as the docker CLI lists them. */
export function cliLeftovers(runId: string): { containers: string[]; networks: string[]; images: string[] } {
  const list = (args: string[]) =>
    execFileSync('docker', args, { encoding: 'utf8' }).split('\n').map((s) => s.trim()).filter(Boolean);
  const filter = `label=agentcheck.run=${runId}`;
  return {
    containers: list(['ps', '-a', '--filter', filter, '--format', '{{.Names}}']),
    networks: list(['network', 'ls', '--filter', filter, '--format', '{{.Name}}']),
    images: list(['image', 'ls', '--filter', filter, '--format', '{{.Repository}}:{{.Tag}}']),
  };
}
