// Browser side: the views (overview, run, tasks, benchmarks, world, files), each an element and a function that draws its charts.

interface View { el: HTMLElement; draw: () => void }

const kgPerKwh = (g: number): number => g / 1000;

/** Totals across projects, the projects, and every run's emissions over time. */
function overviewView(m: BoardModel): View {
  const t = m.totals;
  const cards = h('div', { class: 'cards' },
    figure('Energy', fmtEnergy(t.energyKwh), t.energyKwh, 'total-energy'), figure('Emissions (CO2eq)', fmtMass(t.emissionsKg), t.emissionsKg, 'total-emissions'),
    figure('Duration', fmtDuration(t.durationS), t.durationS, 'total-duration'), figure('Runs', String(t.runs), t.runs, 'total-runs'),
    figure('Projects', String(t.projects), t.projects, 'total-projects'));
  if (m.projects.length === 0) {
    const empty = h('p', { class: 'empty', 'data-testid': 'empty' }, 'No runs yet: the files hold no emissions rows (see Files).');
    return { el: h('div', {}, cards, empty), draw: () => {} };
  }
  const rows = m.projects.map((p) => [p.name, p.runs.length, fmtEnergy(p.energyKwh), fmtMass(p.emissionsKg), fmtDuration(p.durationS),
    `${fmtNumber(p.equivalents.carKm, 'km')} by car`]);
  const xs = [...new Set(m.projects.flatMap((p) => p.runs.map((r) => r.series[r.series.length - 1]![0])))].sort((a, b) => a - b);
  const series = m.projects.map((p) => {
    const at = new Map(p.runs.map((r) => [r.series[r.series.length - 1]![0], r.emissionsKg]));
    return { label: p.name, values: xs.map((x) => at.get(x) ?? null) };
  });
  const alt = table('Emissions of each run', ['Project', 'Run', 'Ended', 'Emissions'],
    m.projects.flatMap((p) => p.runs.map((r) => [p.name, r.runId, r.timestamp, fmtMass(r.emissionsKg)])));
  const chart = chartBox('timeline', 'Emissions of each run over time, one line per project (kg CO2eq, units switch).', alt);
  const el = h('div', {}, cards, table('Projects', ['Project', 'Runs', 'Energy', 'Emissions', 'Duration', 'Equivalent'], rows, { 'data-testid': 'projects' }),
    h('h3', {}, 'Emissions over time'), chart.box);
  return { el, draw: () => lineChart(chart.plot, xs, series, fmtMass) };
}

function equivalentsBlock(p: ProjectView): HTMLElement {
  const e = p.equivalents;
  return h('div', { class: 'cards', 'data-testid': 'equivalents' },
    figure('Driven by car', fmtNumber(e.carKm, 'km'), e.carKm, 'eq-car'),
    figure('Watching a 32-inch LCD TV', fmtDuration(e.tvHours * 3600), e.tvHours, 'eq-tv'),
    figure('A US household\'s weekly emissions', fmtNumber(e.householdWeekPercent, '%'), e.householdWeekPercent, 'eq-household'));
}

