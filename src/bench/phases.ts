// A tinybench task's measured phase as two marks on the sampler's timeline: the iterations, with
// the bench's setup/teardown and the task's beforeAll/afterAll left out; nothing runs per iteration.
import type { Bench, FnOptions, HookMode, Task } from 'tinybench';
import { now } from '../clock.js';

/**
 * A task's measured phase: `t0` moves to the latest of its starts (the 'start' event, the end of
 * the bench's setup, the end of the task's beforeAll), `t1` is the first of its ends (the task's
 * afterAll, the bench's teardown, the 'complete' event): the iterations, without the hooks' work.
 */
export interface PhaseMarks { t0: number; t1: number; running: boolean; errored: boolean; warmupError: boolean }

/** A Bench's setup or teardown, called by tinybench around each phase of each task. */
type StageHook = Bench['setup'];

/** The marks of the tasks an EnergyBench watches, for the hooks wrapped around them. */
const phaseMarks = new WeakMap<Task, PhaseMarks>();

function phaseStart(task: Task | undefined, mode: HookMode | undefined): void {
  const m = task === undefined || mode !== 'run' ? undefined : phaseMarks.get(task);
  if (m?.running === true && Number.isNaN(m.t1)) m.t0 = now();
}

function phaseEnd(task: Task | undefined, mode: HookMode | undefined): void {
  const m = task === undefined || mode !== 'run' ? undefined : phaseMarks.get(task);
  if (m?.running === true && Number.isNaN(m.t1)) m.t1 = now();
}

/** Runs `then` after `r` (a hook's result), keeping a synchronous hook synchronous (runSync() needs it). */
function after<T>(r: T, then: () => void): T {
  if (typeof (r as { then?: unknown } | null)?.then === 'function') {
    return (r as unknown as Promise<unknown>).then((v) => { then(); return v; }) as T;
  }
  then();
  return r;
}

/**
 * A task's options with its beforeAll/afterAll wrapped so that the measured phase begins after its
 * beforeAll and ends before its afterAll (mode 'run'): fixtures built there are not the operation's.
 * Options whose hooks are not functions go as they are, for tinybench to refuse by name.
 */
function withPhaseHooks(fnOpts: FnOptions | undefined): FnOptions | undefined {
  const { beforeAll, afterAll } = fnOpts ?? {};
  if ((beforeAll !== undefined && typeof beforeAll !== 'function') || (afterAll !== undefined && typeof afterAll !== 'function')) return fnOpts;
  return {
    ...fnOpts,
    beforeAll(this: Task, mode?: HookMode) { return after(beforeAll?.call(this, mode), () => phaseStart(this, mode)); },
    afterAll(this: Task, mode?: HookMode) { phaseEnd(this, mode); return afterAll?.call(this, mode); },
  };
}

/**
 * Makes every task added to a Bench of this class (tinybench's `Bench`, from the copy a suite
 * imports) keep its beforeAll/afterAll out of its measured phase, for tasks added before
 * attachEnergy() (which wraps only later additions). `codecarbon bench` calls it before it loads the
 * suite. Returns the undo.
 */
export function keepTaskHooksOutOfPhases(BenchClass: { prototype: Pick<Bench, 'add'> }): () => void {
  const proto = BenchClass.prototype;
  const add = proto.add;
  proto.add = function (this: Bench, name: string, fn: Parameters<Bench['add']>[1], fnOpts?: FnOptions) {
    return add.call(this, name, fn, withPhaseHooks(fnOpts));
  };
  return () => { proto.add = add; };
}

/**
 * The marks of `task`'s measured phase, kept up to date by its events: tinybench dispatches
 * 'start' on the task after every warm-up, just before its measured phase (and its hooks), and
 * 'complete' after it: marks per phase, nothing per iteration.
 */
export function watchPhases(task: Task): PhaseMarks {
  const m: PhaseMarks = { t0: Number.NaN, t1: Number.NaN, running: false, errored: false, warmupError: false };
  phaseMarks.set(task, m);
  task.addEventListener('start', () => { Object.assign(m, { t0: now(), t1: Number.NaN, running: true, errored: false }); });
  task.addEventListener('complete', () => {
    if (Number.isNaN(m.t1)) m.t1 = now();
    m.running = false;
  });
  task.addEventListener('error', () => {
    // An error before the measured phase began is one in warm-up: the task never runs after it.
    if (m.running) m.errored = true;
    else m.warmupError = true;
  });
  task.addEventListener('reset', () => { Object.assign(m, { t0: Number.NaN, t1: Number.NaN, running: false, errored: false, warmupError: false }); });
  return m;
}

/**
 * The bench's setup and teardown (read by tinybench at each call) and its add() (for the tasks'
 * own hooks) wrapped so that each measured phase holds the iterations, not the fixtures; the undo.
 */
export function wrapBenchHooks(bench: Bench): () => void {
  // Plain properties that tinybench reads at each call, typed read-only.
  const hooks = bench as { setup: StageHook; teardown: StageHook };
  const { setup, teardown } = bench;
  const hadOwnAdd = Object.hasOwn(bench, 'add');
  const add = bench.add;
  hooks.setup = (task, mode) => after(setup.call(bench, task, mode), () => phaseStart(task, mode));
  hooks.teardown = (task, mode) => {
    phaseEnd(task, mode);
    return teardown.call(bench, task, mode);
  };
  bench.add = (name, fn, fnOpts) => add.call(bench, name, fn, withPhaseHooks(fnOpts));
  return () => {
    hooks.setup = setup;
    hooks.teardown = teardown;
    if (hadOwnAdd) bench.add = add;
    else delete (bench as Partial<Bench>).add;
  };
}
