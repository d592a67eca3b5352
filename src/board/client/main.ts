// Browser side: reads the model inlined in the page, draws the view the address names, and (board only) polls for changes.

const views = ['overview', 'run', 'tasks', 'bench', 'world', 'files'] as const;
type ViewName = (typeof views)[number];
const titles: Record<ViewName, string> = { overview: 'Overview', run: 'Project and run', tasks: 'Tasks', bench: 'Benchmarks', world: 'World', files: 'Files' };

let model = JSON.parse(document.getElementById('board-data')!.textContent!) as BoardModel;
const shapes = JSON.parse(document.getElementById('board-map')!.textContent!) as WorldShapes;
const chosen = { project: '', run: '' };

function current(): ViewName {
  const v = location.hash.slice(1) as ViewName;
  return views.includes(v) ? v : 'overview';
}

/** The project and run shown: the ones chosen while they still exist, else the latest run's. */
function selection(): { p: ProjectView | undefined; r: RunView | undefined } {
  const p = model.projects.find((x) => x.name === chosen.project)
    ?? [...model.projects].sort((a, b) => epoch(b) - epoch(a))[0];
  const r = p?.runs.find((x) => x.runId === chosen.run) ?? p?.runs[p.runs.length - 1];
  chosen.project = p?.name ?? '';
  chosen.run = r?.runId ?? '';
  return { p, r };
}

function epoch(p: ProjectView): number {
  const r = p.runs[p.runs.length - 1];
  return r === undefined ? 0 : r.series[r.series.length - 1]![0];
}

function picker(label: string, id: string, options: string[], value: string, onChange: (v: string) => void): HTMLElement {
  const select = h('select', { id }, ...options.map((o) => h('option', { value: o }, o))) as HTMLSelectElement;
  select.value = value;
  select.addEventListener('change', () => onChange(select.value));
  return h('label', {}, `${label} `, select);
}

function pickers(p: ProjectView, withRun: boolean): HTMLElement {
  return h('div', { class: 'pickers' },
    picker('Project', 'pick-project', model.projects.map((x) => x.name), p.name, (v) => { chosen.project = v; chosen.run = ''; render(); }),
    withRun ? picker('Run', 'pick-run', [...p.runs].reverse().map((x) => x.runId), chosen.run, (v) => { chosen.run = v; render(); }) : null);
}

function viewFor(name: ViewName): View {
  const { p, r } = selection();
  if (name === 'overview') return overviewView(model);
  if (name === 'bench') return benchView(model);
  if (name === 'files') return filesView(model);
  if (name === 'world') {
    const v = worldView(model, p, shapes);
    return p ? { el: h('div', {}, pickers(p, false), v.el), draw: v.draw } : v;
  }
  if (p === undefined || r === undefined) return { el: h('p', { class: 'empty' }, 'No runs yet: the files hold no emissions rows (see Files).'), draw: () => {} };
  const v = name === 'run' ? runView(p, r) : tasksView(r);
  return { el: h('div', {}, pickers(p, true), v.el), draw: v.draw };
}

/** Draws the page again: navigation, the current view, then its charts (they need the view's width). */
function render(): void {
  destroyCharts();
  const name = current();
  const nav = document.getElementById('nav')!;
  nav.replaceChildren(...views.map((v) => h('a', { href: `#${v}`, 'aria-current': v === name ? 'page' : undefined, 'data-view': v }, titles[v])));
  const skipped = model.files.reduce((n, f) => n + f.skipped.length + (f.problem === null ? 0 : 1), 0);
  document.getElementById('status')!.textContent = `${model.files.length} file(s)${skipped > 0 ? `, ${skipped} skipped line(s) or problem(s): see Files` : ''}; `
    + `${model.live ? 'live, updated' : 'report made'} ${model.generatedAt}`;
  const v = viewFor(name);
  const main = document.getElementById('main')!;
  main.replaceChildren(h('h2', {}, titles[name]), v.el);
  main.setAttribute('data-view', name);
  v.draw();
  document.body.setAttribute('data-ready', String(Date.now()));
}

/** On the board, asks for the model every second; a new version is drawn at once. */
async function poll(): Promise<void> {
  try {
    const res = await fetch(`data.json?v=${encodeURIComponent(model.version)}`, { cache: 'no-store' });
    if (res.status === 200) {
      model = (await res.json()) as BoardModel;
      render();
    }
  } catch {
    document.getElementById('status')!.textContent = 'the board server is not answering: the figures shown may be old';
  }
  setTimeout(poll, 1000);
}

window.addEventListener('hashchange', render);
render();
if (model.live) setTimeout(poll, 1000);
