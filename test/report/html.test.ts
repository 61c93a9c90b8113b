import { describe, expect, it } from 'vitest';
import { renderHtml } from '../../src/report/html.js';
import type { RunReport } from '../../src/report/model.js';
import { abortedReport, failingReport, HOSTILE, hostileReport, invalidReport, makeTimeline, passingReport } from './fixtures.js';

/** Fails on anything that would make the browser fetch: resource attributes, CSS urls/imports, scripts. */
function expectNoNetwork(html: string): void {
  expect(html).not.toMatch(/\s(src|href|xlink:href|srcset|action|formaction|poster|data|background)\s*=/i);
  expect(html).not.toMatch(/url\s*\(/i);
  expect(html).not.toMatch(/@import/i);
  expect(html).not.toMatch(/<(script|link|img|iframe|object|embed|video|audio|source|base|form)\b/i);
  expect(html).toContain(`<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">`);
}

/** The <svg> elements of the page. */
function svgs(html: string): string[] {
  return [...html.matchAll(/<svg\b[\s\S]*?<\/svg>/g)].map((m) => m[0]);
}

describe('renderHtml', () => {
  it('is one self-contained document with no network reference at all when no user text holds a URL', () => {
    const r = passingReport();
    r.agents = r.agents.map(({ url: _url, ...a }) => a);
    const html = renderHtml(r);
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html.trimEnd().endsWith('</html>')).toBe(true);
    expect(html).not.toMatch(/https?:\/\//);
    expect(html).not.toContain('xmlns');
    expectNoNetwork(html);
  });

  it('draws latency (p50 and p99 lines) and error rate over time with the fault windows shaded and labelled', () => {
    const html = renderHtml(passingReport());
    const charts = svgs(html);
    expect(charts).toHaveLength(2);
    const [latency, errors] = charts as [string, string];
    expect(latency).toContain('aria-label="Latency over time (p50 and p99)"');
    expect(latency.match(/<polyline class="line p50"/g)).toHaveLength(1);
    expect(latency.match(/<polyline class="line p99"/g)).toHaveLength(1);
    // 60 one-second buckets: one vertex per bucket.
    const p99 = /<polyline class="line p99" points="([^"]+)"/.exec(latency)?.[1] ?? '';
    expect(p99.split(' ')).toHaveLength(60);
    for (const svg of [latency, errors]) {
      const fault = /<rect class="fault" x="([\d.]+)" y="[\d.]+" width="([\d.]+)"/.exec(svg);
      expect(fault).not.toBeNull();
      // The 20 s–40 s window over a 60 s axis spans a third of the plot (960 − 64 − 18 = 878 px wide).
      expect(Number(fault?.[1])).toBeCloseTo(64 + 878 / 3, 0);
      expect(Number(fault?.[2])).toBeCloseTo(878 / 3, 0);
      expect(svg).toContain('<text class="fault-label"');
      expect(svg).toContain('latency on planner-&gt;payments');
      expect(svg).toContain('<text class="phase-label"');
    }
    expect(errors).toContain('aria-label="Error rate over time"');
    expect(errors).toContain('<polygon class="area err"');
    expectNoNetwork(html);
  });

  it('a bucket with no data is a gap in the line, not a zero', () => {
    const r = passingReport();
    const tl = makeTimeline(10, 3, 5);
    const gap = tl[4];
    if (gap) Object.assign(gap, { p50: null, p99: null, requests: 0, errors: 0 });
    r.timeline = tl;
    r.phases = [];
    r.faultWindows = [];
    r.durationMs = 10_000;
    const latency = svgs(renderHtml(r))[0] ?? '';
    expect(latency.match(/<polyline class="line p99"/g)).toHaveLength(2);
    expect(latency).not.toContain('class="fault"');
  });

  it('shows the tables with the figures', () => {
    const html = renderHtml(failingReport());
    expect(html).toContain('<title>agentcheck: FAIL — order-fulfilment (buggy payments)</title>');
    expect(html).toContain('<header class="banner v-fail">');
    expect(html).toContain('<li>invariant payments-exactly-once failed: 3 orders charged twice: o-1, o-7, o-9</li>');
    for (const h of ['Over time', 'Budgets', 'Invariants', 'Phases', 'Edges', 'Agents', 'Checks', 'Load generator']) expect(html).toContain(`<h2>${h}</h2>`);
    // The breached budget row: status, expression, measured, objective, samples, burn rates, reason.
    const row = html.split('\n').find((l) => l.includes('p99 512.8 ms exceeds 300 ms')) ?? '';
    expect(row).toContain('<tr class="row-fail">');
    for (const cell of ['FAIL', '<code>p(99) &lt; 300ms</code>', '513 ms', '300 ms', '4,050', '16.2×', 'max window 31.5×']) expect(row).toContain(cell);
    const edge = html.split('\n').find((l) => l.includes('<code>planner-&gt;payments</code>')) ?? '';
    for (const cell of ['12,270', '52.4 ms', '181 ms', '99.8 %', 'latency ×4,050', '87 %']) expect(edge).toContain(cell);
    const phase = html.split('\n').find((l) => l.startsWith('<tr><td>latency-on-payments')) ?? '';
    for (const cell of ['4,050', '197 ms', '513 ms', '203/s', 'latency on planner-&gt;payments (downstream)']) expect(phase).toContain(cell);
    expect(html).toContain('<details><summary>details</summary><pre>{\n  &quot;duplicated&quot;: [');
    expectNoNetwork(html);
  });

  it('an aborted run with an empty timeline and no edges says so instead of drawing empty charts', () => {
    const html = renderHtml(abortedReport());
    expect(svgs(html)).toHaveLength(0);
    expect(html).toContain('No timeline data');
    expect(html).toContain('This run was aborted by <b>SIGINT</b>: interrupted during baseline.');
    expect(html).not.toContain('<h2>Edges</h2>');
    expect(html).toContain('<header class="banner v-aborted">');
    expectNoNetwork(html);
  });

  it('invalid run: amber banner, invalid pills, "–" for no data', () => {
    const html = renderHtml(invalidReport());
    expect(html).toContain('<header class="banner v-invalid">');
    expect(html).toContain('<span class="pill s-invalid">INVALID</span>');
    const row = html.split('\n').find((l) => l.startsWith('<tr') && l.includes('workflow.latency')) ?? '';
    expect(row).toContain('<td class="num">–</td>');
    expect(row).toContain('no data');
  });

  it('escapes every hostile string; nothing the user wrote becomes markup', () => {
    const r: RunReport = hostileReport();
    const html = renderHtml(r);
    expect(html).not.toContain('<script');
    expect(html).not.toContain('\u001b');
    expect(html).not.toContain('\u0000');
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
    expect(html).toContain('a &amp; b &amp;amp; c');
    expect(html).toContain('end ]]&gt; of cdata');
    expect(html).toContain('&quot;double&quot; and &#39;single&#39;');
    expect(html).toContain(HOSTILE.emoji);
    // The only tags are the ones the renderer writes.
    const tags = new Set([...html.matchAll(/<\/?([a-zA-Z][a-zA-Z0-9-]*)/g)].map((m) => m[1]?.toLowerCase()));
    const allowed = ['html', 'head', 'meta', 'title', 'style', 'body', 'main', 'header', 'div', 'h1', 'h2', 'ul', 'li', 'span', 'b', 'section', 'figure', 'figcaption', 'i', 'svg', 'rect', 'text', 'line', 'polyline', 'polygon', 'circle', 'table', 'thead', 'tbody', 'tr', 'th', 'td', 'code', 'br', 'details', 'summary', 'pre', 'p', 'small', 'footer'];
    for (const t of tags) expect(allowed).toContain(t);
    expectNoNetwork(html);
  });

  it('keeps a long run small: the timeline is reduced, spikes survive, tooltips are capped', () => {
    const r = passingReport();
    r.timeline = makeTimeline(3600, 1800, 1810);
    const spike = r.timeline[1805];
    if (spike) spike.p99 = 9000;
    r.durationMs = 3_600_000;
    r.phases = [];
    r.faultWindows = [{ startMs: 1_800_000, endMs: 1_810_000, label: 'stall' }];
    const html = renderHtml(r);
    expect(html.length).toBeLessThan(400_000);
    const latency = svgs(html)[0] ?? '';
    expect(latency).toContain('>10.0 s</text>'); // y axis top above the 9 s spike
    expect(latency).not.toContain('class="hover"');
  });
});

describe('renderHtml on odd figures', () => {
  it('never throws and never writes NaN/Infinity into the SVG, whatever numbers the timeline holds', async () => {
    const fc = (await import('fast-check')).default;
    const num = fc.oneof(fc.double(), fc.constantFrom(Number.NaN, Infinity, -Infinity, 0, -1, 1e12));
    const point = fc.record({ tMs: num, requests: num, errors: num, p50: fc.option(num, { nil: null }), p99: fc.option(num, { nil: null }) });
    const windowArb = fc.record({ startMs: num, endMs: num, label: fc.string() });
    fc.assert(
      fc.property(fc.array(point, { maxLength: 40 }), fc.array(windowArb, { maxLength: 4 }), num, (timeline, faultWindows, durationMs) => {
        const r = passingReport();
        r.timeline = timeline;
        r.faultWindows = faultWindows;
        r.durationMs = durationMs;
        const html = renderHtml(r);
        for (const svg of svgs(html)) expect(svg).not.toMatch(/NaN|Infinity/);
        expectNoNetwork(html);
      }),
      { numRuns: 300 },
    );
  });
});
