/**
 * Inline SVG time-series charts for report.html: no script, no external resource, no `url(#…)`
 * references (so the page can forbid every fetch). Styled through classes the page's stylesheet defines.
 */
import { escapeHtml as esc } from './escape.js';
import type { FaultWindow, TimePoint } from './model.js';

/** One line of a chart. `area` also fills under the line. */
export interface ChartSeries {
  name: string;
  /** CSS class of the line (the page's stylesheet gives it a colour). */
  className: string;
  /** [x in ms since the start, y or null for "no data" (a gap)]. */
  points: Array<[number, number | null]>;
  area?: boolean;
}

/** A labelled vertical marker band at the top of the chart, e.g. a phase. */
export interface ChartBand {
  label: string;
  startMs: number;
  endMs: number;
}

/** Everything a time-series chart draws. */
export interface ChartSpec {
  /** Accessible name of the chart. */
  title: string;
  series: ChartSeries[];
  xMaxMs: number;
  /** Formats a y value for the axis and tooltips. */
  formatY: (y: number) => string;
  /** Smallest top of the y axis (so a flat zero line does not fill the chart). */
  minYMax?: number;
  faults: FaultWindow[];
  phases: ChartBand[];
  /** Pixel width and height of the drawing (the SVG scales to its container). Defaults 960 × 280. */
  width?: number;
  height?: number;
}

/** Most points drawn per series; longer timelines are reduced first (see {@link downsampleTimeline}). */
export const MAX_CHART_POINTS = 1200;

/** Most tooltip targets per chart; beyond it hovering shows nothing (keeps the file small). */
const MAX_TOOLTIPS = 400;

const FONT_W = 6.4; // average glyph width at 11px in a sans-serif font, for fitting labels without measuring

/** Rounds a step up to 1, 2 or 5 × 10^k. */
function niceStep(raw: number): number {
  if (!(raw > 0) || !Number.isFinite(raw)) return 1;
  const p = 10 ** Math.floor(Math.log10(raw));
  const f = raw / p;
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * p;
}

/** Tick values from 0 to at least `max`, about `count` of them, on a 1-2-5 step. */
export function niceTicks(max: number, count = 5): number[] {
  const m = Number.isFinite(max) && max > 0 ? max : 1;
  const step = niceStep(m / count);
  // Multiplying an index (not adding a step) keeps float error from adding or losing a tick; the cap
  // bounds the loop whatever the input.
  const steps = Math.min(4 * count, Math.max(1, Math.ceil(m / step - 1e-9)));
  const ticks: number[] = [];
  for (let i = 0; i <= steps; i++) ticks.push(Number((i * step).toPrecision(12)));
  return ticks;
}

/** Time ticks in ms on whole seconds/minutes. */
function timeTicks(maxMs: number): number[] {
  const candidates = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200].map((s) => s * 1000);
  const step = candidates.find((c) => maxMs / c <= 10) ?? niceStep(maxMs / 8);
  const steps = Math.min(20, Math.floor(maxMs / step + 1e-9));
  const ticks: number[] = [];
  for (let i = 0; i <= steps; i++) ticks.push(i * step);
  return ticks;
}

