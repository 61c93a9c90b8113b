/**
 * Loading a state-handler module for `contracts verify --state-handlers MODULE`: JavaScript, or
 * TypeScript (transpiled on the fly through {@link ./ts-hooks.ts} when Node cannot import it).
 * The module's default export (or its `stateHandlers` export) is either one provider's handlers
 * (`states.handlers({...})`) or an object of them by provider name.
 */
import { existsSync } from 'node:fs';
import { register } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { AgentcheckError } from '../errors.js';
import { isProviderStateHandlers } from './states.js';
import type { StateHandlerSet } from './verify.js';

let hooksRegistered = false;

function registerTypeScriptHooks(): boolean {
  if (hooksRegistered) return true;
  // module.register arrived in Node 20.6.
  if (typeof register !== 'function') return false;
  const hooks = new URL('./ts-hooks.js', import.meta.url);
  if (hooks.protocol !== 'file:' || !existsSync(hooks)) return false;
  register(hooks.href);
  hooksRegistered = true;
  return true;
}

function describeExport(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value !== 'object') return typeof value;
  return `an object with keys ${Object.keys(value).slice(0, 8).join(', ') || '(none)'}`;
}

/** Checks a module's export is a {@link StateHandlerSet}; throws `config` naming the file otherwise. */
export function asStateHandlerSet(value: unknown, file: string): StateHandlerSet {
  if (isProviderStateHandlers(value)) return value;
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const entries = Object.entries(value);
    const bad = entries.filter(([, v]) => !isProviderStateHandlers(v)).map(([k]) => k);
    if (entries.length && !bad.length) return value as StateHandlerSet;
    if (entries.length) {
      throw new AgentcheckError('config', `${file}: the handlers for ${bad.map((b) => `'${b}'`).join(', ')} were not made with states.handlers(...) or stateHandlers(...)`);
    }
  }
  throw new AgentcheckError(
    'config',
    `${file}: expected a default export made with states.handlers(...) (one provider) or an object of them by provider name, got ${describeExport(value)}`,
  );
}

/** Imports a state-handler module (`.js`, `.mjs`, `.ts`, `.mts`) and returns its handlers. */
export async function loadStateHandlers(file: string): Promise<StateHandlerSet> {
  const abs = path.resolve(file);
  if (!existsSync(abs)) throw new AgentcheckError('config', `state-handler module ${file}: no such file`);
  const url = pathToFileURL(abs).href;
  let mod: { default?: unknown; stateHandlers?: unknown };
  try {
    mod = (await import(url)) as typeof mod;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ERR_UNKNOWN_FILE_EXTENSION' && /\.m?ts$/.test(abs) && registerTypeScriptHooks()) {
      try {
        mod = (await import(`${url}?ts`)) as typeof mod;
      } catch (again) {
        throw loadError(file, again);
      }
    } else if (code === 'ERR_UNKNOWN_FILE_EXTENSION') {
      throw new AgentcheckError('config', `state-handler module ${file}: this Node cannot load TypeScript here`, 'write the module in JavaScript, or run agentcheck with a TypeScript loader: node --import tsx …');
    } else {
      throw loadError(file, err);
    }
  }
  return asStateHandlerSet(mod.default ?? mod.stateHandlers, file);
}

function loadError(file: string, err: unknown): AgentcheckError {
  if (err instanceof AgentcheckError) return err;
  const why = err instanceof Error ? err.message.split('\n')[0] : String(err);
  return new AgentcheckError('config', `state-handler module ${file} failed to load: ${why}`, undefined, { cause: err });
}
