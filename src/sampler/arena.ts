// Memory for a tracker's task marks whose pages the sampler thread faults in before the marks reach
// them: a page touched for the first time costs 10-16 µs on a VM (measured here: a hot loop of 10 µs
// iterations storing 16 bytes a task into fresh memory ran 60-70 ns a task slower than into memory
// touched before), and that is the sampler thread's to pay, not the marking thread's.

/** Bytes before the task slots: the control words, a cache line apart from the marks. */
const dataOffset = 64;
/** Control word (Int32, main → sampler): how many task slots the book wants ready, from the first. */
const kWantTasks = 0;
/** Control word (Int32, sampler → main): how many are ready (their pages faulted in). */
const kReadyTasks = 1;

/** A task's slot: its start and end (ms), two f64. */
const slotBytes = 16;
const pageBytes = 4096;

/** Task slots the arena holds: task_records_kept's default and two fold chunks (a fold waits for its tasks to settle). */
export const arenaTasks = 100_000 + 2 * 65_536;
/** The book takes the arena in steps of this many slots (each step a new view, no copy). */
export const arenaStepTasks = 8192;
/**
 * How far ahead of the book's view the sampler makes slots ready: as many as the view holds (a
 * book of a few hundred tasks gets 256 KiB ready, not more), up to 512 KiB, over 100 ms of 10 µs tasks.
 */
export const arenaAheadTasks = 32_768;
/** Pages the sampler thread faults in per tick at most (1 MiB, 3-4 ms here): 10 MiB a second at 10 Hz, 650,000 tasks. */
export const warmPagesPerTick = 256;
/** Pages faulted in between two looks at whether a sample is wanted (about 0.2 ms here). */
const warmBatchPages = 16;

/**
 * Main thread: one shared buffer of task slots, lent to one task book at a time (a second book
 * meanwhile keeps its marks in memory of its own, as every book did before). Virtual until the
 * sampler thread warms the part a book wants: a process that makes no task spends no page on it.
 */
export class TaskArena {
  readonly buffer: SharedArrayBuffer;
  readonly #control: Int32Array;
  /** The book it is lent to: held weakly, so that a book no one can read any more (its tracker dropped) frees it. */
  #holder: WeakRef<object> | null = null;
  /** Wakes the sampler thread to make slots ready now, between its ticks (once it runs). */
  #wake: (() => void) | null = null;

  constructor(readonly tasks = arenaTasks) {
    this.buffer = new SharedArrayBuffer(dataOffset + tasks * slotBytes);
    this.#control = new Int32Array(this.buffer, 0, 2);
  }

  /** Task slots the sampler thread has made ready so far, from the first. */
  get readyTasks(): number {
    return Atomics.load(this.#control, kReadyTasks);
  }

  /**
   * The sampler thread runs: `wake` gets it to make wanted slots ready at once, not at its next
   * tick (up to idle_sample_period_ms away). Called now if a book already wants more than is ready.
   */
  wakeWith(wake: () => void): void {
    this.#wake = wake;
    if (this.readyTasks < Atomics.load(this.#control, kWantTasks)) wake();
  }

  /** Lends the arena to `book`; false when another book has it. */
  lend(book: object): boolean {
    if (this.#holder?.deref() !== undefined) return false;
    this.#holder = new WeakRef(book);
    return true;
  }

  /** The book that had it is done with it (its marks there may be overwritten from now on). */
  giveBack(): void {
    this.#holder = null;
  }

  /**
   * The first `tasks` slots as [start, end] pairs (a view: the marks already there stay), and the
   * sampler thread asked to make as many more ready, up to arenaAheadTasks.
   */
  view(tasks: number): Float64Array {
    const want = Math.min(this.tasks, tasks + Math.min(tasks, arenaAheadTasks));
    if (want > Atomics.load(this.#control, kWantTasks)) {
      Atomics.store(this.#control, kWantTasks, want);
      // A loop of marks alone fills a step in about a millisecond: the sampler's next tick would come
      // after it had stored into fresh pages itself (8 faults per 2,000 pairs here, 20-40 ns a pair).
      if (this.readyTasks < want) this.#wake?.();
    }
    return new Float64Array(this.buffer, dataOffset, 2 * tasks);
  }
}

/**
 * Sampler thread: faults in the pages of the slots the book wants, a bounded number per call (after
 * each scheduled tick, and when the book's step wakes it), by
 * adding 0 to a word of each page (an atomic read-modify-write: a mark stored there meanwhile stays).
 * Pages once ready stay ready: the arena is never given back to the system.
 */
export class ArenaWarmer {
  readonly #words: Int32Array;
  /** Bytes from the first slot whose pages are ready. */
  #readyBytes = 0;

  constructor(buffer: SharedArrayBuffer, readonly pagesPerTick = warmPagesPerTick) {
    this.#words = new Int32Array(buffer);
  }

  /** Whether a book wants slots that are not ready yet. */
  behind(): boolean {
    return Atomics.load(this.#words, kWantTasks) * slotBytes > this.#readyBytes;
  }

  /**
   * Pages faulted in by this call (0 on most ticks: one load of the control word). Stops early,
   * between two batches, once `wanted()` says a sample is asked for: a stop() waits for no page.
   */
  warm(wanted: () => boolean = () => false): number {
    const wantBytes = Atomics.load(this.#words, kWantTasks) * slotBytes;
    const end = Math.min(wantBytes, this.#readyBytes + this.pagesPerTick * pageBytes);
    let pages = 0;
    while (this.#readyBytes < end && (pages === 0 || !wanted())) {
      pages += this.#batch(Math.min(end, this.#readyBytes + warmBatchPages * pageBytes));
    }
    return pages;
  }

  /** Faults in the pages of bytes [ready, to): one word every page's length apart, and the last (no page skipped, whatever the alignment). */
  #batch(to: number): number {
    const words = this.#words;
    let pages = 0;
    for (let b = this.#readyBytes; b < to; b += pageBytes) {
      Atomics.add(words, (dataOffset + b) >> 2, 0);
      pages++;
    }
    Atomics.add(words, (dataOffset + to - 4) >> 2, 0);
    this.#readyBytes = to;
    Atomics.store(words, kReadyTasks, to / slotBytes);
    return pages;
  }
}
