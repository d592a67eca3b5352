// Browser side: elements built from text (never from HTML strings), tables, uPlot charts and the world map.

interface UPlotChart { destroy(): void }
interface UPlotStatic {
  new (opts: object, data: (number | null)[][], target: HTMLElement): UPlotChart;
  paths: { bars(opts: object): unknown };
}
declare const uPlot: UPlotStatic;

type Child = Node | string | number | null | undefined | false;

/** An element with attributes and children; strings become text nodes, so file contents never become markup. */
function h(tag: string, attrs: Record<string, string | number | undefined> = {}, ...children: Child[]): HTMLElement {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined) el.setAttribute(k, String(v));
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.append(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
  }
  return el;
}

/** A table with a caption, a header row and cells (a cell is text, or an element). */
function table(caption: string, head: string[], rows: Child[][], attrs: Record<string, string> = {}): HTMLElement {
  return h('table', attrs, h('caption', {}, caption), h('thead', {}, h('tr', {}, ...head.map((c) => h('th', { scope: 'col' }, c)))),
    h('tbody', {}, ...rows.map((r) => h('tr', {}, ...r.map((c) => h('td', {}, c))))));
}

/** A figure that says what a value is: its text, with the raw number kept for tests and copy-paste. */
function figure(label: string, text: string, value: number | null, testId: string): HTMLElement {
  return h('div', { class: 'card' }, h('div', { class: 'label' }, label),
    h('div', { class: 'value', 'data-testid': testId, 'data-value': value === null ? '' : String(value) }, text));
}

const palette = ['#2e7d32', '#1565c0', '#ef6c00', '#6a1b9a', '#00838f', '#c62828', '#558b2f', '#4e342e'];
const charts: UPlotChart[] = [];

/** Destroys every chart drawn so far (before the page is drawn again). */
function destroyCharts(): void {
  for (const c of charts.splice(0)) c.destroy();
}

/** A chart's box: a label for screen readers, the chart, then its data as a table behind a disclosure. */
function chartBox(id: string, description: string, alt: HTMLElement): { box: HTMLElement; plot: HTMLElement } {
  const plot = h('div', { class: 'plot', role: 'img', 'aria-label': description, 'data-chart': id });
  return { box: h('figure', { class: 'chart' }, plot, h('figcaption', {}, description), h('details', {}, h('summary', {}, 'Data as a table'), alt)), plot };
}

/** Width available to a chart in `el` (its view is shown before charts are drawn). */
function widthOf(el: HTMLElement): number {
  return Math.max(320, Math.min(1100, (el.parentElement?.clientWidth ?? 640) - 8));
}

/** A time-series line chart: x in epoch seconds, one series per entry, values formatted by `fmt`. */
function lineChart(plot: HTMLElement, xs: number[], series: { label: string; values: (number | null)[] }[], fmt: (v: number) => string): void {
  // One point alone gives uPlot no span: an hour either side of it.
  const only = xs.length === 1 ? xs[0]! : null;
  const opts = {
    width: widthOf(plot), height: 260,
    scales: only === null ? {} : { x: { time: true, range: [only - 3600, only + 3600] } },
    series: [{}, ...series.map((s, i) => ({ label: s.label, stroke: palette[i % palette.length], width: 2, points: { show: true, size: 6 },
      value: (_u: unknown, v: number | null) => (v === null ? '—' : fmt(v)) }))],
    axes: [{}, { size: 80, values: (_u: unknown, ticks: number[]) => ticks.map(fmt) }],
  };
  charts.push(new uPlot(opts, [xs, ...series.map((s) => s.values)], plot));
}

/** A bar chart over categories (labels on the x axis), values formatted by `fmt`. */
function barChart(plot: HTMLElement, labels: string[], values: number[], fmt: (v: number) => string, color = palette[0]!): void {
  const xs = labels.map((_, i) => i);
  const long = labels.some((l) => l.length > 8);
  const opts = {
    width: widthOf(plot), height: 240, legend: { show: false },
    scales: { x: { time: false, range: [-0.5, labels.length - 0.5] }, y: { range: (_u: unknown, _min: number, max: number) => [0, max > 0 ? max * 1.1 : 1] } },
    series: [{}, { label: 'value', fill: color, stroke: color, paths: uPlot.paths.bars({ size: [0.6, 60] }), points: { show: false } }],
    axes: [{ values: (_u: unknown, ticks: number[]) => ticks.map((t) => (Number.isInteger(t) ? (labels[t] ?? '') : '')), splits: () => xs,
      ...(long ? { rotate: -30, size: 120 } : {}) },
      { size: 80, values: (_u: unknown, ticks: number[]) => ticks.map(fmt) }],
  };
  charts.push(new uPlot(opts, [xs, values], plot));
}

/** Green to red over 0…800 gCO2e/kWh, grey for no figure. */
function intensityColor(g: number | undefined): string {
  if (g === undefined || !Number.isFinite(g)) return '#ccc';
  const t = Math.max(0, Math.min(1, g / 800));
  const hue = 120 - 120 * t;
  return `hsl(${hue.toFixed(0)} 70% ${(45 - 10 * t).toFixed(0)}%)`;
}

interface WorldShapes { width: number; height: number; countries: Record<string, { name: string; d: string }> }

/** The world map: each country filled with `colors`' colour (grey when none), titled with `label(iso3)`. */
function worldMap(shapes: WorldShapes, colors: Map<string, string>, label: (iso3: string) => string, here: string): SVGSVGElement {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', `0 0 ${shapes.width} ${shapes.height}`);
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', 'World map of grid carbon intensity (or a source\'s share of generation) per country: '
    + 'green is low-carbon, red is not; the tables below list every country\'s intensity.');
  svg.setAttribute('class', 'map');
  for (const [iso3, c] of Object.entries(shapes.countries)) {
    const p = document.createElementNS(ns, 'path');
    p.setAttribute('d', c.d);
    p.setAttribute('fill', colors.get(iso3) ?? intensityColor(undefined));
    p.setAttribute('data-iso3', iso3);
    if (iso3 === here) p.setAttribute('class', 'here');
    const title = document.createElementNS(ns, 'title');
    title.textContent = label(iso3) || `${c.name}: no figure`;
    p.append(title);
    svg.append(p);
  }
  return svg;
}
