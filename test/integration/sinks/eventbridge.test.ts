import { randomUUID } from 'node:crypto';
import { createEnvelope, type Envelope } from '../../../shared/envelope';
import { EventBridgeSink, type EventBridgeSinkOptions } from '../../../shared/sinks/eventbridge/sink';
import type { DeliveryOutcome } from '../../../shared/sinks/types';
import {
  startEventBridgeServer,
  wireEntrySize,
  type EventBridgeServerHandle,
  type WireEntry,
} from '../../peers/eventbridge-server';
import { unusedPort } from '../../peers/unused-port';

const BUS_ARN = 'arn:aws:events:us-east-1:123456789012:event-bus/eventgate-test';

function envelope(topic: string, payload: Record<string, unknown>): Envelope {
  return createEnvelope({ topic, payload, subject: 'tester', correlationId: randomUUID() });
}

function clientConfig(endpoint: string): EventBridgeSinkOptions['clientConfig'] {
  // One SDK attempt per call: the test sees exactly the calls the sink decided to make.
  return {
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
  };
}

function detailIs(event: Envelope): (entry: WireEntry) => boolean {
  return (entry) => entry.Detail === JSON.stringify(event.payload);
}

function failures(outcomes: DeliveryOutcome[]): { id: string; retryable: boolean; message: string }[] {
  return outcomes.flatMap((outcome) =>
    outcome.ok
      ? []
      : [{ id: outcome.id, retryable: outcome.error.retryable, message: outcome.error.message }],
  );
}

