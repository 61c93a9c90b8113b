/**
 * Writes a run's report files into its folder. Each file is written to a temporary name and renamed
 * into place, so a reader (or a run aborted mid-write) sees either the previous complete file or the
 * new complete file, never a truncated one.
 */
import { randomBytes } from 'node:crypto';
import { appendFileSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { appendFile, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AgentcheckError } from '../errors.js';
import { renderHtml } from './html.js';
import { renderJson } from './json.js';
import { renderJunit } from './junit.js';
import { renderMarkdown } from './markdown.js';
import type { RunReport } from './model.js';

/** A report file format. */
export type ReportFormat = 'json' | 'junit' | 'markdown' | 'html';

/** Every format, in the order they are written (report.json first: it is the source of truth). */
export const REPORT_FORMATS: readonly ReportFormat[] = ['json', 'junit', 'markdown', 'html'];

/** File name of each format inside the report folder. */
export const REPORT_FILE_NAMES: Readonly<Record<ReportFormat, string>> = {
  json: 'report.json',
  junit: 'junit.xml',
  markdown: 'summary.md',
  html: 'report.html',
};

/** Paths of the files {@link writeReports} wrote, by format (only the formats asked for). */
export type ReportPaths = Partial<Record<ReportFormat, string>>;

const renderers: Record<ReportFormat, (r: RunReport) => string> = {
  json: renderJson,
  junit: renderJunit,
  markdown: (r) => renderMarkdown(r),
  html: (r) => renderHtml(r),
};

/**
 * Parses a comma-separated `--format` value (`json,junit,markdown,html`; `md` and `xml` accepted as
 * aliases; `all` for every format); throws a usage error naming the valid formats.
 */
export function parseReportFormats(value: string): ReportFormat[] {
  const aliases: Record<string, ReportFormat> = { md: 'markdown', xml: 'junit', summary: 'markdown' };
  const out: ReportFormat[] = [];
  for (const raw of value.split(',')) {
    const name = raw.trim().toLowerCase();
    if (name === '') continue;
    if (name === 'all') return [...REPORT_FORMATS];
    const f = (REPORT_FORMATS as readonly string[]).includes(name) ? (name as ReportFormat) : aliases[name];
    if (!f) {
      throw new AgentcheckError('usage', `unknown report format "${raw.trim()}"`, `valid formats: ${REPORT_FORMATS.join(', ')}, all`);
    }
    if (!out.includes(f)) out.push(f);
  }
  if (out.length === 0) throw new AgentcheckError('usage', 'no report format given', `valid formats: ${REPORT_FORMATS.join(', ')}, all`);
  return out;
}

/**
 * The default report folder of a run: `.agentcheck/runs/<timestamp>` under `base` (default the
 * current directory), with a timestamp like `2024-05-01T12-30-45-123Z` that sorts by time and is a
 * valid file name everywhere.
 */
export function defaultRunDir(now: Date = new Date(), base = '.'): string {
  const stamp = now.toISOString().replace(/:/g, '-').replace('.', '-');
  return join(base, '.agentcheck', 'runs', stamp);
}

function tempName(path: string): string {
  return `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
}

function renderAll(report: RunReport, formats: readonly ReportFormat[]): Array<{ format: ReportFormat; content: string }> {
  return formats.map((format) => {
    try {
      return { format, content: renderers[format](report) };
    } catch (e) {
      throw new AgentcheckError('internal', `could not render ${REPORT_FILE_NAMES[format]}: ${(e as Error).message}`, undefined, { cause: e });
    }
  });
}

function ioError(dir: string, e: unknown): AgentcheckError {
  const err = e as NodeJS.ErrnoException;
  return new AgentcheckError(
    'environment',
    `cannot write reports to ${dir}: ${err.code ?? ''} ${err.message}`.replace(/\s+/g, ' ').trim(),
    'check that the folder is writable, or choose another with --out',
    { cause: e },
  );
}

/**
 * Writes the report files (default all four) into `dir`, creating it; returns the paths by format.
 * Every file is rendered before any is written, and each is written atomically (temp file + rename).
 * Throws an {@link AgentcheckError}: `environment` when the folder is not writable.
 */
export async function writeReports(report: RunReport, dir: string, formats: readonly ReportFormat[] = REPORT_FORMATS): Promise<ReportPaths> {
  const rendered = renderAll(report, formats);
  const paths: ReportPaths = {};
  try {
    await mkdir(dir, { recursive: true });
    for (const { format, content } of rendered) {
      const path = join(dir, REPORT_FILE_NAMES[format]);
      const tmp = tempName(path);
      try {
        await writeFile(tmp, content, 'utf8');
        await rename(tmp, path);
      } catch (e) {
        await rm(tmp, { force: true });
        throw e;
      }
      paths[format] = path;
    }
  } catch (e) {
    throw ioError(dir, e);
  }
  return paths;
}

/**
 * Synchronous {@link writeReports}, for exit paths where the event loop may not run again (a signal
 * handler about to exit). Same files, same atomicity.
 */
export function writeReportsSync(report: RunReport, dir: string, formats: readonly ReportFormat[] = REPORT_FORMATS): ReportPaths {
  const rendered = renderAll(report, formats);
  const paths: ReportPaths = {};
  try {
    mkdirSync(dir, { recursive: true });
    for (const { format, content } of rendered) {
      const path = join(dir, REPORT_FILE_NAMES[format]);
      const tmp = tempName(path);
      try {
        writeFileSync(tmp, content, 'utf8');
        renameSync(tmp, path);
      } catch (e) {
        rmSync(tmp, { force: true });
        throw e;
      }
      paths[format] = path;
    }
  } catch (e) {
    throw ioError(dir, e);
  }
  return paths;
}

/**
 * Appends the Markdown summary to the file GitHub Actions names in `GITHUB_STEP_SUMMARY`, when set;
 * returns that path, or undefined outside GitHub Actions. Appends (several runs share one summary).
 */
export async function appendStepSummary(report: RunReport, env: NodeJS.ProcessEnv = process.env): Promise<string | undefined> {
  const path = env.GITHUB_STEP_SUMMARY;
  if (!path) return undefined;
  try {
    await appendFile(path, `${renderMarkdown(report)}\n`, 'utf8');
  } catch (e) {
    throw new AgentcheckError('environment', `cannot append to GITHUB_STEP_SUMMARY (${path}): ${(e as Error).message}`, undefined, { cause: e });
  }
  return path;
}

/** Synchronous {@link appendStepSummary}. */
export function appendStepSummarySync(report: RunReport, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const path = env.GITHUB_STEP_SUMMARY;
  if (!path) return undefined;
  try {
    appendFileSync(path, `${renderMarkdown(report)}\n`, 'utf8');
  } catch (e) {
    throw new AgentcheckError('environment', `cannot append to GITHUB_STEP_SUMMARY (${path}): ${(e as Error).message}`, undefined, { cause: e });
  }
  return path;
}
