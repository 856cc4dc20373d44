import type { DecisionBucket } from '../../store/console-store.js';
import { type Html, html } from './html.js';

/** The stacked series: accepted decisions, then rejections by failure category. */
export const SERIES = ['accepted', 'TRUST', 'TIME', 'CONTENT', 'INTERNAL'] as const;
type Series = (typeof SERIES)[number];

const WIDTH = 720;
const HEIGHT = 200;
const LEFT = 44;
const BOTTOM = 22;
const TOP = 8;

const seriesOf = (bucket: DecisionBucket): Series =>
  bucket.outcome === 'accepted'
    ? 'accepted'
    : (((SERIES as readonly string[]).includes(bucket.category) ? bucket.category : 'INTERNAL') as Series);

const label = (start: number, bucketMs: number) => {
  const iso = new Date(start).toISOString();
  return bucketMs >= 86_400_000 ? iso.slice(5, 10) : iso.slice(11, 16);
};

/**
 * Decisions over time as an inline SVG of stacked bars (no script, no style attribute: the
 * colours are classes of the console's style sheet), with a text title on every bar segment and
 * a table-free summary for screen readers in the figure caption.
 */
export function decisionChart(
  buckets: readonly DecisionBucket[],
  from: number,
  to: number,
  bucketMs: number,
  caption: string,
): Html {
  const count = Math.max(1, Math.ceil((to - from) / bucketMs));
  const totals = Array.from({ length: count }, () => new Map<Series, number>());
  for (const bucket of buckets) {
    const index = Math.floor((bucket.start - from) / bucketMs);
    if (index < 0 || index >= count) continue;
    const series = seriesOf(bucket);
    totals[index]!.set(series, (totals[index]!.get(series) ?? 0) + bucket.count);
  }
  const sums = totals.map((bar) => [...bar.values()].reduce((sum, value) => sum + value, 0));
  const max = Math.max(1, ...sums);
  const plotHeight = HEIGHT - TOP - BOTTOM;
  const slot = (WIDTH - LEFT) / count;
  const barWidth = Math.max(1, slot * 0.8);
  const grand = new Map<Series, number>();
  for (const bar of totals) for (const [series, value] of bar) grand.set(series, (grand.get(series) ?? 0) + value);
  const labelEvery = Math.ceil(count / 8);

  const bars = totals.map((bar, index) => {
    let y = HEIGHT - BOTTOM;
    const x = LEFT + index * slot + (slot - barWidth) / 2;
    const start = from + index * bucketMs;
    return SERIES.filter((series) => bar.get(series)).map((series) => {
      const value = bar.get(series)!;
      const height = (value / max) * plotHeight;
      y -= height;
      return html`<rect class="s-${series}" x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${barWidth.toFixed(1)}" height="${Math.max(0.5, height).toFixed(1)}"><title>${label(start, bucketMs)}: ${value} ${series === 'accepted' ? 'accepted' : `rejected (${series})`}</title></rect>`;
    });
  });
  const ticks = totals.map((_, index) =>
    index % labelEvery === 0
      ? html`<text x="${(LEFT + index * slot + slot / 2).toFixed(1)}" y="${HEIGHT - 6}" text-anchor="middle">${label(from + index * bucketMs, bucketMs)}</text>`
      : '',
  );
  const summary = SERIES.map(
    (series) => `${grand.get(series) ?? 0} ${series === 'accepted' ? 'accepted' : series}`,
  ).join(', ');
  return html`<figure class="chart">
<figcaption>${caption} — ${summary}</figcaption>
<svg viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-label="${caption}: ${summary}">
<line class="axis" x1="${LEFT}" y1="${HEIGHT - BOTTOM}" x2="${WIDTH}" y2="${HEIGHT - BOTTOM}"/>
<text x="${LEFT - 6}" y="${TOP + 10}" text-anchor="end">${max}</text>
<text x="${LEFT - 6}" y="${HEIGHT - BOTTOM}" text-anchor="end">0</text>
${bars}${ticks}
</svg>
<ul class="legend">${SERIES.map((series) => html`<li class="s-${series}">${series === 'accepted' ? 'Accepted' : `Rejected: ${series}`}</li>`)}</ul>
</figure>`;
}
