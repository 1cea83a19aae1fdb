import path from 'node:path';

/*
 * Where the local runtime keeps its state (queues, embedded database, dev key, runtime.json) and
 * where the CLI's `--local` commands look for it. Both go through here: a runtime and the commands
 * that follow it find one another only if they agree on the folder.
 */

export const STATE_DIR_VARIABLE = 'EVENTGATE_STATE_DIR';
export const DEFAULT_STATE_FOLDER = '.eventgate';

export interface StateFolderInputs {
  /** `--state-dir`, when the command takes one. */
  explicit?: string | undefined;
  env?: NodeJS.ProcessEnv;
  /** What a relative folder is relative to. Default: the process's working directory. */
  cwd?: string;
}

/**
 * `--state-dir`, else EVENTGATE_STATE_DIR, else `./.eventgate`, as an absolute path. An empty value
 * counts as unset (a blank `EVENTGATE_STATE_DIR=` must not turn the working directory itself into
 * the state folder).
 */
export function resolveStateDir(inputs: StateFolderInputs = {}): string {
  const cwd = inputs.cwd ?? process.cwd();
  const configured = nonEmpty(inputs.explicit) ?? nonEmpty((inputs.env ?? process.env)[STATE_DIR_VARIABLE]);
  return path.resolve(cwd, configured ?? DEFAULT_STATE_FOLDER);
}

/** The file a running runtime describes itself in, for `backlog --local`, `replay --local` and the rest. */
export function runtimeInfoFile(stateDir: string): string {
  return path.join(stateDir, 'runtime.json');
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}
