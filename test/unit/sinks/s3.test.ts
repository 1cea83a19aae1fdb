import { gunzipSync } from 'node:zlib';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { createEnvelope, type Envelope } from '../../../shared/envelope';
import {
  S3ArchiveSink,
  archiveBody,
  archiveKey,
  s3ArchiveSinkOptionsFromConfig,
} from '../../../shared/sinks/s3/sink';

function envelope(topic: string, receivedAt: string, payload: unknown = {}): Envelope {
  return createEnvelope({
    topic,
    payload,
    subject: null,
    correlationId: 'c',
    receivedAt: new Date(receivedAt),
  });
}

describe('archiveKey', () => {
  it('partitions by topic, UTC day and hour of the first event, and names the object by its id and count', () => {
    const events = [
      envelope('orders', '2026-07-08T23:59:59.999Z'),
      envelope('orders', '2026-07-09T00:00:00Z'),
    ];
    expect(archiveKey('events', events)).toBe(
      `events/topic=orders/dt=2026-07-08/hour=23/${events[0]?.id}-2.ndjson.gz`,
    );
  });

  it('tolerates a trailing slash or no prefix, and escapes what would break the path', () => {
    const event = envelope('a/b c', '2026-01-02T03:04:05Z');
    expect(archiveKey('archive/', [event])).toMatch(/^archive\/topic=a%2Fb%20c\/dt=2026-01-02\/hour=03\//);
    expect(archiveKey('', [event])).toMatch(/^topic=a%2Fb%20c\//);
  });
});

describe('archiveBody', () => {
  it('is gzip NDJSON with one full envelope per line', async () => {
    const events = [
      envelope('t', '2026-01-01T00:00:00Z', { line: 'one\ntwo' }),
      envelope('t', '2026-01-01T00:00:00Z'),
    ];
    const text = gunzipSync(await archiveBody(events)).toString('utf8');
    expect(text.split('\n')).toHaveLength(3);
    expect(
      text
        .trimEnd()
        .split('\n')
        .map((line) => JSON.parse(line)),
    ).toEqual(events);
  });
});

describe('S3ArchiveSink.write', () => {
  afterEach(() => jest.restoreAllMocks());

  it('fails only the events of the topic whose PutObject failed', async () => {
    const keys: string[] = [];
    jest.spyOn(S3Client.prototype, 'send').mockImplementation(async (command: unknown) => {
      const key = (command as PutObjectCommand).input.Key as string;
      keys.push(key);
      if (key.includes('topic=broken/'))
        throw Object.assign(new Error('We encountered an internal error'), { name: 'InternalError' });
      return {};
    });
    const sink = new S3ArchiveSink({ bucket: 'b', clientConfig: { region: 'us-east-1' } });
    const events = [
      envelope('fine', '2026-01-01T00:00:00Z'),
      envelope('broken', '2026-01-01T00:00:00Z'),
      envelope('fine', '2026-01-01T00:00:00Z'),
    ];

    const outcomes = await sink.write(events);

    expect(keys).toHaveLength(2);
    expect(outcomes.map((outcome) => outcome.ok)).toEqual([true, false, true]);
    expect(outcomes[1]?.ok === false && outcomes[1].error).toMatchObject({
      sink: 's3',
      retryable: true,
      message: expect.stringMatching(
        /^S3 PutObject s3:\/\/b\/events\/topic=broken\/.* failed: InternalError: /,
      ),
    });
    await sink.close();
  });

  it('fails retryably without throwing when there is no bucket', async () => {
    const sink = new S3ArchiveSink({ bucket: '' });
    const [outcome] = await sink.write([envelope('t', '2026-01-01T00:00:00Z')]);
    expect(outcome?.ok === false && outcome.error.message).toMatch(/not configured/);
  });
});

describe('s3ArchiveSinkOptionsFromConfig', () => {
  it('is undefined without a bucket', () => {
    expect(s3ArchiveSinkOptionsFromConfig({}, {})).toBeUndefined();
    expect(s3ArchiveSinkOptionsFromConfig({ s3_archive: { bucket: '' } }, {})).toBeUndefined();
  });

  it('maps bucket, prefix and region, and path-style addressing from the environment', () => {
    expect(
      s3ArchiveSinkOptionsFromConfig(
        { s3_archive: { bucket: 'arch', prefix: 'raw', region: 'eu-west-1' } },
        { AWS_S3_FORCE_PATH_STYLE: 'true' },
      ),
    ).toEqual({ bucket: 'arch', prefix: 'raw', clientConfig: { region: 'eu-west-1', forcePathStyle: true } });
    expect(s3ArchiveSinkOptionsFromConfig({ s3_archive: { bucket: 'arch' } }, {})).toEqual({
      bucket: 'arch',
    });
  });
});
