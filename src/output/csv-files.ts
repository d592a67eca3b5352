// The CSV output: the run's row in output_file (append or update) and the task file, each write's
// failure warned about once per write with the file, the errno and the fix, and kept, never thrown.
import { columns, type EmissionsRecord } from './record.js';
import { appendRow, updateRow, writeFailure, type OutputError } from './csv.js';
import { outputPath, taskFilePath } from './paths.js';
import { writeTasks, writeTasksNow, type TaskWrite } from '../task-ledger.js';
import type { Output } from './output.js';

/** Where and how the CSV files are written (the tracker's resolved options). */
export interface CsvFileOptions {
  readonly outputDir: string;
  readonly outputFile: string;
  readonly onCsvWrite: 'append' | 'update';
  readonly experimentName: string;
}

/** The CSV output; its task rows are written by writeTasks() from the task book, not from task records. */
export class CsvFiles implements Output {
  #error: OutputError | null = null;
  #tasksWritten: Promise<void> = Promise.resolve();

  constructor(readonly options: CsvFileOptions, readonly warn: (message: string) => void) {}

  /** Why the last write failed (file, errno, fix), or null when it succeeded. */
  get error(): OutputError | null {
    return this.#error;
  }

  out(total: EmissionsRecord): void {
    this.writeRow(total);
  }

  /** Writes the run's row (appended, or this run's row replaced with on_csv_write = update). */
  writeRow(record: EmissionsRecord): void {
    const o = this.options;
    const path = outputPath(o.outputDir, o.outputFile);
    try {
      const backup = (o.onCsvWrite === 'update' ? updateRow : appendRow)(path, columns, record, this.warn);
      if (backup !== null) this.warn(`the CSV format has changed: the old ${path} was kept as ${backup}`);
      this.#error = null;
    } catch (e) {
      this.#error = this.#failed(path, e);
    }
  }

  /**
   * Rewrites run `runId`'s task file from a prepared write: at once when the process is exiting
   * (`now`), else a piece per turn of the event loop. One file failing does not keep the other
   * from being written; writes are made one after the other.
   */
  writeTasks(runId: string, job: TaskWrite | null, now: boolean): Promise<void> {
    if (job === null) return this.#tasksWritten;
    const path = taskFilePath(this.options.outputDir, this.options.experimentName, runId);
    const failed = (e: unknown): void => { this.#error ??= this.#failed(path, e); };
    if (now) {
      try {
        writeTasksNow(path, job);
      } catch (e) {
        failed(e);
      }
      return this.#tasksWritten;
    }
    this.#tasksWritten = this.#tasksWritten.then(() => writeTasks(path, job)).catch(failed);
    return this.#tasksWritten;
  }

  #failed(path: string, e: unknown): OutputError {
    const error = writeFailure(path, e);
    this.warn(error.message);
    return error;
  }
}
