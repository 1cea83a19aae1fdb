import { randomUUID } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import {
  CreateBucketCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  type S3Client,
} from '@aws-sdk/client-s3';
import { createEnvelope, type Envelope } from '../../../shared/envelope';
import { S3ArchiveSink, type S3ArchiveSinkOptions } from '../../../shared/sinks/s3/sink';
import { fauxqsS3Client, startFauxqs, type FauxqsHandle } from '../../peers/fauxqs';

function envelope(topic: string, payload: Record<string, unknown>, receivedAt: Date): Envelope {
  return createEnvelope({ topic, payload, subject: 'tester', correlationId: randomUUID(), receivedAt });
}

async function listKeys(s3: S3Client, bucket: string): Promise<string[]> {
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
  return (listed.Contents ?? []).map((object) => object.Key as string).sort();
}

async function readArchive(s3: S3Client, bucket: string, key: string): Promise<unknown[]> {
  const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  const bytes = await object.Body?.transformToByteArray();
  const text = gunzipSync(Buffer.from(bytes ?? [])).toString('utf8');
  expect(text.endsWith('\n')).toBe(true);
  return text
    .trimEnd()
    .split('\n')
    .map((line) => JSON.parse(line) as unknown);
}

describe('S3ArchiveSink against fauxqs S3', () => {
  let fauxqs: FauxqsHandle;
  let s3: S3Client;
  const sinks: S3ArchiveSink[] = [];

  function sink(options: Partial<S3ArchiveSinkOptions> & { bucket: string }): S3ArchiveSink {
    const created = new S3ArchiveSink({
      clientConfig: { ...fauxqs.clientConfig, forcePathStyle: true },
      ...options,
    });
    sinks.push(created);
    return created;
  }

  async function newBucket(): Promise<string> {
    const bucket = `archive-${randomUUID()}`;
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    return bucket;
  }

  beforeAll(async () => {
    fauxqs = await startFauxqs();
    s3 = fauxqsS3Client(fauxqs.endpoint);
  });

  afterEach(async () => {
    await Promise.all(sinks.splice(0).map((created) => created.close()));
  });

  afterAll(async () => {
    s3?.destroy();
    await fauxqs?.stop();
  });

  it('writes one gzip NDJSON object per topic, partitioned by the first event’s day and hour', async () => {
    const bucket = await newBucket();
    const orders = [
      envelope('orders', { order: 1, note: 'zaž' }, new Date('2026-03-04T05:59:59.900Z')),
      envelope('orders', { order: 2 }, new Date('2026-03-04T06:00:00.100Z')),
    ];
    const payment = envelope('payments', { payment: 3 }, new Date('2026-03-05T23:10:00.000Z'));
    const events = [orders[0] as Envelope, payment, orders[1] as Envelope];

    const outcomes = await sink({ bucket, prefix: 'archive/v1' }).write(events);

    expect(outcomes).toEqual(events.map((event) => ({ id: event.id, ok: true })));
    const ordersKey = `archive/v1/topic=orders/dt=2026-03-04/hour=05/${orders[0]?.id}-2.ndjson.gz`;
    const paymentsKey = `archive/v1/topic=payments/dt=2026-03-05/hour=23/${payment.id}-1.ndjson.gz`;
    expect(await listKeys(s3, bucket)).toEqual([ordersKey, paymentsKey].sort());
    expect(await readArchive(s3, bucket, ordersKey)).toEqual(orders);
    expect(await readArchive(s3, bucket, paymentsKey)).toEqual([payment]);
  });

  it('overwrites its own object when the same batch is delivered twice', async () => {
    const bucket = await newBucket();
    const events = [
      envelope('orders', { n: 1 }, new Date('2026-01-01T00:00:00Z')),
      envelope('orders', { n: 2 }, new Date('2026-01-01T00:00:01Z')),
    ];
    const archive = sink({ bucket });

    await archive.write(events);
    const again = await archive.write(events);

    expect(again.every((outcome) => outcome.ok)).toBe(true);
    const keys = await listKeys(s3, bucket);
    expect(keys).toEqual([`events/topic=orders/dt=2026-01-01/hour=00/${events[0]?.id}-2.ndjson.gz`]);
    expect(await readArchive(s3, bucket, keys[0] as string)).toEqual(events);
  });

  it('fails every event retryably when the bucket does not exist', async () => {
    const events = [envelope('orders', { n: 1 }, new Date()), envelope('payments', { n: 2 }, new Date())];

    const outcomes = await sink({ bucket: `missing-${randomUUID()}` }).write(events);

    expect(outcomes.map((outcome) => outcome.id)).toEqual(events.map((event) => event.id));
    for (const outcome of outcomes) {
      expect(outcome.ok).toBe(false);
      if (!outcome.ok) {
        expect(outcome.error.retryable).toBe(true);
        expect(outcome.error.message).toMatch(/NoSuchBucket/);
      }
    }
  });

  it('reports health with HeadBucket', async () => {
    const bucket = await newBucket();
    await expect(sink({ bucket }).health()).resolves.toEqual({ status: 'ok' });
    await expect(sink({ bucket: `missing-${randomUUID()}` }).health()).resolves.toMatchObject({
      status: 'down',
    });
    await expect(sink({ bucket: '' }).health()).resolves.toEqual({ status: 'not configured' });
  });
});

describe('S3ArchiveSink when S3 is down', () => {
  it('fails every event retryably, without throwing, once fauxqs has stopped', async () => {
    const fauxqs = await startFauxqs();
    const admin = fauxqsS3Client(fauxqs.endpoint);
    const bucket = `archive-${randomUUID()}`;
    const archive = new S3ArchiveSink({
      bucket,
      clientConfig: { ...fauxqs.clientConfig, forcePathStyle: true, maxAttempts: 1 },
      timeoutMs: 2_000,
    });
    try {
      await admin.send(new CreateBucketCommand({ Bucket: bucket }));
      const before = envelope('orders', { phase: 'before' }, new Date());
      expect(await archive.write([before])).toEqual([{ id: before.id, ok: true }]);

      await fauxqs.stop();
      const events = [envelope('orders', { n: 1 }, new Date()), envelope('payments', { n: 2 }, new Date())];
      const outcomes = await archive.write(events);

      expect(outcomes.map((outcome) => outcome.id)).toEqual(events.map((event) => event.id));
      expect(outcomes.every((outcome) => !outcome.ok && outcome.error.retryable)).toBe(true);
      expect((await archive.health()).status).toBe('down');
    } finally {
      await archive.close();
      admin.destroy();
      await fauxqs.stop();
    }
  });
});
