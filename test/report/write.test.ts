import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, sep } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AgentcheckError } from '../../src/errors.js';
import { parseReportJson } from '../../src/report/json.js';
import {
  appendStepSummary,
  defaultRunDir,
  parseReportFormats,
  REPORT_FILE_NAMES,
  writeReports,
  writeReportsSync,
} from '../../src/report/write.js';
import { abortedReport, failingReport } from './fixtures.js';
import { parseXml } from './xml.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'agentcheck-report-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('writeReports', () => {
  it('creates the folder and writes the four files, returning their paths', async () => {
    const out = join(dir, 'a', 'b', 'run');
    const paths = await writeReports(failingReport(), out);
    expect(paths).toEqual({
      json: join(out, 'report.json'),
      junit: join(out, 'junit.xml'),
      markdown: join(out, 'summary.md'),
      html: join(out, 'report.html'),
    });
    expect((await readdir(out)).sort()).toEqual(['junit.xml', 'report.html', 'report.json', 'summary.md']);
    expect(parseReportJson(await readFile(join(out, 'report.json'), 'utf8'))).toEqual(failingReport());
    expect(parseXml(await readFile(join(out, 'junit.xml'), 'utf8')).attrs.failures).toBe('5');
    expect(await readFile(join(out, 'summary.md'), 'utf8')).toContain('FAIL');
    expect(await readFile(join(out, 'report.html'), 'utf8')).toContain('<svg class="chart"');
  });

  it('writes only the formats asked for, and overwrites a previous report in place (no temp files left)', async () => {
    await writeReports(failingReport(), dir);
    const paths = await writeReports(abortedReport(), dir, ['json', 'junit']);
    expect(Object.keys(paths)).toEqual(['json', 'junit']);
    expect(JSON.parse(await readFile(join(dir, 'report.json'), 'utf8')).verdict).toBe('aborted');
    expect(await readFile(join(dir, 'summary.md'), 'utf8')).toContain('FAIL'); // untouched
    expect((await readdir(dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('the sync variant writes the same bytes', async () => {
    const a = join(dir, 'async');
    const b = join(dir, 'sync');
    await writeReports(failingReport(), a);
    writeReportsSync(failingReport(), b);
    for (const name of Object.values(REPORT_FILE_NAMES)) {
      expect(await readFile(join(b, name), 'utf8')).toBe(await readFile(join(a, name), 'utf8'));
    }
  });

  it('an unwritable destination is an environment error naming the folder', async () => {
    const file = join(dir, 'not-a-dir');
    await writeFile(file, 'x');
    await expect(writeReports(failingReport(), join(file, 'run'))).rejects.toSatisfy(
      (e: unknown) => e instanceof AgentcheckError && e.code === 'environment' && e.message.includes(join(file, 'run')),
    );
    expect(() => writeReportsSync(failingReport(), join(file, 'run'))).toThrow(AgentcheckError);
  });

  it('a failed rename leaves no temp file behind and no partial report', async () => {
    // A directory where report.json should go makes the rename fail after the temp file was written.
    const out = join(dir, 'blocked');
    await writeReports(abortedReport(), out, ['markdown']);
    await mkdir(join(out, 'report.json'));
    await writeFile(join(out, 'report.json', 'keep'), 'x');
    await expect(writeReports(failingReport(), out)).rejects.toBeInstanceOf(AgentcheckError);
    expect((await readdir(out)).sort()).toEqual(['report.json', 'summary.md']);
  });
});

describe('defaultRunDir', () => {
  it('is .agentcheck/runs/<timestamp> with a file-name-safe timestamp that sorts by time', () => {
    const a = defaultRunDir(new Date('2025-01-15T10:00:00.123Z'));
    expect(a).toBe(['.agentcheck', 'runs', '2025-01-15T10-00-00-123Z'].join(sep));
    const b = defaultRunDir(new Date('2025-01-15T10:00:01.000Z'));
    expect([b, a].sort()).toEqual([a, b]);
    expect(defaultRunDir(new Date(0), '/x')).toBe(join('/x', '.agentcheck', 'runs', '1970-01-01T00-00-00-000Z'));
    expect(defaultRunDir()).toMatch(/^\.agentcheck[\\/]runs[\\/]\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d-\d{3}Z$/);
  });
});

describe('parseReportFormats', () => {
  it('accepts names, aliases and all; rejects the unknown listing the valid ones', () => {
    expect(parseReportFormats('json,junit')).toEqual(['json', 'junit']);
    expect(parseReportFormats(' md , xml,md')).toEqual(['markdown', 'junit']);
    expect(parseReportFormats('all')).toEqual(['json', 'junit', 'markdown', 'html']);
    expect(() => parseReportFormats('json,pdf')).toThrow(/unknown report format "pdf"/);
    expect(() => parseReportFormats(',')).toThrow(/no report format/);
    try {
      parseReportFormats('pdf');
    } catch (e) {
      expect((e as AgentcheckError).code).toBe('usage');
      expect((e as AgentcheckError).hint).toBe('valid formats: json, junit, markdown, html, all');
    }
  });
});

describe('appendStepSummary', () => {
  it('appends the Markdown summary to $GITHUB_STEP_SUMMARY, and does nothing without it', async () => {
    const path = join(dir, 'summary');
    await writeFile(path, 'before\n');
    expect(await appendStepSummary(failingReport(), { GITHUB_STEP_SUMMARY: path })).toBe(path);
    expect(await appendStepSummary(abortedReport(), { GITHUB_STEP_SUMMARY: path })).toBe(path);
    const text = await readFile(path, 'utf8');
    expect(text.startsWith('before\n## ❌ agentcheck scenario: FAIL')).toBe(true);
    expect(text).toContain('## 🛑 agentcheck scenario: ABORTED');
    expect(await appendStepSummary(failingReport(), {})).toBeUndefined();
  });
});
