/** The caller-facing options and progress events of a scenario run (see {@link runScenario}). */

/** Live progress of a run, for a TTY line or CI log lines. */
export interface RunProgressEvent {
  phase: string;
  elapsedMs: number;
  totalMs: number;
  requests: number;
  errors: number;
  /** p99 latency of the requests that completed in the last 5 s, ms; null with none. */
  p99Ms: number | null;
  message?: string;
}

/** Options of `runScenario`. */
export interface RunScenarioOptions {
  /** Report folder; agents' logs go to `<outDir>/logs`. */
  outDir: string;
  /** A real Toxiproxy's API URL instead of the embedded proxy. */
  toxiproxyUrl?: string;
  /** Overrides the scenario's seed. */
  seed?: string;
  /** Aborts the run (Ctrl-C): teardown still runs and the report is marked aborted. */
  signal?: AbortSignal;
  /** Called at phase changes and about once a second. */
  onProgress?: (event: RunProgressEvent) => void;
  /** Where agents run; default the scenario's `runtime` (`process` unless it says otherwise). */
  runtime?: 'process' | 'containers';
  /** Progress lines while starting (image builds, containers started). */
  onLog?: (line: string) => void;
  /** Called once the first load request is about to be sent (for the start-up benchmark). */
  onFirstRequest?: (elapsedMs: number) => void;
}