/** A project's sums and equivalents, then one run: energy by component with sources, intensity, its rows over time. */
function runView(p: ProjectView, r: RunView): View {
  const comps = (['cpu', 'gpu', 'ram'] as const).map((c) => ({ c, ...r.components[c] }));
  const compTable = table('Energy by component', ['Component', 'Energy', 'Mean power', 'Source'],
    comps.map((c) => [c.c.toUpperCase(), fmtEnergy(c.energyKwh), fmtNumber(c.powerW, 'W'), c.source]), { 'data-testid': 'components' });
  const bars = chartBox('components', `Energy by component of run ${r.runId}: ${comps.map((c) => `${c.c.toUpperCase()} ${fmtEnergy(c.energyKwh)}`).join(', ')}.`,
    h('p', {}, 'See the table above.'));
  const i = r.intensity;
  const rowsAlt = table('The run\'s rows (cumulative)', ['Time', 'Emissions'], r.series.map(([x, kg]) => [new Date(x * 1000).toISOString(), fmtMass(kg)]));
  const timeline = chartBox('run-series', `Cumulative emissions of run ${r.runId}, one point per row written (${r.series.length}).`, rowsAlt);
  const el = h('div', {},
    h('h3', {}, `Project ${p.name}`), h('p', {}, `Infrastructure hosted at ${r.location}${r.cloud ? ` (${r.cloud.provider} ${r.cloud.region})` : ''}.`),
    h('div', { class: 'cards' }, figure('Project energy (all runs)', fmtEnergy(p.energyKwh), p.energyKwh, 'project-energy'),
      figure('Project emissions (all runs)', fmtMass(p.emissionsKg), p.emissionsKg, 'project-emissions')),
    h('h3', {}, 'Equivalents of the project\'s emissions'), equivalentsBlock(p),
    h('h3', {}, `Run ${r.runId}`), h('p', { class: 'where' }, `${r.file}, line ${r.line}; ended ${r.timestamp}`),
    h('div', { class: 'cards' }, figure('Energy', fmtEnergy(r.energyKwh), r.energyKwh, 'run-energy'),
      figure('Emissions (CO2eq)', fmtMass(r.emissionsKg), r.emissionsKg, 'run-emissions'), figure('Duration', fmtDuration(r.durationS), r.durationS, 'run-duration'),
      figure('Intensity', i.gCo2ePerKwh === null ? '—' : fmtNumber(i.gCo2ePerKwh, 'gCO2e/kWh'), i.gCo2ePerKwh, 'run-intensity')),
    h('p', { 'data-testid': 'intensity-source' }, `Intensity: ${i.source}; dataset ${i.dataset}, year ${i.year}.`),
    compTable, bars.box, h('h3', {}, 'Emissions over the run'), timeline.box);
  return { el, draw: () => {
    barChart(bars.plot, comps.map((c) => c.c.toUpperCase()), comps.map((c) => c.energyKwh), fmtEnergy);
    lineChart(timeline.plot, r.series.map((s) => s[0]), [{ label: 'emissions', values: r.series.map((s) => s[1]) }], fmtMass);
  } };
}

/** The run's tasks: sums, the top ones by energy (J and gCO2e each, folded counts, provisional rows marked). */
function tasksView(r: RunView): View {
  const t = r.tasks;
  if (t === null) return { el: h('p', { class: 'empty' }, `Run ${r.runId} has no task file beside its emissions file.`), draw: () => {} };
  const rest = t.rows - t.top.length;
  const rows = t.top.map((x, n) => [n + 1, x.name, fmtJoules(x.joules), fmtMass(x.gCo2e / 1000), fmtDuration(x.durationS), x.taskCount,
    x.taskCount > 1 ? `${fmtJoules(x.joules / x.taskCount)}, ${fmtMass(x.gCo2e / 1000 / x.taskCount)}` : '',
    x.final ? 'final' : h('span', { class: 'provisional' }, 'provisional'), x.resolution, x.endedBy]);
  const list = table(`Top ${t.top.length} task rows by energy${rest > 0 ? ` (${rest} more rows not listed)` : ''}`,
    ['#', 'Task', 'Energy', 'CO2eq', 'Duration', 'Tasks', 'Per task', 'Final', 'Resolution', 'Ended by'], rows, { 'data-testid': 'tasks' });
  const top10 = t.top.slice(0, 10);
  const listed = top10.map((x) => `${x.name} ${fmtJoules(x.joules)}`).join(', ');
  const chart = chartBox('tasks', `Energy of the ${top10.length} most energy-hungry task rows, largest first: ${listed}.`, h('p', {}, 'See the table below.'));
  const el = h('div', {}, h('p', { class: 'where' }, t.file),
    h('div', { class: 'cards' }, figure('Task rows', String(t.rows), t.rows, 'task-rows'),
      figure('Tasks (folded rows counted)', String(t.tasks), t.tasks, 'task-count'),
      figure('Energy', fmtJoules(t.joules), t.joules, 'task-energy'), figure('CO2eq', fmtMass(t.gCo2e / 1000), t.gCo2e, 'task-emissions'),
      figure('Provisional rows', String(t.provisional), t.provisional, 'task-provisional')),
    chart.box, list, table(`Top ${t.byName.length} task names by energy (every row of a name summed)`, ['Task', 'Rows', 'Tasks', 'Energy', 'CO2eq', 'Per task'],
      t.byName.map((n) => [n.name, n.rows, n.tasks, fmtJoules(n.joules), fmtMass(n.gCo2e / 1000), fmtJoules(n.joules / n.tasks)]), { 'data-testid': 'task-names' }));
  return { el, draw: () => barChart(chart.plot, top10.map((_, n) => `#${n + 1}`), top10.map((x) => x.joules), fmtJoules, '#1565c0') };
}

