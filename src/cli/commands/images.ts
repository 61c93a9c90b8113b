/**
 * `agentcheck images …`: the local images the containers runtime uses, built without a
 * registry. `build-base` packages the host's node; `build-proxy` and `build-team` put
 * agentcheck's proxy and the reference team on a Node base; `build` does all three; `prune`
 * removes what dead runs left behind, leaving live runs alone (and, with `--all`, the cached images). Every build is
 * idempotent and prints one line per image. No engine → exit 3 with how to start one.
 */
import type { Command } from 'commander';
import { ExitCode, type ExitCodeValue } from '../../errors.js';
import { buildBaseImage, DEFAULT_BASE_TAG } from '../../images/base.js';
import { IMAGE_KIND_LABEL } from '../../images/build.js';
import { checkDockerEngine, dockerMessage, type DockerEngine } from '../../images/engine.js';
import { buildProxyImage, DEFAULT_PROXY_TAG, type ImageResult } from '../../images/proxy-image.js';
import { buildTeamImage, DEFAULT_TEAM_TAG } from '../../images/team-image.js';
import { cleanupDeadRuns } from '../../reaper/cleanup.js';
import { RUN_LABEL } from '../../scenario/runtimes/containers-cleanup.js';
import { printCleanupReport } from './cleanup.js';
import { processIo, type CommandIo, type RegisterCommand, type RunAction } from '../command.js';

/** Where a command writes (kept as a name for existing callers). */
export type ImagesIo = CommandIo;

/** Options of the `images build*` commands. */
export interface ImagesBuildOptions {
  /** Tag of the image (each command has its own default). */
  tag?: string;
  /** Node image to build the proxy/team on; default AGENTCHECK_BASE_IMAGE, else `agentcheck/node-base:local`. */
  base?: string;
  /** Rebuild even when up to date. Default false. */
  force?: boolean;
  /** Print the build output. Default false. */
  verbose?: boolean;
}

type Kind = 'base' | 'proxy' | 'team';

