import type { RegisterCommand } from '../command.js';
import { registerScenario } from './scenario.js';
import { registerProxy } from './proxy.js';
import { registerIdempotency } from './idempotency.js';
import { registerContracts } from './contracts.js';
import { registerLoad } from './load.js';
import { registerImages } from './images.js';

/**
 * Every subcommand, in the order `--help` lists them. Adding a command is one file in this
 * folder and one line here.
 */
export const commands: RegisterCommand[] = [registerScenario, registerProxy, registerIdempotency, registerContracts, registerLoad, registerImages];
