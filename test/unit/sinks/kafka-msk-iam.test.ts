import { createHash, createHmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import { mskIamToken } from '../../../shared/sinks/kafka/msk-iam';

const EXAMPLE_CREDENTIALS = {
  accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
};

type SourceData = string | ArrayBuffer | ArrayBufferView;

function bytes(data: SourceData): Buffer | string {
  if (typeof data === 'string') return data;
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return Buffer.from(data);
}

// The SHA-256 shape the SDK's signer expects, on node:crypto.
class Sha256 {
  private readonly hash;
  constructor(secret?: SourceData) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', bytes(secret));
  }
  update(data: SourceData): void {
    this.hash.update(bytes(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
}

function decodeToken(token: string): URL {
  return new URL(Buffer.from(token, 'base64url').toString('utf8'));
}

describe('mskIamToken', () => {
  const signingDate = new Date('2026-02-03T04:05:06Z');
  const credentials = { ...EXAMPLE_CREDENTIALS, sessionToken: 'session/token+with=odd chars' };

  it('is a base64url kafka-cluster:Connect URL without padding', async () => {
    const token = await mskIamToken('eu-west-1', credentials, signingDate);

    expect(token).toMatch(/^[A-Za-z0-9_-]+$/);
    const url = decodeToken(token);
    expect(url.origin).toBe('https://kafka.eu-west-1.amazonaws.com');
    expect(url.pathname).toBe('/');
    expect(url.searchParams.get('Action')).toBe('kafka-cluster:Connect');
    expect(url.searchParams.get('X-Amz-Credential')).toBe(
      'AKIAIOSFODNN7EXAMPLE/20260203/eu-west-1/kafka-cluster/aws4_request',
    );
    expect(url.searchParams.get('X-Amz-Date')).toBe('20260203T040506Z');
    expect(url.searchParams.get('X-Amz-Expires')).toBe('900');
    expect(url.searchParams.get('X-Amz-SignedHeaders')).toBe('host');
    expect(url.searchParams.get('X-Amz-Security-Token')).toBe(credentials.sessionToken);
    expect(url.searchParams.get('User-Agent')).toBeTruthy();
  });

  it('carries the same signature the AWS SDK signer computes for that request', async () => {
    const signer = new SignatureV4({
      service: 'kafka-cluster',
      region: 'eu-west-1',
      credentials,
      sha256: Sha256,
    });
    const presigned = await signer.presign(
      {
        method: 'GET',
        protocol: 'https:',
        hostname: 'kafka.eu-west-1.amazonaws.com',
        path: '/',
        query: { Action: 'kafka-cluster:Connect' },
        headers: { host: 'kafka.eu-west-1.amazonaws.com' },
      },
      { expiresIn: 900, signingDate },
    );

    const url = decodeToken(await mskIamToken('eu-west-1', credentials, signingDate));

    expect(url.searchParams.get('X-Amz-Signature')).toBe(presigned.query?.['X-Amz-Signature']);
  });

  it('is, byte for byte, the token EventGate has always sent for the same request', async () => {
    // Pinned from the earlier hand-written signer, whose output matched the SigV4 documentation's
    // example: query sorted, RFC 3986 encoding (a space is %20), User-Agent unsigned.
    expect(await mskIamToken('eu-west-1', credentials, signingDate)).toBe(
      'aHR0cHM6Ly9rYWZrYS5ldS13ZXN0LTEuYW1hem9uYXdzLmNvbS8_QWN0aW9uPWthZmthLWNsdXN0ZXIlM0FDb25uZWN0JlVzZXItQWdlbnQ9ZXZlbnRnYXRlLWthZmthanMmWC1BbXotQWxnb3JpdGhtPUFXUzQtSE1BQy1TSEEyNTYmWC1BbXotQ3JlZGVudGlhbD1BS0lBSU9TRk9ETk43RVhBTVBMRSUyRjIwMjYwMjAzJTJGZXUtd2VzdC0xJTJGa2Fma2EtY2x1c3RlciUyRmF3czRfcmVxdWVzdCZYLUFtei1EYXRlPTIwMjYwMjAzVDA0MDUwNlomWC1BbXotRXhwaXJlcz05MDAmWC1BbXotU2VjdXJpdHktVG9rZW49c2Vzc2lvbiUyRnRva2VuJTJCd2l0aCUzRG9kZCUyMGNoYXJzJlgtQW16LVNpZ25hdHVyZT02ODJiMDhmMzEyOTMwMGE5OTIyMDQyMDE5MzhkYmQxZDI5MjI4NjUwYzUzNTdlOGIzNjQ2MzFiNjFjOTRlNGQ0JlgtQW16LVNpZ25lZEhlYWRlcnM9aG9zdA',
    );
  });

  it('leaves the session token out when the credentials have none', async () => {
    const url = decodeToken(await mskIamToken('us-east-1', EXAMPLE_CREDENTIALS, signingDate));
    expect(url.searchParams.has('X-Amz-Security-Token')).toBe(false);
  });
});
