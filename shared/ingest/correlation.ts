import { randomUUID } from 'node:crypto';
import type { HttpRequest } from '../http/request';

// Safe to echo into headers and logs: no spaces, quotes or control characters.
const MAX_CORRELATION_ID_LENGTH = 128;
const CORRELATION_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The caller's correlation id when it is well formed, then API Gateway's request id, else a new one. */
export function correlationIdOf(request: HttpRequest): string {
  const candidates = [
    request.headers['x-correlation-id'],
    request.headers['x-request-id'],
    request.requestId,
  ];
  for (const candidate of candidates) {
    // Bounded before the pattern looks at it, whatever length a client sends.
    if (candidate && candidate.length <= MAX_CORRELATION_ID_LENGTH && CORRELATION_ID.test(candidate))
      return candidate;
  }
  return randomUUID();
}
