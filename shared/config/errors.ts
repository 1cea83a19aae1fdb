/** Raised for configuration that cannot be read or makes no sense; the message names the file. */
export class ConfigError extends Error {
  override readonly name: string = 'ConfigError';
}
