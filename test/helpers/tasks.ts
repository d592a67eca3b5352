// What a fold takes from a task book, copied out for a test to look at after the book has moved on.
import type { TakenTasks, TaskBook } from '../../src/tasks.js';

/** TaskBook.takeAfter(), its view of the taken marks copied (the view is valid during the call only). */
export function takeCopy(b: TaskBook, keep: number, untilMs: number): TakenTasks {
  let taken: TakenTasks = { count: 0, times: new Float64Array(0), runs: { starts: new Int32Array(0), names: [] }, closedFrom: 0 };
  const count = b.takeAfter(keep, untilMs, (t) => { taken = { ...t, times: t.times.slice() }; });
  if (count !== taken.count) throw new Error(`takeAfter() returned ${count}, handed ${taken.count}`);
  return taken;
}
