// Where the CSV files go: emissions.csv as CodeCarbon joins it, the task file always inside output_dir.
import { isAbsolute, join } from 'node:path';

/** The emissions CSV: `outputFile` under `outputDir`, or `outputFile` itself when absolute (Python's os.path.join). */
export function outputPath(outputDir: string, outputFile: string): string {
  return isAbsolute(outputFile) ? outputFile : join(outputDir, outputFile);
}

// Separators (both kinds, whatever the platform) and control characters: a name is one path component.
const unsafe = /[/\\\x00-\x1f\x7f]/g;

/** Longest experiment name kept in a file name, in UTF-8 bytes: with its prefix and run id, under NAME_MAX (255). */
const nameBytesKept = 200;

/**
 * The task rows file `<outputDir>/emissions_<experimentName>_<runId>.csv`, always in `outputDir`:
 * in the file name only, separators and control characters of the experiment name become `_` and
 * a very long name is shortened. Leading dots need nothing: the name never starts the file name.
 */
export function taskFilePath(outputDir: string, experimentName: string, runId: string): string {
  let name = '';
  let bytes = 0;
  for (const ch of experimentName.replace(unsafe, '_')) {
    bytes += Buffer.byteLength(ch);
    if (bytes > nameBytesKept) break;
    name += ch;
  }
  return join(outputDir, `emissions_${name}_${runId}.csv`);
}
