/** Raised for configuration that cannot be read or makes no sense; the message names the file. */
export class ConfigError extends Error {
  override readonly name: string = 'ConfigError';
}

/** One thing wrong with a configuration document, and where in it (a JSON pointer). */
export interface ConfigProblem {
  /** JSON pointer of the offending value, `''` for the document itself. */
  pointer: string;
  /** For an unknown or missing key: its name (the pointer is then that of its object). */
  key?: string;
  message: string;
}

/** A document that does not match its schema: every problem found, not only the first. */
export class ConfigValidationError extends ConfigError {
  override readonly name: string = 'ConfigValidationError';
  constructor(
    readonly source: string,
    readonly problems: readonly ConfigProblem[],
  ) {
    super(`${source}: ${problems.map((problem) => problem.message).join('; ')}`);
  }
}
