/** A token was missing, malformed or not acceptable. The message is a short reason, never the token. */
export class AuthError extends Error {
  override readonly name = 'AuthError';
}
