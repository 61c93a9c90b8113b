/**
 * Where agentcheck itself is installed: the folder holding its package.json, dist/ and
 * scenarios/. Both `src/images/*.ts` (tests) and `dist/images/*.js` sit two levels below it.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AgentcheckError } from '../errors.js';

/** agentcheck's package folder. */
export function packageRoot(): string {
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
}

/** agentcheck's package folder, after checking that `dist/` is built (the proxy image copies it). */
export function builtPackageRoot(): string {
  const root = packageRoot();
  if (!existsSync(path.join(root, 'dist', 'cli', 'main.js'))) {
    throw new AgentcheckError('environment', `agentcheck is not built: ${path.join(root, 'dist', 'cli', 'main.js')} is missing, and the proxy image is made from it`,
      `run \`npm run build\` in ${root}`);
  }
  return root;
}