describe('EventBridgeSink against a PutEvents server', () => {
  let server: EventBridgeServerHandle;
  const sinks: EventBridgeSink[] = [];

  function sink(options: Partial<EventBridgeSinkOptions> = {}): EventBridgeSink {
    const created = new EventBridgeSink({
      eventBusArn: BUS_ARN,
      clientConfig: clientConfig(server.endpoint),
      baseBackoffMs: 5,
      timeoutMs: 5_000,
      ...options,
    });
    sinks.push(created);
    return created;
  }

  beforeAll(async () => {
    server = await startEventBridgeServer();
  });

  afterEach(async () => {
    server.reset();
    await Promise.all(sinks.splice(0).map((created) => created.close()));
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('puts each event with the topic as Source, the payload as Detail and the arrival time', async () => {
    const events = [envelope('orders', { order: 1, note: 'zaž' }), envelope('payments', { payment: 2 })];

    const outcomes = await sink().write(events);

    expect(outcomes).toEqual(events.map((event) => ({ id: event.id, ok: true })));
    expect(server.calls).toHaveLength(1);
    expect(server.entries.map(({ eventId: _eventId, call: _call, ...entry }) => entry)).toEqual(
      events.map((event) => ({
        Source: event.topic,
        DetailType: 'JSON',
        Detail: JSON.stringify(event.payload),
        EventBusName: BUS_ARN,
        Time: Date.parse(event.receivedAt) / 1000,
      })),
    );
  });

  it('fills the Source template and uses the configured DetailType', async () => {
    const event = envelope('orders', { order: 1 });

    await sink({ source: 'eventgate.{topic}', detailType: 'OrderEvent' }).write([event]);

    expect(server.entries).toHaveLength(1);
    expect(server.entries[0]).toMatchObject({ Source: 'eventgate.orders', DetailType: 'OrderEvent' });
  });

  it('splits a large batch into calls of at most 10 entries', async () => {
    const events = Array.from({ length: 25 }, (_, n) => envelope('orders', { n }));

    const outcomes = await sink().write(events);

    expect(outcomes.every((outcome) => outcome.ok)).toBe(true);
    expect(server.calls.map((call) => call.entries.length)).toEqual([10, 10, 5]);
    expect(server.entries.map((entry) => entry.Detail)).toEqual(
      events.map((event) => JSON.stringify(event.payload)),
    );
  });

  it('keeps every call under 256 KiB', async () => {
    const events = Array.from({ length: 3 }, (_, n) =>
      envelope('orders', { n, filler: 'x'.repeat(100 * 1024) }),
    );

    const outcomes = await sink().write(events);

    expect(outcomes.every((outcome) => outcome.ok)).toBe(true);
    expect(server.calls.map((call) => call.entries.length)).toEqual([2, 1]);
    for (const call of server.calls) {
      expect(call.entries.reduce((sum, entry) => sum + wireEntrySize(entry), 0)).toBeLessThanOrEqual(
        256 * 1024,
      );
    }
  });

  it('fails an entry over 256 KiB alone, as not retryable, and sends the others', async () => {
    const small = envelope('orders', { n: 1 });
    const huge = envelope('orders', { n: 2, filler: 'x'.repeat(256 * 1024) });
    const other = envelope('orders', { n: 3 });

    const outcomes = await sink().write([small, huge, other]);

    expect(outcomes.map((outcome) => outcome.ok)).toEqual([true, false, true]);
    expect(failures(outcomes)).toEqual([
      { id: huge.id, retryable: false, message: expect.stringMatching(/over the 262144-byte limit/) },
    ]);
    expect(server.entries.map((entry) => entry.Detail)).toEqual(
      [small, other].map((e) => JSON.stringify(e.payload)),
    );
  });

  it('fails only the entries EventBridge rejects, mapped back by position', async () => {
    const events = Array.from({ length: 4 }, (_, n) => envelope('orders', { n }));
    const rejected = events[2] as Envelope;
    server.failEntries(detailIs(rejected), 'MalformedDetail', { message: 'Detail is malformed.' });

    const outcomes = await sink().write(events);

    expect(failures(outcomes)).toEqual([
      {
        id: rejected.id,
        retryable: false,
        message: 'EventBridge rejected the entry: MalformedDetail: Detail is malformed.',
      },
    ]);
    expect(server.entries).toHaveLength(3);
    expect(server.calls).toHaveLength(1);
  });

  it('retries throttled entries alone until they are accepted', async () => {
    const events = Array.from({ length: 3 }, (_, n) => envelope('orders', { n }));
    const throttled = events[1] as Envelope;
    server.failEntries(detailIs(throttled), 'ThrottlingException', { times: 2 });

    const outcomes = await sink({ maxAttempts: 3 }).write(events);

    expect(outcomes).toEqual(events.map((event) => ({ id: event.id, ok: true })));
    expect(server.calls.map((call) => call.entries.length)).toEqual([3, 1, 1]);
    expect(server.entries.filter(detailIs(throttled))).toHaveLength(1);
    expect(server.entries).toHaveLength(3);
  });

  it('retries entries failing with InternalFailure, then gives up retryably', async () => {
    const events = [envelope('orders', { n: 1 }), envelope('orders', { n: 2 })];
    server.failNext(5, 'InternalFailure');

    const outcomes = await sink({ maxAttempts: 2 }).write(events);

    expect(server.calls).toHaveLength(2);
    expect(failures(outcomes)).toEqual(
      events.map((event) => ({
        id: event.id,
        retryable: true,
        message: expect.stringMatching(/InternalFailure/),
      })),
    );
    expect(server.entries).toHaveLength(0);
  });

  it.each([500, 400])('fails every event retryably when the whole call gets HTTP %i', async (status) => {
    const events = [envelope('orders', { n: 1 }), envelope('orders', { n: 2 })];
    server.failWholeCall(status);

    const outcomes = await sink().write(events);

    expect(failures(outcomes)).toEqual(
      events.map((event) => ({
        id: event.id,
        retryable: true,
        message: expect.stringMatching(/PutEvents failed/),
      })),
    );
  });

  it('fails every event retryably when a call hangs past timeoutMs', async () => {
    const events = [envelope('orders', { n: 1 }), envelope('orders', { n: 2 })];
    server.stallNext();

    const outcomes = await sink({ timeoutMs: 300 }).write(events);

    expect(server.calls).toHaveLength(1);
    expect(failures(outcomes)).toEqual(
      events.map((event) => ({
        id: event.id,
        retryable: true,
        message: expect.stringMatching(/TimeoutError/),
      })),
    );
  });

  it('reports health from configuration', async () => {
    await expect(sink().health()).resolves.toEqual({ status: 'ok' });
    await expect(sink({ eventBusArn: '' }).health()).resolves.toEqual({ status: 'not configured' });
  });
});

describe('EventBridgeSink when the endpoint is down', () => {
  it('fails every event retryably, without throwing, once the server has stopped', async () => {
    const server = await startEventBridgeServer();
    const sink = new EventBridgeSink({
      eventBusArn: BUS_ARN,
      clientConfig: clientConfig(server.endpoint),
      timeoutMs: 2_000,
    });
    try {
      const before = envelope('orders', { phase: 'before' });
      expect(await sink.write([before])).toEqual([{ id: before.id, ok: true }]);

      await server.stop();
      const events = [envelope('orders', { n: 1 }), envelope('orders', { n: 2 })];
      const outcomes = await sink.write(events);

      expect(outcomes.map((outcome) => outcome.id)).toEqual(events.map((event) => event.id));
      expect(outcomes.every((outcome) => !outcome.ok && outcome.error.retryable)).toBe(true);
    } finally {
      await sink.close();
      await server.stop().catch(() => undefined);
    }
  });

  it('fails every event retryably when nothing listens on the port', async () => {
    const endpoint = `http://127.0.0.1:${await unusedPort()}`;
    const sink = new EventBridgeSink({
      eventBusArn: BUS_ARN,
      clientConfig: clientConfig(endpoint),
      timeoutMs: 2_000,
    });
    try {
      const outcomes = await sink.write([envelope('orders', { n: 1 })]);

      expect(outcomes).toHaveLength(1);
      expect(outcomes[0]?.ok === false && outcomes[0].error.retryable).toBe(true);
    } finally {
      await sink.close();
    }
  });
});