/** Formats a time tick: `45 s`, `1:30`, `1:00:00`. */
export function formatTimeTick(ms: number, maxMs: number): string {
  const s = Math.round(ms / 1000);
  if (maxMs < 120_000) return `${s} s`;
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

function fit(label: string, widthPx: number): string {
  const max = Math.floor(widthPx / FONT_W);
  if (label.length <= max) return label;
  if (max <= 1) return '';
  return `${label.slice(0, max - 1)}…`;
}

function n(v: number): string {
  return Number.isFinite(v) ? String(Math.round(v * 10) / 10) : '0';
}

/** Merges fault windows with the same span into one with joined labels (several faults in one phase). */
export function mergeFaultWindows(windows: FaultWindow[]): FaultWindow[] {
  const bySpan = new Map<string, FaultWindow>();
  for (const w of windows) {
    const key = `${w.startMs}:${w.endMs}`;
    const prev = bySpan.get(key);
    if (prev) {
      if (!prev.label.split(' + ').includes(w.label)) prev.label = `${prev.label} + ${w.label}`;
    } else {
      bySpan.set(key, { ...w });
    }
  }
  return [...bySpan.values()].sort((a, b) => a.startMs - b.startMs || a.endMs - b.endMs);
}

/** Assigns each (sorted) window a label row so overlapping windows' labels do not collide. */
function labelRows(windows: FaultWindow[]): number[] {
  const rowEnds: number[] = [];
  return windows.map((w) => {
    let row = rowEnds.findIndex((end) => end <= w.startMs);
    if (row === -1) {
      row = rowEnds.length;
      rowEnds.push(w.endMs);
    } else {
      rowEnds[row] = w.endMs;
    }
    return row;
  });
}

/** Renders one time-series chart as an inline `<svg>` element. */
export function renderTimeChart(spec: ChartSpec): string {
  const width = spec.width ?? 960;
  const faults = mergeFaultWindows(spec.faults.filter((w) => Number.isFinite(w.startMs) && Number.isFinite(w.endMs) && w.endMs > w.startMs));
  const rows = labelRows(faults);
  const faultRows = Math.min(3, Math.max(0, ...rows.map((r) => r + 1)));
  const phaseBand = spec.phases.length > 0 ? 18 : 0;
  const margin = { left: 64, right: 18, top: 10 + phaseBand, bottom: 30 };
  const height = (spec.height ?? 280) + phaseBand;
  const plotW = width - margin.left - margin.right;
  const plotH = height - margin.top - margin.bottom;
  const xMax = Number.isFinite(spec.xMaxMs) && spec.xMaxMs > 0 ? spec.xMaxMs : 1;

  let yMaxData = 0;
  for (const s of spec.series) for (const [, y] of s.points) if (y !== null && Number.isFinite(y) && y > yMaxData) yMaxData = y;
  const yTicks = niceTicks(Math.min(Number.MAX_VALUE / 4, Math.max(yMaxData * 1.05, spec.minYMax ?? 0)));
  const yMax = yTicks[yTicks.length - 1] ?? 1;

  const x = (ms: number): number => margin.left + (Math.min(Math.max(ms, 0), xMax) / xMax) * plotW;
  const y = (v: number): number => margin.top + plotH - (Math.min(Math.max(v, 0), yMax) / yMax) * plotH;
  const bottom = margin.top + plotH;
  const out: string[] = [];
  out.push(
    `<svg class="chart" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${esc(spec.title)}" preserveAspectRatio="xMidYMid meet">`,
  );

  // Phase band: alternating strips above the plot with the phase names, and boundaries through the plot.
  spec.phases.forEach((p, i) => {
    const x0 = x(p.startMs);
    const x1 = x(p.endMs);
    if (x1 - x0 < 0.5) return;
    out.push(`<rect class="phase-band${i % 2 ? ' odd' : ''}" x="${n(x0)}" y="${n(margin.top - phaseBand)}" width="${n(x1 - x0)}" height="${phaseBand - 2}"><title>${esc(p.label)}</title></rect>`);
    const label = fit(p.label, x1 - x0 - 8);
    if (label) out.push(`<text class="phase-label" x="${n(x0 + 4)}" y="${n(margin.top - phaseBand + 12)}">${esc(label)}</text>`);
    if (i > 0) out.push(`<line class="phase-line" x1="${n(x0)}" x2="${n(x0)}" y1="${n(margin.top)}" y2="${n(bottom)}"/>`);
  });

  // Fault windows: shaded under everything else, labelled at the top of the plot.
  faults.forEach((w, i) => {
    const x0 = x(w.startMs);
    const x1 = Math.max(x(w.endMs), x0 + 1);
    out.push(`<rect class="fault" x="${n(x0)}" y="${n(margin.top)}" width="${n(x1 - x0)}" height="${n(plotH)}"><title>fault: ${esc(w.label)}</title></rect>`);
    out.push(`<line class="fault-edge" x1="${n(x0)}" x2="${n(x0)}" y1="${n(margin.top)}" y2="${n(bottom)}"/>`);
    out.push(`<line class="fault-edge" x1="${n(x1)}" x2="${n(x1)}" y1="${n(margin.top)}" y2="${n(bottom)}"/>`);
    const row = rows[i] ?? 0;
    if (row < faultRows) {
      const label = fit(w.label, x1 - x0 - 8);
      if (label) out.push(`<text class="fault-label" x="${n(x0 + 4)}" y="${n(margin.top + 13 + row * 14)}">${esc(label)}</text>`);
    }
  });

  // Grid and axes.
  for (const t of yTicks) {
    const yy = y(t);
    out.push(`<line class="grid" x1="${margin.left}" x2="${n(margin.left + plotW)}" y1="${n(yy)}" y2="${n(yy)}"/>`);
    out.push(`<text class="tick y" x="${margin.left - 8}" y="${n(yy + 4)}">${esc(spec.formatY(t))}</text>`);
  }
  for (const t of timeTicks(xMax)) {
    const xx = x(t);
    out.push(`<line class="tick-mark" x1="${n(xx)}" x2="${n(xx)}" y1="${n(bottom)}" y2="${n(bottom + 5)}"/>`);
    out.push(`<text class="tick x" x="${n(xx)}" y="${n(bottom + 18)}">${esc(formatTimeTick(t, xMax))}</text>`);
  }
  out.push(`<line class="axis" x1="${margin.left}" x2="${n(margin.left + plotW)}" y1="${n(bottom)}" y2="${n(bottom)}"/>`);

  // Series: a gap wherever a bucket had no data, so "no data" never looks like zero.
  let tooltips = 0;
  const totalPoints = spec.series.reduce((sum, s) => sum + s.points.length, 0);
  for (const s of spec.series) {
    const segments: Array<Array<[number, number]>> = [];
    let current: Array<[number, number]> = [];
    for (const [px, py] of s.points) {
      if (!Number.isFinite(px)) continue;
      if (py === null || !Number.isFinite(py)) {
        if (current.length > 0) segments.push(current);
        current = [];
      } else {
        current.push([x(px), y(py)]);
      }
    }
    if (current.length > 0) segments.push(current);
    for (const seg of segments) {
      const pts = seg.map(([a, b]) => `${n(a)},${n(b)}`).join(' ');
      const first = seg[0];
      const last = seg[seg.length - 1];
      if (s.area && first && last && seg.length > 1) {
        out.push(`<polygon class="area ${s.className}" points="${n(first[0])},${n(bottom)} ${pts} ${n(last[0])},${n(bottom)}"/>`);
      }
      if (seg.length === 1 && first) out.push(`<circle class="dot ${s.className}" cx="${n(first[0])}" cy="${n(first[1])}" r="2.5"/>`);
      else out.push(`<polyline class="line ${s.className}" points="${pts}"/>`);
    }
    if (totalPoints <= MAX_TOOLTIPS) {
      for (const [px, py] of s.points) {
        if (py === null || !Number.isFinite(py) || !Number.isFinite(px) || tooltips >= MAX_TOOLTIPS) continue;
        tooltips++;
        out.push(
          `<circle class="hover" cx="${n(x(px))}" cy="${n(y(py))}" r="5"><title>${esc(`${s.name} ${spec.formatY(py)} at ${formatTimeTick(px, 0)}`)}</title></circle>`,
        );
      }
    }
  }
  out.push('</svg>');
  return out.join('\n');
}

/** The width of one timeline bucket: the most common gap between consecutive points. */
export function bucketWidthMs(timeline: TimePoint[], fallbackMs: number): number {
  const gaps = new Map<number, number>();
  for (let i = 1; i < timeline.length; i++) {
    const a = timeline[i - 1];
    const b = timeline[i];
    if (!a || !b) continue;
    const g = b.tMs - a.tMs;
    if (g > 0) gaps.set(g, (gaps.get(g) ?? 0) + 1);
  }
  let best = 0;
  let bestCount = 0;
  for (const [g, c] of gaps) if (c > bestCount || (c === bestCount && g < best)) [best, bestCount] = [g, c];
  if (best > 0) return best;
  return Number.isFinite(fallbackMs) && fallbackMs >= 1 ? fallbackMs : 1000;
}

/**
 * Reduces a timeline to at most `max` points by merging neighbours: requests and errors add up,
 * p99 keeps the worst (a spike must stay visible), p50 is the request-weighted mean.
 */
export function downsampleTimeline(timeline: TimePoint[], max = MAX_CHART_POINTS): TimePoint[] {
  if (timeline.length <= max) return timeline;
  const k = Math.ceil(timeline.length / max);
  const out: TimePoint[] = [];
  for (let i = 0; i < timeline.length; i += k) {
    const group = timeline.slice(i, i + k);
    const first = group[0];
    if (!first) continue;
    let requests = 0;
    let errors = 0;
    let p99: number | null = null;
    let p50Sum = 0;
    let p50Weight = 0;
    for (const p of group) {
      requests += p.requests;
      errors += p.errors;
      if (p.p99 !== null && (p99 === null || p.p99 > p99)) p99 = p.p99;
      if (p.p50 !== null) {
        const w = Math.max(1, p.requests);
        p50Sum += p.p50 * w;
        p50Weight += w;
      }
    }
    out.push({ tMs: first.tMs, requests, errors, p50: p50Weight > 0 ? p50Sum / p50Weight : null, p99 });
  }
  return out;
}
