// The commands' usage texts, apart from the commands: `codecarbon --help` loads nothing else.

/** Exit status when the command succeeded (or, without one, the machine was stopped) but its row could not be written. */
export const exitIoError = 74;

/** Exit status when an input file named on the command line cannot be read (sysexits' EX_NOINPUT). */
export const exitNoInput = 66;

/** detect's usage, as --help and the main usage print it. */
export const detectUsage = `  detect [--json] [--rapl-dir DIR] [--tracking-mode machine|process] [--gpu-ids IDS] [--nvml-library PATH] [-h, --help]
      What this machine offers (CPU model and TDP, RAPL zones, RAM, GPUs),
      what will be measured or estimated, and why.`;

/** monitor's usage, as --help and the main usage print it. */
export const monitorUsage = `  monitor [options] [-- command [args…]]
      Runs the command and tracks it (process mode: estimators count its process tree;
      RAPL counters are machine-wide and say so), then prints its energy and emissions
      and exits with its exit code. Without a command: the whole machine until Ctrl-C.
      --offline --country-iso-code CODE [--region R]   location without network
      --cloud-provider P --cloud-region R              on a cloud: its region's intensity
      --measure-power-secs N  --output-dir DIR  --output-file FILE  --project-name NAME
      --gpu-ids 0,1|GPU-…  --nvml-library PATH  --log-level debug|info|warning|error|critical
      --output-methods csv,api,prometheus  --api / --no-api  --api-endpoint URL
      --api-call-interval N  --experiment-id ID  -h, --help  (CODECARBON_API_KEY or api_key for the API)
      --prometheus-listen-address ADDR  serve /metrics at ADDR (host:port, or a port on 127.0.0.1) for the run
      Exit status: the command's own (127 not found, 126 not runnable; 128+N after signal N);
      ${exitIoError} (EX_IOERR) when it succeeded (or, without a command, on Ctrl-C) but its row
      could not be written; 2 for a usage error.`;

/** bench's usage, as --help and the main usage print it. */
export const benchUsage = `  bench FILE [options]
      Runs the tinybench suite FILE exports (a Bench, or a function returning one) with energy
      attached, and prints tinybench's table with energy per operation, power and gCO2e/op.
      --baseline-ms N   measure idle power for N ms first (dynamic energy per op, ± spread;
                        at least 2 slices of 2 sampling periods: 400 ms at the default 100 ms)
      --json            print everything as JSON instead    --csv FILE   also write CSV
      --offline --country-iso-code CODE [--region R]        location without network
      --cloud-provider P --cloud-region R                   on a cloud: its region's intensity
      -h, --help        this text`;

/** config's usage, as --help and the main usage print it. */
export const configUsage = `  config [--json] [-h, --help]
      Every configuration key as a tracker here would resolve it (arguments aside): its value
      and where it came from (CODECARBON_* variable, ./.codecarbon.config, ~/.codecarbon.config
      or default). Keys and tokens are masked. What a tracker here would warn about goes first,
      on stderr.`;
/** board's usage, as --help and the main usage print it. */
export const boardUsage = `  board [FILES…] [--port 8050] [--host 127.0.0.1]
      A local dashboard of emissions files (default ./emissions.csv), the task files beside them
      (emissions_<experiment>_<run_id>.csv) and bench --json reports; it reads them again when they change.
      --port N (0: any free port)   --host ADDRESS (127.0.0.1: this machine only)   -h, --help`;

/** report's usage, as --help and the main usage print it. */
export const reportUsage = `  report [FILES…] [-o report.html]
      The board's views as one self-contained HTML file (no network needed to open it).
      -o, --output FILE   where to write it (default report.html)   -h, --help
      Exit status: ${exitNoInput} (EX_NOINPUT) when a file cannot be read (missing, a directory, no
      permission): each is named on stderr, and the report is still written from the others (not
      at all when none can be read); 2 for a usage error.`;
