/**
 * `agentcheck proxy`: runs the Toxiproxy-compatible chaos proxy server until SIGINT/SIGTERM.
 * Prints one line with the API URL once listening; on a signal closes every listener and
 * connection and exits 0. Port in use → exit 3; bad flag or config file → exit 2.
 */
import { ExitCode, type ExitCodeValue } from '../../errors.js';
import { startProxyServer, type ProxyServerOptions } from '../../chaos/server.js';
import { parseIntFlag, type RegisterCommand } from '../command.js';

/** Options of {@link proxyCommand}, as parsed from the flags. */
export interface ProxyCommandOptions {
  /** API host (default 127.0.0.1). */
  host: string;
  /** API port (default 8474; 0 = any free port). */
  port: number;
  /** Proxies JSON file (`/populate` format) to create at start. */
  config?: string;
  /** Seed for every random decision. */
  seed?: number;
  /** ms an API client has to send a request's headers (default 10 000). */
  headersTimeout?: number;
  /** ms an API client has to send a request's body after its headers (default 30 000). */
  bodyTimeout?: number;
}

/**
 * Runs the proxy server until `stop` resolves (by default: the first SIGINT or SIGTERM).
 * `print` receives the one "listening" line.
 */
export async function proxyCommand(
  options: ProxyCommandOptions,
  print: (line: string) => void = (line) => void process.stdout.write(`${line}\n`),
  stop?: Promise<unknown>,
): Promise<ExitCodeValue> {
  const serverOptions: ProxyServerOptions = {
    host: options.host,
    port: options.port,
    ...(options.config !== undefined ? { config: options.config } : {}),
    ...(options.seed !== undefined ? { seed: options.seed } : {}),
    ...(options.headersTimeout !== undefined ? { headersTimeoutMs: options.headersTimeout } : {}),
    ...(options.bodyTimeout !== undefined ? { bodyTimeoutMs: options.bodyTimeout } : {}),
  };
  const server = await startProxyServer(serverOptions);
  const seedNote = options.seed !== undefined ? ` (seed ${server.seed})` : '';
  print(`agentcheck proxy: Toxiproxy API listening on ${server.url}${seedNote}`);
  const signalled =
    stop ??
    new Promise<void>((resolve) => {
      const onSignal = () => {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
        resolve();
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
    });
  await signalled;
  await server.close();
  return ExitCode.Ok;
}

/** Registers `agentcheck proxy`. */
export const registerProxy: RegisterCommand = (program, run) => {
  program
    .command('proxy')
    .description('run a Toxiproxy-compatible chaos proxy server (drive it with any Toxiproxy client)')
    .option('--host <host>', 'API host', '127.0.0.1')
    .option('--port <port>', 'API port (0 picks a free port)', parseIntFlag('--port', 0, 65535), 8474)
    .option('--config <file>', 'JSON array of proxies to create at start (the /populate format)')
    .option('--seed <n>', 'seed every random decision (toxicity, jitter, slicer sizes)', parseIntFlag('--seed'))
    .option('--headers-timeout <ms>', 'close an API connection whose request headers take longer (default 10000)', parseIntFlag('--headers-timeout', 1))
    .option('--body-timeout <ms>', 'close an API connection whose request body takes longer after its headers (default 30000)', parseIntFlag('--body-timeout', 1))
    .action(run(async (opts: ProxyCommandOptions) => proxyCommand(opts)));
};
