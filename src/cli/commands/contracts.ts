/**
 * `agentcheck contracts …`: verify providers against Pact files with the real Pact verifier, and
 * answer which versions work together (matrix, can-i-deploy) from committed pacts and the
 * verification records `verify` writes, without a Pact Broker. Pact is imported only when a
 * contracts command runs: loading it costs a few hundred milliseconds every other command skips.
 */
import path from 'node:path';
import type { Command } from 'commander';
import { AgentcheckError, ExitCode, type ExitCodeValue } from '../../errors.js';
import type { RegisterCommand } from '../command.js';
import type { ConsumerVersionSelector } from '../../contracts/pact-core.js';

/** Where a command writes; injectable so tests can call commands without a process. */
export interface ContractsIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

const processIo: ContractsIo = {
  stdout: (text) => void process.stdout.write(text),
  stderr: (text) => void process.stderr.write(text),
};

/** Default output folder of `contracts verify`. */
export const DEFAULT_CONTRACTS_OUT = path.join('.agentcheck', 'contracts');

/** Options of {@link contractsVerifyCommand} (the CLI flags). */
export interface ContractsVerifyFlags {
  pacts?: string;
  provider?: string;
  scenario?: string;
  providerBaseUrl?: string;
  stateHandlers?: string;
  stateChangeUrl?: string;
  brokerUrl?: string;
  brokerToken?: string;
  consumerVersionSelectors?: string;
  enablePending?: boolean;
  includeWipSince?: string;
  publish?: boolean;
  providerVersion?: string;
  providerBranch?: string;
  out?: string;
  records?: string;
  messageTimeout?: number;
  /** Also print Pact's own verifier output (on stderr). */
  pactOutput?: boolean;
  json?: boolean;
}

function parseSelectors(text: string): ConsumerVersionSelector[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new AgentcheckError('usage', `--consumer-version-selectors expects JSON, got '${text}' (${(err as Error).message})`,
      `example: '[{"mainBranch":true},{"deployedOrReleased":true}]'`);
  }
  const list = Array.isArray(value) ? value : [value];
  if (!list.every((s) => s && typeof s === 'object' && !Array.isArray(s))) {
    throw new AgentcheckError('usage', '--consumer-version-selectors expects a JSON object or an array of objects');
  }
  return list as ConsumerVersionSelector[];
}

/**
 * `contracts verify`: verifies every provider (or `--provider`) against its pacts, prints the
 * readable report, writes report.json / junit.xml / summary.md, contracts.json and the verification
 * records. Returns 0 when every interaction verified, 1 on a mismatch, 3 when a provider could not
 * be started or the verifier could not run.
 */
