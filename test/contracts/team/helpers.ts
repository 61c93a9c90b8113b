/**
 * Helpers for the reference team's consumer tests: each test file writes its pact into a private
 * temporary folder and, once every interaction passed, replaces pacts/<consumer>-<provider>.json
 * atomically, so the provider verification (which reads pacts/ in parallel) never sees a half
 * written file and a pact holds exactly what its consumer test exercises.
 */
import { copyFile, mkdtemp, rename, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AgentContract } from '../../../src/contracts/consumer.js';

/** The committed pact folder of the reference team. */
export const TEAM_PACTS_DIR = fileURLToPath(new URL('../../../pacts/', import.meta.url));

/** A contract written to a temporary folder, published into pacts/ by {@link TeamContract.publish}. */
export interface TeamContract {
  contract: AgentContract;
  /** Replaces the committed pact with the one this test file wrote. */
  publish(): Promise<void>;
  /** Removes the temporary folder. */
  cleanup(): Promise<void>;
}

/** Creates the contract for one edge of the team. */
export async function teamContract(consumer: string, provider: string): Promise<TeamContract> {
  const dir = await mkdtemp(path.join(os.tmpdir(), `agentcheck-pact-${consumer}-${provider}-`));
  const contract = new AgentContract({ consumer, provider, dir });
  return {
    contract,
    publish: async () => {
      const target = path.join(TEAM_PACTS_DIR, path.basename(contract.pactFile));
      const tmp = `${target}.${process.pid}.tmp`;
      await copyFile(contract.pactFile, tmp);
      await rename(tmp, target);
    },
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

/** A throw-away contract (for tests that must fail): never published. */
export async function scratchContract(consumer: string, provider: string): Promise<TeamContract> {
  const c = await teamContract(consumer, provider);
  return { ...c, publish: async () => undefined };
}
