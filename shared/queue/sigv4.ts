import { createHmac, hash } from 'node:crypto';

/**
 * AWS Signature Version 4 for the one request shape the async ingest path sends: a JSON-protocol
 * POST with its body in hand and a fixed set of headers.
 *
 * Why not `@smithy/signature-v4`: it is general (any headers, query strings, streamed bodies,
 * presigning) and pays for that on every call: the signing-key cache is keyed by an HMAC of the
 * secret computed anew each time, every string is turned into bytes through its own encoder, and each
 * hash goes through an async wrapper. Measured on one core that is about 20 µs per call, a fifth of an
 * async single-event request. The algorithm itself is small and fixed by AWS; this module writes
 * exactly what that library writes for this shape (test/unit/queue/sigv4.test.ts signs the same
 * requests with both and compares the headers), with one-shot `node:crypto` calls and the signing key
 * kept per day, region and credentials.
 */

export interface SigningCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface SignedPost {
  /** Where the request goes: `host` header value (host, and port when not the default). */
  host: string;
  /** The request path as sent (already percent-encoded, as a URL's `pathname`). */
  path: string;
  contentType: string;
  target: string;
  /** The bytes sent (a string is sent, and hashed, as UTF-8). */
  body: Buffer | string;
}

const ALGORITHM = 'AWS4-HMAC-SHA256';
const KEY_TYPE = 'aws4_request';

/** `encodeURIComponent` plus the four characters RFC 3986 reserves that it leaves alone. */
function escapeUri(text: string): string {
  return encodeURIComponent(text).replace(
    /[!'()*]/g,
    (character) => `%${character.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/**
 * The canonical form of a path: dot segments and empty segments resolved, then every segment
 * percent-encoded once more (SigV4 double-encodes paths for every service but S3).
 */
export function canonicalPath(path: string): string {
  const segments: string[] = [];
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') segments.pop();
    else segments.push(segment);
  }
  const leading = path.startsWith('/') ? '/' : '';
  const trailing = segments.length > 0 && path.endsWith('/') ? '/' : '';
  return escapeUri(`${leading}${segments.join('/')}${trailing}`).replace(/%2F/g, '/');
}

/** Header values as SigV4 canonicalises them: line breaks and runs of blanks become one space, ends trimmed. */
function canonicalValue(value: string): string {
  return value
    .replace(/[\r\n]/g, ' ')
    .replace(/[ \t]+/g, ' ')
    .replace(/^ | $/g, '');
}

interface SigningKey {
  shortDate: string;
  secretAccessKey: string;
  key: Buffer;
}

export class SigV4Signer {
  private signingKey: SigningKey | undefined;
  /** The timestamp of the last signature: most calls fall in the same second. */
  private lastSecond = -1;
  private longDate = '';
  private readonly pathCache = new Map<string, string>();

  constructor(
    private readonly region: string,
    private readonly service: string,
  ) {}

  /** The request's headers, with `x-amz-date`, the payload hash, any session token and `authorization`. */
  sign(request: SignedPost, credentials: SigningCredentials, nowMs: number): Record<string, string> {
    const longDate = this.longDateOf(nowMs);
    const shortDate = longDate.slice(0, 8);
    const scope = `${shortDate}/${this.region}/${this.service}/${KEY_TYPE}`;
    const payloadHash = hash('sha256', request.body, 'hex');
    const contentLength = String(
      typeof request.body === 'string' ? Buffer.byteLength(request.body) : request.body.length,
    );
    const token = credentials.sessionToken;
    // Sorted by name, as the canonical request lists them.
    const signedHeaders = token
      ? 'content-length;content-type;host;x-amz-content-sha256;x-amz-date;x-amz-security-token;x-amz-target'
      : 'content-length;content-type;host;x-amz-content-sha256;x-amz-date;x-amz-target';
    const canonicalRequest =
      `POST\n${this.canonicalPathOf(request.path)}\n\n` +
      `content-length:${contentLength}\n` +
      `content-type:${canonicalValue(request.contentType)}\n` +
      `host:${canonicalValue(request.host)}\n` +
      `x-amz-content-sha256:${payloadHash}\n` +
      `x-amz-date:${longDate}\n` +
      (token ? `x-amz-security-token:${canonicalValue(token)}\n` : '') +
      `x-amz-target:${canonicalValue(request.target)}\n` +
      `\n${signedHeaders}\n${payloadHash}`;
    const stringToSign = `${ALGORITHM}\n${longDate}\n${scope}\n${hash('sha256', canonicalRequest, 'hex')}`;
    const signature = createHmac('sha256', this.keyFor(credentials.secretAccessKey, shortDate))
      .update(stringToSign)
      .digest('hex');
    const headers: Record<string, string> = {
      host: request.host,
      'content-type': request.contentType,
      'x-amz-target': request.target,
      'content-length': contentLength,
      'x-amz-date': longDate,
      'x-amz-content-sha256': payloadHash,
    };
    if (token) headers['x-amz-security-token'] = token;
    headers.authorization = `${ALGORITHM} Credential=${credentials.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`;
    return headers;
  }

  /** `20261130T140208Z`: the ISO time without separators or milliseconds. */
  private longDateOf(nowMs: number): string {
    const second = Math.floor(nowMs / 1000);
    if (second !== this.lastSecond) {
      const iso = new Date(second * 1000).toISOString();
      this.longDate = `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`;
      this.lastSecond = second;
    }
    return this.longDate;
  }

  private canonicalPathOf(path: string): string {
    let canonical = this.pathCache.get(path);
    if (canonical === undefined) {
      canonical = canonicalPath(path);
      this.pathCache.set(path, canonical);
    }
    return canonical;
  }

  /** The day's signing key, derived again only when the day or the secret changes. */
  private keyFor(secretAccessKey: string, shortDate: string): Buffer {
    const known = this.signingKey;
    if (known && known.shortDate === shortDate && known.secretAccessKey === secretAccessKey) return known.key;
    let key = createHmac('sha256', `AWS4${secretAccessKey}`).update(shortDate).digest();
    for (const part of [this.region, this.service, KEY_TYPE])
      key = createHmac('sha256', key).update(part).digest();
    this.signingKey = { shortDate, secretAccessKey, key };
    return key;
  }
}
