import { brotliDecompressSync, gunzipSync, inflateSync, type ZlibOptions } from 'node:zlib';
import type { HttpRequest } from '../http/request';
import type { ApiError } from '../http/response';
import { describeError } from '../errors/describe';

/** The `Content-Encoding` codings a producer may use, as named in the Accept-Encoding we answer with. */
export const SUPPORTED_ENCODINGS = ['gzip', 'br', 'deflate'] as const;

type Coding = (typeof SUPPORTED_ENCODINGS)[number] | 'identity';

const DECODERS: Record<Exclude<Coding, 'identity'>, (input: Buffer, options: ZlibOptions) => Buffer> = {
  gzip: gunzipSync,
  br: brotliDecompressSync,
  deflate: inflateSync,
};

/** More codings than anyone stacks on purpose; a longer list is an attempt to make us work. */
const MAX_CODINGS = 2;

export type DecodedBody =
  | { ok: true; request: HttpRequest }
  | { ok: false; status: 400 | 413 | 415; error: ApiError; headers?: Record<string, string> };

function codingsOf(header: string): Coding[] | { unknown: string } {
  const codings: Coding[] = [];
  for (const raw of header.split(',')) {
    const name = raw.trim().toLowerCase();
    if (name === '' || name === 'identity') continue;
    if (name === 'x-gzip') codings.push('gzip');
    else if ((SUPPORTED_ENCODINGS as readonly string[]).includes(name)) codings.push(name as Coding);
    else return { unknown: raw.trim() };
  }
  return codings;
}

/** zlib's and brotli's own words for an input that ended early or is not what it claims. */
function isCorruptInput(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code ?? '';
  return code.startsWith('Z_') || code.startsWith('ERR_BROTLI') || code.startsWith('ERR__ERROR');
}

/**
 * Undoes `Content-Encoding` on a request body, never producing more than `maxBytes`: zlib stops
 * inflating as soon as its output would pass the limit, so a small body that would inflate to
 * gigabytes costs at most `maxBytes` of memory and the time to produce them. The request that
 * comes back has the plain body and no `content-encoding` header.
 */
export function decodeRequestBody(request: HttpRequest, maxBytes: number): DecodedBody {
  const header = request.headers['content-encoding'];
  if (header === undefined || request.body === null || request.body.length === 0) {
    return { ok: true, request };
  }
  // Compressed data is never larger than what it stands for by more than a few bytes, so a body
  // already over the limit is refused before any work is spent inflating it.
  if (request.body.length > maxBytes) {
    return {
      ok: false,
      status: 413,
      error: { type: 'size', message: `Request body is larger than ${maxBytes} bytes` },
    };
  }
  const codings = codingsOf(header);
  if (!Array.isArray(codings)) {
    return {
      ok: false,
      status: 415,
      error: {
        type: 'content_encoding',
        message: `Content-Encoding '${codings.unknown}' is not supported; use ${SUPPORTED_ENCODINGS.join(', ')} or none`,
      },
      headers: { 'Accept-Encoding': SUPPORTED_ENCODINGS.join(', ') },
    };
  }
  if (codings.length > MAX_CODINGS) {
    return {
      ok: false,
      status: 415,
      error: { type: 'content_encoding', message: `At most ${MAX_CODINGS} content codings are accepted` },
      headers: { 'Accept-Encoding': SUPPORTED_ENCODINGS.join(', ') },
    };
  }
  let body = request.body;
  // Codings are listed in the order they were applied, so they come off in reverse.
  for (const coding of [...codings].reverse()) {
    if (coding === 'identity') continue;
    try {
      body = DECODERS[coding](body, { maxOutputLength: maxBytes });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
        return {
          ok: false,
          status: 413,
          error: { type: 'size', message: `Request body inflates to more than ${maxBytes} bytes` },
        };
      }
      if (isCorruptInput(error)) {
        return {
          ok: false,
          status: 400,
          error: {
            type: 'content_encoding',
            message: `Request body is not valid ${coding} data: ${describeError(error)}`,
          },
        };
      }
      throw error;
    }
  }
  const headers = { ...request.headers };
  delete headers['content-encoding'];
  return { ok: true, request: { ...request, headers, body } };
}
