// A run's tasks for the page: sums over every task row, and the top rows by energy (a task file may hold 100,000).
import type { BoardFile } from './files.js';
import { cell, num, text } from './rows.js';

/** How many task rows the page lists; the rest are summed in one line. */
export const topTasksShown = 25;

/** One task row as the page lists it. */
export interface TaskView {
  readonly name: string;
  readonly joules: number;
  readonly gCo2e: number;
  readonly durationS: number;
  /** Tasks the row sums (folded rows); 1 for a task of its own. */
  readonly taskCount: number;
  /** False for a provisional row (final = N): a GPU's energy after its last counter reading. */
  readonly final: boolean;
  readonly resolution: string;
  readonly endedBy: string;
  readonly line: number;
}

/** The tasks of one run. */
export interface TasksView {
  readonly file: string;
  readonly rows: number;
  readonly tasks: number;
  readonly provisional: number;
  readonly joules: number;
  readonly gCo2e: number;
  readonly top: readonly TaskView[];
  /** Rows summed by task name, the names with the most energy first (at most topTasksShown). */
  readonly byName: readonly { readonly name: string; readonly rows: number; readonly tasks: number; readonly joules: number; readonly gCo2e: number }[];
}

/** The tasks of `runId` in `taskFiles` (null when none has its rows). */
export function tasksView(taskFiles: readonly BoardFile[], runId: string): TasksView | null {
  const all: TaskView[] = [];
  let file = '';
  for (const f of taskFiles) {
    if (f.kind !== 'tasks') continue;
    for (const r of f.table.rows) {
      if (cell(r, 'run_id') !== runId) continue;
      file = f.path;
      const count = cell(r, 'task_count');
      all.push({ name: text(r, 'task_name'), joules: num(r, 'energy_consumed') * 3.6e6, gCo2e: num(r, 'emissions') * 1000,
        durationS: num(r, 'duration'), taskCount: count === undefined || count === '' ? 1 : Number(count),
        final: text(r, 'final') !== 'N', resolution: text(r, 'resolution'), endedBy: text(r, 'ended_by'), line: r.line });
    }
  }
  if (all.length === 0) return null;
  let joules = 0;
  let gCo2e = 0;
  let tasks = 0;
  let provisional = 0;
  for (const t of all) {
    joules += t.joules;
    gCo2e += t.gCo2e;
    tasks += t.taskCount;
    if (!t.final) provisional++;
  }
  const names = new Map<string, { name: string; rows: number; tasks: number; joules: number; gCo2e: number }>();
  for (const t of all) {
    const n = names.get(t.name) ?? { name: t.name, rows: 0, tasks: 0, joules: 0, gCo2e: 0 };
    names.set(t.name, n);
    n.rows++;
    n.tasks += t.taskCount;
    n.joules += t.joules;
    n.gCo2e += t.gCo2e;
  }
  const byName = [...names.values()].sort((a, b) => b.joules - a.joules).slice(0, topTasksShown);
  const top = all.sort((a, b) => b.joules - a.joules).slice(0, topTasksShown);
  return { file, rows: all.length, tasks, provisional, joules, gCo2e, top, byName };
}
