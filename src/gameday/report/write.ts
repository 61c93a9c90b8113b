/** Writes a game day's four reports into its folder, and the Markdown to the GitHub step summary. */
import { appendFile, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { GameDayReport } from '../report-model.js';
import { GAMEDAY_JSON_FILE } from '../trend.js';
import { renderGameDayHtml } from './html.js';
import { renderGameDayJUnit } from './junit.js';
import { renderGameDayMarkdown } from './markdown.js';

/** The files `gameday run` and `gameday report` write. */
export const GAMEDAY_REPORT_FILES = { json: GAMEDAY_JSON_FILE, markdown: 'gameday.md', html: 'gameday.html', junit: 'junit.xml' } as const;

/** Writes every report; returns their paths. */
export async function writeGameDayReports(report: GameDayReport, dir: string): Promise<Record<keyof typeof GAMEDAY_REPORT_FILES, string>> {
  await mkdir(dir, { recursive: true });
  const paths = Object.fromEntries(Object.entries(GAMEDAY_REPORT_FILES).map(([k, f]) => [k, path.join(dir, f)])) as Record<keyof typeof GAMEDAY_REPORT_FILES, string>;
  await writeFile(paths.json, `${JSON.stringify(report, null, 2)}\n`);
  await writeFile(paths.markdown, renderGameDayMarkdown(report));
  await writeFile(paths.html, renderGameDayHtml(report));
  await writeFile(paths.junit, renderGameDayJUnit(report));
  return paths;
}

/** Appends the Markdown report to `$GITHUB_STEP_SUMMARY` when it is set. */
export async function appendGameDayStepSummary(report: GameDayReport, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const file = env.GITHUB_STEP_SUMMARY;
  if (file) await appendFile(file, renderGameDayMarkdown(report));
}