/** Each harness report: J/op and gCO2e/op per task, dynamic energy with the baseline's spread. */
function benchView(m: BoardModel): View {
  if (m.bench.length === 0) {
    return { el: h('p', { class: 'empty' }, 'No benchmark report given (codecarbon bench --json > report.json, then pass report.json).'), draw: () => {} };
  }
  const draws: (() => void)[] = [];
  const el = h('div', {}, ...m.bench.map((b, k) => {
    const rows = b.tasks.map((t) => [t.name, t.runs, t.joulesPerOp === null ? '—' : fmtJoules(t.joulesPerOp),
      t.dynamicJoulesPerOp === null ? '—' : `${fmtJoules(t.dynamicJoulesPerOp)} ± ${fmtJoules(t.spreadJoulesPerOp ?? 0)}`,
      t.gCo2ePerOp === null ? '—' : fmtMass(t.gCo2ePerOp / 1000), t.sources, t.notes]);
    // A task with no operation completed has no figure to draw.
    const drawn = b.tasks.filter((t): t is typeof t & { joulesPerOp: number } => t.joulesPerOp !== null);
    const tbl = table('Energy per operation', ['Task', 'Ops', 'J/op', 'Dynamic J/op ± spread', 'CO2eq/op', 'Sources', 'Notes'], rows, { 'data-testid': `bench-${k}` });
    const listed = drawn.map((t) => `${t.name} ${fmtJoules(t.joulesPerOp)}`).join(', ');
    const chart = chartBox(`bench-${k}`, `Energy per operation of each task: ${listed}.`, h('p', {}, 'See the table below.'));
    draws.push(() => barChart(chart.plot, drawn.map((t) => t.name), drawn.map((t) => t.joulesPerOp), fmtJoules, '#6a1b9a'));
    const bl = b.baseline;
    const base = bl === null ? 'no baseline measured' : `baseline ${fmtNumber(bl.watts, 'W')} ± ${fmtNumber(bl.spreadWatts, 'W')} over ${bl.slices} slices`;
    const about = `Intensity ${fmtNumber(b.intensity.gCo2ePerKwh, 'gCO2e/kWh')}: ${b.intensity.detail}; ${base}.`;
    return h('section', {}, h('h3', {}, b.file), h('p', {}, about), chart.box, tbl);
  }));
  return { el, draw: () => draws.forEach((d) => d()) };
}

