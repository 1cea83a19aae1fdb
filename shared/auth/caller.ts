import type { HttpRequest } from '../http/request';
import { AuthError, extractToken, type TokenVerifier, type VerifiedToken } from './token';

/**
 * Who sent the request, from its bearer token; null when there is no token, no keys to check one
 * with, or the token is refused (`onRefused` hears why). Anything else, such as keys that could not
 * be fetched, is thrown: it says nothing about the caller.
 */
export async function verifiedCaller(
  request: HttpRequest,
  verifier: TokenVerifier | null,
  onRefused?: (error: AuthError) => void,
): Promise<VerifiedToken | null> {
  const token = extractToken(request.headers);
  if (token === null || verifier === null) return null;
  try {
    return await verifier.verify(token);
  } catch (error) {
    if (!(error instanceof AuthError)) throw error;
    onRefused?.(error);
    return null;
  }
}
