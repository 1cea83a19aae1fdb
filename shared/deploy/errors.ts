/** A deploy parameter (or combination of them) that cannot make a working stack. */
export class DeployParameterError extends Error {
  override readonly name = 'DeployParameterError';
}