/** The world map, what the project's energy would emit in other countries, and in its provider's other regions. */
function worldView(m: BoardModel, p: ProjectView | undefined, shapes: WorldShapes): View {
  const kwh = p?.energyKwh ?? 0;
  const here = p?.runs[p.runs.length - 1]?.countryIsoCode ?? '';
  const byIso = new Map(m.world.countries.map((c) => [c.iso3, c]));
  const drawMap = (layer: string): SVGSVGElement => worldMap(shapes, layerColors(m, layer), (iso) => {
    const c = byIso.get(iso);
    const share = layer === 'intensity' || !c?.mixPercent ? '' : `; ${layer} ${fmtNumber(c.mixPercent[layer as keyof typeof c.mixPercent], '%')} of generation`;
    return c ? `${c.name}: ${fmtNumber(c.gCo2ePerKwh, 'gCO2e/kWh')} (${c.year}); ${fmtMass(kwh * kgPerKwh(c.gCo2ePerKwh))} for ${fmtEnergy(kwh)}${share}` : '';
  }, here);
  let map = drawMap('intensity');
  const layers = ['intensity', 'fossil', 'hydroelectricity', 'nuclear', 'solar', 'wind'];
  const layerPicker = picker('Colour by', 'map-layer', layers, 'intensity', (v) => { const next = drawMap(v); map.replaceWith(next); map = next; });
  const sorted = [...m.world.countries].sort((a, b) => a.gCo2ePerKwh - b.gCo2ePerKwh);
  const line = (c: { iso3: string; name: string; gCo2ePerKwh: number; year: number }): Child[] =>
    [c.name + (c.iso3 === here ? ' (this project)' : ''), c.iso3, fmtNumber(c.gCo2ePerKwh, 'gCO2e/kWh'), c.year, fmtMass(kwh * kgPerKwh(c.gCo2ePerKwh))];
  const pick = [...sorted.slice(0, 5), ...sorted.filter((c) => c.iso3 === here), ...sorted.slice(-5)];
  const el = h('div', {}, h('p', {}, p ? `What project ${p.name}'s ${fmtEnergy(kwh)} would emit in each country.` : 'No project: intensities only.'),
    layerPicker,
    h('figure', { class: 'chart' }, map, h('figcaption', {}, 'Grid carbon intensity per country, or a source\'s share of its generation '
      + '(Our World in Data via CodeCarbon): green is low-carbon, red is not; hover a country for its figures.')),
    table('Lowest, this project\'s and highest', ['Country', 'ISO', 'Intensity', 'Year', 'Same energy'], [...new Set(pick)].map(line), { 'data-testid': 'elsewhere' }),
    h('details', {}, h('summary', {}, `All ${sorted.length} countries`),
      table('Every country', ['Country', 'ISO', 'Intensity', 'Year', 'Same energy'], sorted.map(line))));
  const regional = p?.regional ? regionalBlock(p.regional) : null;
  if (regional) el.append(regional.el);
  const c = p?.cloud;
  if (!c) return { el, draw: () => regional?.draw() };
  const alt = table(`${c.provider} regions`, ['Region', 'Intensity', 'Same energy', 'Where the figure comes from'],
    c.regions.map((r) => [r.region + (r.region === c.region ? ' (this run)' : ''), fmtNumber(r.gCo2ePerKwh, 'gCO2e/kWh'), fmtMass(r.kg), r.detail]));
  // The 12 least-emitting regions and this run's: 40 bars would leave their names unreadable; the table has all.
  const shown = c.regions.filter((r, n) => n < 12 || r.region === c.region);
  const chart = chartBox('cloud', `The project's ${fmtEnergy(c.energyKwh)} in the 12 least-emitting ${c.provider} regions and this run's, least first.`, alt);
  el.append(h('h3', {}, `Cloud regions of ${c.provider}`), h('p', { class: 'recommendation', 'data-testid': 'recommendation' }, c.recommendation), chart.box);
  return { el, draw: () => { regional?.draw(); barChart(chart.plot, shown.map((r) => r.region), shown.map((r) => r.kg), fmtMass, '#00838f'); } };
}

/** The project's energy in each US state or Canadian province (CodeCarbon's regional comparison). */
function regionalBlock(g: NonNullable<ProjectView['regional']>): View {
  const alt = table(`Regions of ${g.country}`, ['Region', 'Intensity', 'Year', 'Same energy'],
    g.regions.map((r) => [r.name, fmtNumber(r.gCo2ePerKwh, 'gCO2e/kWh'), r.year ?? '', fmtMass(r.kg)]), { 'data-testid': 'regional' });
  const chart = chartBox('regional', `The project's ${fmtEnergy(g.energyKwh)} in each region of ${g.country}, least first.`, alt);
  return { el: h('div', {}, h('h3', {}, `Emissions across regions of ${g.country}`), chart.box),
    draw: () => barChart(chart.plot, g.regions.map((r) => r.code), g.regions.map((r) => r.kg), fmtMass, '#ef6c00') };
}

/** Colours of the map's countries: by intensity, or by a source's share (fossil: more is redder; the others: more is greener). */
function layerColors(m: BoardModel, layer: string): Map<string, string> {
  return new Map(m.world.countries.map((c) => {
    if (layer === 'intensity') return [c.iso3, intensityColor(c.gCo2ePerKwh)];
    const p = c.mixPercent?.[layer as keyof NonNullable<typeof c.mixPercent>];
    return [c.iso3, intensityColor(p === undefined ? undefined : (layer === 'fossil' ? p : 100 - p) * 8)];
  }));
}

/** Every file read: its format, rows kept, lines skipped with why, or why it could not be used. */
function filesView(m: BoardModel): View {
  const el = h('div', {}, ...m.files.map((f) => h('section', { class: 'file', 'data-testid': 'file' },
    h('h3', {}, f.path), h('p', {}, f.problem ?? `${f.format}: ${f.rows} rows read${f.skipped.length > 0 ? `, ${f.skipped.length} skipped` : ''}.`),
    f.skipped.length === 0 ? null : table('Skipped lines', ['Line', 'Why'], f.skipped.map((s) => [s.line, s.reason]), { 'data-testid': 'skipped' }))));
  return { el, draw: () => {} };
}