export async function contractsVerifyCommand(flags: ContractsVerifyFlags, io: ContractsIo = processIo): Promise<ExitCodeValue> {
  const startedAt = new Date();
  if (flags.providerBaseUrl !== undefined && !/^https?:\/\/[^/]+/.test(flags.providerBaseUrl)) {
    throw new AgentcheckError('usage', `--provider-base-url expects an http(s) URL, got '${flags.providerBaseUrl}'`);
  }
  if (flags.providerBaseUrl && flags.scenario) {
    throw new AgentcheckError('usage', 'give either --scenario (agentcheck starts the provider) or --provider-base-url (it is already running), not both');
  }
  if (!flags.providerBaseUrl && !flags.scenario) {
    throw new AgentcheckError('usage', 'nothing to verify against: give --scenario FILE (agentcheck starts the providers) or --provider-base-url URL');
  }
  const brokerOnly = ['consumerVersionSelectors', 'enablePending', 'includeWipSince', 'publish', 'brokerToken'] as const;
  if (!flags.brokerUrl) {
    const given = brokerOnly.filter((k) => flags[k] !== undefined && flags[k] !== false);
    if (given.length) throw new AgentcheckError('usage', `${given.map((k) => `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`).join(', ')} need(s) --broker-url`);
  }
  if (flags.includeWipSince !== undefined && !/^\d{4}-\d{2}-\d{2}/.test(flags.includeWipSince)) {
    throw new AgentcheckError('usage', `--include-wip-since expects a date like 2026-01-31, got '${flags.includeWipSince}'`);
  }

  const [{ runVerifyJobIsolated }, { writeRecords }, { renderVerification, verificationRunReport }, { writeReports }] = await Promise.all([
    import('../../contracts/verify-job.js'),
    import('../../contracts/records.js'),
    import('../../contracts/report.js'),
    import('../../report/write.js'),
  ]);
  const out = flags.out ?? DEFAULT_CONTRACTS_OUT;
  const pactLog = path.join(out, 'pact-verifier.log');

  // Pact's native verifier writes its own output to stdout; a worker process keeps it in
  // pact-verifier.log (and out of --json), so the terminal shows agentcheck's report only.
  const verification = await runVerifyJobIsolated(
    {
      pactsDir: flags.pacts ?? 'pacts',
      ...(flags.provider ? { provider: flags.provider } : {}),
      ...(flags.providerBaseUrl ? { providerBaseUrl: flags.providerBaseUrl } : {}),
      ...(flags.scenario ? { scenarioFile: flags.scenario } : {}),
      ...(flags.stateHandlers ? { stateHandlersFile: flags.stateHandlers } : {}),
      ...(flags.stateChangeUrl ? { stateChangeUrl: flags.stateChangeUrl } : {}),
      ...(flags.providerVersion ? { providerVersion: flags.providerVersion } : {}),
      ...(flags.messageTimeout !== undefined ? { messageTimeoutMs: flags.messageTimeout } : {}),
      logDir: path.join(out, 'logs'),
      ...(flags.brokerUrl
        ? {
            broker: {
              url: flags.brokerUrl,
              ...(flags.brokerToken ? { token: flags.brokerToken } : {}),
              ...(flags.consumerVersionSelectors ? { consumerVersionSelectors: parseSelectors(flags.consumerVersionSelectors) } : {}),
              ...(flags.enablePending ? { enablePending: true } : {}),
              ...(flags.includeWipSince ? { includeWipPactsSince: flags.includeWipSince } : {}),
              ...(flags.publish ? { publish: true } : {}),
              ...(flags.providerBranch ? { providerVersionBranch: flags.providerBranch } : {}),
            },
          }
        : {}),
    },
    { logFile: pactLog, ...(flags.pactOutput ? { echo: process.stderr } : {}) },
  );

  const report = verificationRunReport(verification, startedAt, flags.scenario ?? flags.providerBaseUrl);
  const paths = await writeReports(report, out, ['json', 'junit', 'markdown']);
  const { writeFile, mkdir } = await import('node:fs/promises');
  await mkdir(out, { recursive: true });
  const detail = path.join(out, 'contracts.json');
  await writeFile(detail, `${JSON.stringify(verification, null, 2)}\n`);
  const records = flags.brokerUrl ? [] : await writeRecords(verification, flags.records ?? path.join(out, 'verifications'));

  if (flags.json) io.stdout(`${JSON.stringify(verification, null, 2)}\n`);
  else {
    io.stdout(renderVerification(verification));
    io.stdout(`reports: ${[paths.json, paths.junit, paths.markdown, detail].filter(Boolean).join(', ')}; Pact's own output: ${pactLog}\n`);
    if (records.length) io.stdout(`verification records: ${records.join(', ')}\n`);
  }
  if (verification.status === 'error') return ExitCode.Environment;
  return verification.status === 'passed' ? ExitCode.Ok : ExitCode.CheckFailed;
}

/** Options of {@link contractsMatrixCommand}. */
export interface ContractsMatrixFlags {
  pacts?: string;
  records?: string;
  pacticipant?: string;
  json?: boolean;
}

/** `contracts matrix`: prints every known consumer/provider version pair and its outcome. Exit 0. */
export async function contractsMatrixCommand(flags: ContractsMatrixFlags, io: ContractsIo = processIo): Promise<ExitCodeValue> {
  const [{ readPactDir }, { readRecords }, { buildMatrix }, { renderMatrix }] = await Promise.all([
    import('../../contracts/pact-file.js'),
    import('../../contracts/records.js'),
    import('../../contracts/matrix.js'),
    import('../../contracts/report.js'),
  ]);
  const pacts = await readPactDir(flags.pacts ?? 'pacts');
  const records = await readRecords(flags.records ?? path.join(DEFAULT_CONTRACTS_OUT, 'verifications'));
  let rows = buildMatrix(pacts, records);
  if (flags.pacticipant) rows = rows.filter((r) => r.consumer === flags.pacticipant || r.provider === flags.pacticipant);
  io.stdout(flags.json ? `${JSON.stringify(rows, null, 2)}\n` : renderMatrix(rows));
  return ExitCode.Ok;
}

/** Options of {@link contractsCanIDeployCommand}. */
export interface ContractsCanIDeployFlags {
  pacticipant: string;
  version: string;
  to?: string[];
  pacts?: string;
  records?: string;
  json?: boolean;
}

function parseTo(values: string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values ?? []) {
    const at = v.lastIndexOf('@');
    if (at <= 0 || at === v.length - 1) throw new AgentcheckError('usage', `--to expects NAME@VERSION, got '${v}'`, 'e.g. --to payments@1.4.2 (repeat for each agent)');
    out[v.slice(0, at)] = v.slice(at + 1);
  }
  return out;
}

