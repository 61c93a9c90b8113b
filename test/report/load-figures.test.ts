import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { renderHtml } from '../../src/report/html.js';
import { loadFigures, words } from '../../src/report/load-figures.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { passingReport } from './fixtures.js';

const generator = {
  model: 'open',
  arrivals: 12_000,
  sent: 12_000,
  late: 31,
  lateFraction: 0.0026,
  lateToleranceMs: 50,
  maxLatenessMs: 180.4,
  p50LatenessMs: 0.21,
  p99LatenessMs: 12.7,
  dropped: 0,
  maxInFlight: 1024,
  inFlightPeak: 77,
  abandoned: 0,
  cpuPercent: 41.234,
  eventLoopUtilization: 0.38,
  eventLoopDelayP99Ms: 11.2,
  eventLoopDelayMaxMs: 30.1,
  achievedRate: 199.8,
  validity: { valid: true, reasons: [] },
};

describe('load generator figures in words', () => {
  it('labels the known figures in words with their units, in a fixed order', () => {
    expect(loadFigures(generator)).toEqual([
      { label: 'model', value: 'open' },
      { label: 'achieved rate', value: '199.8/s' },
      { label: 'arrivals scheduled', value: '12,000' },
      { label: 'sent', value: '12,000' },
      { label: 'late arrivals', value: '31' },
      { label: 'late arrivals (share)', value: '0.26 %' },
      { label: 'late after', value: '50.0 ms' },
      { label: 'send delay p50', value: '0.21 ms' },
      { label: 'send delay p99', value: '12.7 ms' },
      { label: 'send delay max', value: '180 ms' },
      { label: 'arrivals dropped (too many in flight)', value: '0' },
      { label: 'in-flight cap', value: '1,024' },
      { label: 'in-flight peak', value: '77' },
      { label: 'abandoned at stop', value: '0' },
      { label: 'generator CPU (% of a core)', value: '41.2 %' },
      { label: 'event loop busy', value: '38 %' },
      { label: 'event loop delay p99', value: '11.2 ms' },
      { label: 'event loop delay max', value: '30.1 ms' },
      { label: 'kept up', value: 'yes' },
    ]);
    expect(loadFigures({ valid: false, invalidReasons: ['12 % of arrivals late'], targetRate: 200 })).toEqual([
      { label: 'target rate', value: '200/s' },
      { label: 'kept up', value: 'no' },
      { label: 'why not', value: '12 % of arrivals late' },
    ]);
  });

  it('splits unknown camelCase keys into lower-case words (property: no capital letter survives)', () => {
    expect(words('lateArrivals')).toBe('late arrivals');
    expect(words('p99LatenessMs')).toBe('p99 lateness ms');
    expect(words('HTTPRetries')).toBe('http retries');
    expect(words('queue_depth-max')).toBe('queue depth max');
    fc.assert(fc.property(fc.stringMatching(/^[a-zA-Z0-9_]{1,30}$/), (k) => words(k) === words(k).toLowerCase() && !/[A-Z]/.test(words(k))));
  });

  it('HTML and Markdown show the words, never the camelCase keys', () => {
    const r = passingReport();
    r.load = { ...generator, targetRate: 200, someNewFigure: 3 };
    const html = renderHtml(r);
    const md = renderMarkdown(r);
    const htmlLoad = html.slice(html.indexOf('<h2>Load generator</h2>'));
    const mdLoad = md.slice(md.indexOf('### Load generator'));
    for (const out of [htmlLoad, mdLoad]) {
      expect(out).toContain('late arrivals');
      expect(out).toContain('achieved rate');
      expect(out).toContain('some new figure');
      for (const key of ['lateFraction', 'achievedRate', 'eventLoopUtilization', 'someNewFigure', 'validity']) expect(out).not.toContain(key);
    }
  });
});