function mb(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

async function imageSize(engine: DockerEngine, tag: string): Promise<string> {
  const info = await engine.docker.getImage(tag).inspect().catch(() => undefined);
  return info ? mb(info.Size) : '?';
}

async function buildOne(engine: DockerEngine, kind: Kind, options: ImagesBuildOptions, io: ImagesIo): Promise<void> {
  const started = Date.now();
  const onLine = options.verbose ? (line: string) => io.stderr(`  ${line}\n`) : undefined;
  const common = { ...(options.force ? { force: true } : {}), ...(onLine ? { onLine } : {}) };
  const base = options.base ?? process.env.AGENTCHECK_BASE_IMAGE ?? DEFAULT_BASE_TAG;
  let result: ImageResult & { note?: string };
  if (kind === 'base') {
    const r = await buildBaseImage(engine.docker, { engineArchitecture: engine.architecture, ...(options.tag ? { tag: options.tag } : {}), ...common });
    result = { tag: r.tag, id: r.id, built: r.built, bytes: 0, note: `node ${r.nodeVersion}` };
  } else if (kind === 'proxy') {
    result = await buildProxyImage(engine.docker, { base, ...(options.tag ? { tag: options.tag } : {}), ...common });
  } else {
    result = await buildTeamImage(engine.docker, { base, ...(options.tag ? { tag: options.tag } : {}), ...common });
  }
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  const facts = [result.note, await imageSize(engine, result.tag), kind === 'base' ? undefined : `on ${base}`].filter(Boolean).join(', ');
  io.stdout(`${result.tag}: ${result.built ? `built in ${secs} s` : 'up to date'} (${facts})\n`);
}

/** Builds the given images in order; returns 0, or throws an `environment` error (exit 3). */
export async function imagesBuild(kinds: Kind[], options: ImagesBuildOptions = {}, io: ImagesIo = processIo): Promise<ExitCodeValue> {
  const engine = await checkDockerEngine();
  for (const kind of kinds) await buildOne(engine, kind, options, io);
  return ExitCode.Ok;
}

/**
 * Removes the leftovers of runs whose owner is gone (label `agentcheck.run`, owner labels and the
 * run registry decide; live runs are left alone), listing each; with `all`, agentcheck's cached images too.
 */
export async function imagesPrune(options: { all?: boolean } = {}, io: ImagesIo = processIo): Promise<ExitCodeValue> {
  const engine = await checkDockerEngine();
  const report = await cleanupDeadRuns({ docker: engine.docker });
  printCleanupReport(report, io);
  const failed = [...report.failed];
  const count = (what: string) => report.removed.filter((l) => l.startsWith(`removed ${what} `)).length;
  io.stdout(`removed ${count('container')} container(s), ${count('network')} network(s) and ${count('image')} image(s) left by runs whose agentcheck is gone\n`);
  if (options.all) {
    // A per-run image still there belongs to a live run (dead runs' images went above).
    const images = (await engine.docker.listImages({ filters: JSON.stringify({ label: [IMAGE_KIND_LABEL] }) })).filter((i) => !i.Labels?.[RUN_LABEL]);
    // Children first: an image built on another cannot outlive it being removed by id.
    const order = ['agent', 'proxy', 'team', 'node-base'];
    images.sort((a, b) => order.indexOf(a.Labels?.[IMAGE_KIND_LABEL] ?? '') - order.indexOf(b.Labels?.[IMAGE_KIND_LABEL] ?? ''));
    for (const image of images) {
      const name = image.RepoTags?.[0] ?? image.Id;
      try {
        await engine.docker.getImage(image.Id).remove({ force: true });
        io.stdout(`removed ${name}\n`);
      } catch (err) {
        failed.push(`image ${name}: ${dockerMessage(err)}`);
      }
    }
  }
  for (const f of failed.slice(report.failed.length)) io.stderr(`could not remove ${f}\n`);
  return failed.length > 0 ? ExitCode.Environment : ExitCode.Ok;
}

function buildFlags(cmd: Command, defaultTag: string | undefined): Command {
  if (defaultTag) cmd.option('--tag <tag>', 'image tag', defaultTag);
  return cmd
    .option('--force', 'rebuild even when the image is up to date', false)
    .option('--verbose', 'print the build output', false);
}

function baseFlag(cmd: Command): Command {
  return cmd.option('--base <image>', `Node image to build on (e.g. node:20-slim with registry access); default $AGENTCHECK_BASE_IMAGE or ${DEFAULT_BASE_TAG}`);
}

const subcommands: Array<(group: Command, run: RunAction) => void> = [
  (group, run) =>
    buildFlags(group.command('build-base').description(`build the offline Node base image from this machine's node binary (FROM scratch)`), DEFAULT_BASE_TAG)
      .action(run(async (opts: ImagesBuildOptions) => imagesBuild(['base'], opts))),
  (group, run) =>
    baseFlag(buildFlags(group.command('build-proxy').description("build agentcheck's proxy image (dist/ + runtime node_modules; run `npm run build` first)"), DEFAULT_PROXY_TAG))
      .action(run(async (opts: ImagesBuildOptions) => imagesBuild(['proxy'], opts))),
  (group, run) =>
    baseFlag(buildFlags(group.command('build-team').description('build the reference agent team image (scenarios/team/)'), DEFAULT_TEAM_TAG))
      .action(run(async (opts: ImagesBuildOptions) => imagesBuild(['team'], opts))),
  (group, run) =>
    baseFlag(buildFlags(group.command('build').description('build every image the containers runtime needs (base unless --base, proxy, team)'), undefined))
      .action(run(async (opts: ImagesBuildOptions) => {
        const base = opts.base ?? process.env.AGENTCHECK_BASE_IMAGE ?? DEFAULT_BASE_TAG;
        return imagesBuild(base === DEFAULT_BASE_TAG ? ['base', 'proxy', 'team'] : ['proxy', 'team'], opts);
      })),
  (group, run) =>
    group
      .command('prune')
      .description('remove containers, networks and images left by container runs whose agentcheck is gone (label agentcheck.run); live runs are left alone')
      .option('--all', "also remove agentcheck's cached images (base, proxy, team)", false)
      .action(run(async (opts: { all?: boolean }) => imagesPrune(opts))),
];

/** Registers `agentcheck images` and its subcommands. */
export const registerImages: RegisterCommand = (program, run) => {
  const group = program.command('images').description(`local images for --runtime containers (${DEFAULT_BASE_TAG}, ${DEFAULT_PROXY_TAG}, ${DEFAULT_TEAM_TAG}); no registry needed`);
  for (const register of subcommands) register(group, run);
};
