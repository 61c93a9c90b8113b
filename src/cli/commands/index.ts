import type { RegisterCommand } from '../command.js';

/**
 * Every subcommand, in the order `--help` lists them, each loaded on demand: `main` imports only
 * the module of the command being run (all of them for `--help`), so `agentcheck proxy` does not
 * load Pact, Testcontainers or autocannon. Adding a command is one file in this folder and one
 * line here.
 */
export const commandModules: ReadonlyArray<{ name: string; load: () => Promise<RegisterCommand> }> = [
  { name: 'scenario', load: async () => (await import('./scenario.js')).registerScenario },
  { name: 'proxy', load: async () => (await import('./proxy.js')).registerProxy },
  { name: 'idempotency', load: async () => (await import('./idempotency.js')).registerIdempotency },
  { name: 'contracts', load: async () => (await import('./contracts.js')).registerContracts },
  { name: 'load', load: async () => (await import('./load.js')).registerLoad },
  { name: 'images', load: async () => (await import('./images.js')).registerImages },
  { name: 'cleanup', load: async () => (await import('./cleanup.js')).registerCleanup },
  { name: 'gameday', load: async () => (await import('./gameday.js')).registerGameDay },
];

/** The register functions of the commands `argv` may run: just the named one, or all (help, typos). */
export async function loadCommands(argv: readonly string[]): Promise<RegisterCommand[]> {
  const name = argv.find((a) => !a.startsWith('-'));
  // `agentcheck --version` needs no command at all.
  if (name === undefined && argv.some((a) => a === '--version' || a === '-V')) return [];
  const only = commandModules.find((c) => c.name === name);
  return Promise.all((only ? [only] : commandModules).map((c) => c.load()));
}