/** `contracts can-i-deploy`: exit 0 verified ok, 1 a verification failed, 4 never verified. */
export async function contractsCanIDeployCommand(flags: ContractsCanIDeployFlags, io: ContractsIo = processIo): Promise<ExitCodeValue> {
  const to = parseTo(flags.to);
  const [{ readPactDir }, { readRecords }, { canIDeploy }, { renderCanIDeploy }] = await Promise.all([
    import('../../contracts/pact-file.js'),
    import('../../contracts/records.js'),
    import('../../contracts/matrix.js'),
    import('../../contracts/report.js'),
  ]);
  const pacts = await readPactDir(flags.pacts ?? 'pacts');
  const records = await readRecords(flags.records ?? path.join(DEFAULT_CONTRACTS_OUT, 'verifications'));
  const result = canIDeploy(pacts, records, { pacticipant: flags.pacticipant, version: flags.version, to });
  io.stdout(flags.json ? `${JSON.stringify(result, null, 2)}\n` : renderCanIDeploy(result));
  return result.outcome === 'verified-ok' ? ExitCode.Ok : result.outcome === 'verified-failed' ? ExitCode.CheckFailed : ExitCode.InvalidRun;
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

function positiveInt(flag: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n <= 0) throw new AgentcheckError('usage', `${flag} expects a positive integer (milliseconds), got '${value}'`);
    return n;
  };
}

function addSources(cmd: Command): Command {
  return cmd
    .option('--pacts <dir>', 'folder of pact files', 'pacts')
    .option('--records <dir>', `folder of verification records (default: ${path.join(DEFAULT_CONTRACTS_OUT, 'verifications')})`)
    .option('--json', 'print JSON instead of text');
}

/** Registers `agentcheck contracts` with `verify`, `matrix` and `can-i-deploy`. */
export const registerContracts: RegisterCommand = (program, run) => {
  // `can-i-deploy --version V` (the Pact CLI's spelling) relies on the program's positional
  // options (set in cli/main.ts): program flags count only before the subcommand.
  const group = program.command('contracts').description('verify agent-to-agent Pact contracts; matrix and can-i-deploy without a broker');

  group
    .command('verify')
    .description('verify providers against their pacts with the Pact verifier (exit 0 verified, 1 mismatch, 2 usage, 3 provider failed to start)')
    .option('--pacts <dir>', 'folder of pact files', 'pacts')
    .option('--provider <name>', 'verify only this provider (default: every provider in the pacts)')
    .option('--scenario <file>', 'start each provider (and the agents it calls) from this scenario')
    .option('--provider-base-url <url>', 'verify a provider that is already running at this URL')
    .option('--state-handlers <module>', 'JS/TS module exporting provider-state handlers (states.handlers(...))')
    .option('--state-change-url <url>', "the provider's own state-change endpoint (URL, or a path on the provider)")
    .option('--provider-version <version>', 'provider version to record/publish (default: $AGENTCHECK_PROVIDER_VERSION, git commit, or "unversioned")')
    .option('--broker-url <url>', 'fetch pacts from a Pact Broker instead of --pacts')
    .option('--broker-token <token>', 'Pact Broker token (default: $PACT_BROKER_TOKEN)')
    .option('--consumer-version-selectors <json>', 'broker consumer version selectors, JSON (e.g. \'[{"mainBranch":true}]\')')
    .option('--enable-pending', 'broker: pending pacts do not fail the build')
    .option('--include-wip-since <date>', 'broker: include work-in-progress pacts since this date')
    .option('--publish', 'broker: publish the verification results (needs --provider-version)')
    .option('--provider-branch <branch>', 'broker: the provider version branch')
    .option('--message-timeout <ms>', 'how long to wait for a provider to send a message (default 5000)', positiveInt('--message-timeout'))
    .option('--out <dir>', `report folder (default: ${DEFAULT_CONTRACTS_OUT})`)
    .option('--records <dir>', `where verification records go (default: <out>/verifications)`)
    .option('--pact-output', "also print Pact's own verifier output (on stderr; it is always kept in <out>/pact-verifier.log)")
    .option('--json', 'print the verification as JSON instead of the text report')
    .action(run(async (flags: ContractsVerifyFlags) => contractsVerifyCommand(flags)));

  addSources(group.command('matrix').description('which consumer and provider versions are verified to work together'))
    .option('--pacticipant <name>', 'only rows with this consumer or provider')
    .action(run(async (flags: ContractsMatrixFlags) => contractsMatrixCommand(flags)));

  addSources(group.command('can-i-deploy').description('can this version be deployed? (exit 0 verified ok, 1 verification failed, 4 never verified)'))
    .requiredOption('--pacticipant <name>', 'the agent to deploy')
    .requiredOption('--version <version>', 'its version (a consumer: the pact\'s version or content hash; a provider: the verified version)')
    .option('--to <name@version>', 'the version of another agent it will meet (repeatable; default: the latest)', collect)
    .action(run(async (flags: ContractsCanIDeployFlags) => contractsCanIDeployCommand(flags)));
};
