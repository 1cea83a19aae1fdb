import { SyncDelivery } from '../../../shared/delivery/sync';
import { createEnvelope, type Envelope } from '../../../shared/envelope';
import { deliveredAll, SinkError, type Sink } from '../../../shared/sinks/types';

function envelope(key: string): Envelope {
  return createEnvelope({
    topic: 't',
    payload: { key },
    subject: 's',
    correlationId: 'c',
    idempotencyKey: key,
  });
}

function sink(name: string, write: Sink['write']): Sink {
  return { name, write, health: async () => ({ status: 'ok' }), close: async () => undefined };
}

const never = (): Promise<never> => new Promise<never>(() => undefined);

describe('SyncDelivery', () => {
  const events = [envelope('a'), envelope('b')];
  const [first, second] = events as [Envelope, Envelope];
  const sinks: Record<string, Sink> = {
    ok: sink('ok', async (batch) => deliveredAll(batch)),
    partial: sink('partial', async (batch) =>
      batch.map((event) =>
        event.id === second.id
          ? { id: event.id, ok: false as const, error: new SinkError('partial', 'row refused') }
          : { id: event.id, ok: true as const },
      ),
    ),
    down: sink('down', async () => {
      throw new Error('connection refused');
    }),
    slow: sink('slow', never),
  };
  const delivery = new SyncDelivery({
    sinks: async (name) => sinks[name] as Sink,
    timeoutMs: 20,
  });

  test('one sink that takes every event: an empty report', async () => {
    expect((await delivery.deliver(['ok'], events)).size).toBe(0);
  });

  test('one sink: the events it refused, or all of them when it throws or runs out of time', async () => {
    expect(await delivery.deliver(['partial'], events)).toEqual(
      new Map([[second.id, [{ type: 'partial', message: 'row refused' }]]]),
    );
    expect(await delivery.deliver(['down'], events)).toEqual(
      new Map(events.map((event) => [event.id, [{ type: 'down', message: 'connection refused' }]])),
    );
    const late = await delivery.deliver(['slow'], [first], 10);
    expect(late).toEqual(
      new Map([[first.id, [{ type: 'slow', message: 'slow sink timed out after 10 ms' }]]]),
    );
  });

  test('several sinks: each failure recorded under its event, in the order the sinks are listed', async () => {
    const report = await delivery.deliver(['down', 'ok', 'partial'], events);
    expect(report).toEqual(
      new Map([
        [first.id, [{ type: 'down', message: 'connection refused' }]],
        [
          second.id,
          [
            { type: 'down', message: 'connection refused' },
            { type: 'partial', message: 'row refused' },
          ],
        ],
      ]),
    );
  });

  test('a sink that cannot be built is a failure of that sink', async () => {
    const broken = new SyncDelivery({
      sinks: async () => {
        throw new Error('no such sink');
      },
      timeoutMs: 20,
    });
    expect(await broken.deliver(['ok'], [first])).toEqual(
      new Map([[first.id, [{ type: 'ok', message: 'no such sink' }]]]),
    );
  });
});
