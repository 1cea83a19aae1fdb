/**
 * The embedded SQS server's own process: fauxqs on 127.0.0.1 (SQS JSON protocol and path-style S3),
 * its queues on disk when a data folder is given. It runs apart from the local runtime because
 * fauxqs is an ES module that some hosts of the runtime (Jest's CommonJS runtime) cannot load, and
 * so that its work runs on another core than the gateway's.
 *
 * Started by startEmbeddedSqs (embedded-sqs.ts) with an IPC channel: it answers
 * `{ type: 'ready', address }` or `{ type: 'failed', message }`, runs the runtime's direct calls
 * (sqs-direct-protocol.ts), and stops on `{ type: 'stop' }` or when its parent goes away. It ignores
 * SIGINT: a Ctrl-C in a terminal reaches the whole process group, and the parent still needs the
 * queues while its workers finish their batches.
 */
import type * as FauxqsModule from 'fauxqs';
import type * as DeleteMessageBatchModule from 'fauxqs/dist/sqs/actions/deleteMessageBatch';
import type * as ReceiveMessageModule from 'fauxqs/dist/sqs/actions/receiveMessage';
import type * as SendMessageBatchModule from 'fauxqs/dist/sqs/actions/sendMessageBatch';
import type { SqsStore } from 'fauxqs/dist/sqs/sqsStore';
import { fauxqsModule, openFauxqsStores } from './fauxqs-stores';
import type { DirectAction, EmbeddedSqsSettings, FromSqsServer, ToSqsServer } from './sqs-direct-protocol';
import { DirectCallServer, type SqsAction } from './sqs-direct-server';
import { describeError } from '../errors/describe';

function send(message: FromSqsServer, then?: () => void): void {
  if (process.send) process.send(message, undefined, undefined, () => then?.());
  else then?.();
}

async function directActions(): Promise<Record<DirectAction, SqsAction<SqsStore>>> {
  const [{ sendMessageBatch }, { receiveMessage }, { deleteMessageBatch }] = await Promise.all([
    fauxqsModule<typeof SendMessageBatchModule>('dist/sqs/actions/sendMessageBatch.js'),
    fauxqsModule<typeof ReceiveMessageModule>('dist/sqs/actions/receiveMessage.js'),
    fauxqsModule<typeof DeleteMessageBatchModule>('dist/sqs/actions/deleteMessageBatch.js'),
  ]);
  return {
    SendMessageBatch: sendMessageBatch,
    ReceiveMessage: receiveMessage,
    DeleteMessageBatch: deleteMessageBatch,
  };
}

async function serve(settings: EmbeddedSqsSettings): Promise<void> {
  process.on('SIGINT', () => undefined);
  const { buildApp } = (await import('fauxqs')) as typeof FauxqsModule;
  const stores = await openFauxqsStores(settings);
  // Not fauxqs's startFauxqs(), which would listen on every interface: buildApp() listens where told.
  const app = buildApp({
    logger: false,
    stores: { sqsStore: stores.sqsStore, snsStore: stores.snsStore, s3Store: stores.s3Store },
  });
  app.addHook('preClose', () => stores.close());
  const address = await app.listen({ host: '127.0.0.1', port: settings.port });

  const direct = new DirectCallServer({
    actions: await directActions(),
    store: stores.sqsStore,
    transaction: stores.transaction,
    reply: (results) => send({ type: 'results', results }),
  });
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    app.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('message', (message: ToSqsServer) => {
    if (message.type === 'calls') direct.accept(message.calls);
    else if (message.type === 'stop') stop();
  });
  process.on('disconnect', stop);
  process.on('SIGTERM', stop);
  send({ type: 'ready', address: address.replace('localhost', '127.0.0.1') });
}

serve(JSON.parse(process.argv[2] ?? '{}') as EmbeddedSqsSettings).catch((error: unknown) => {
  send({ type: 'failed', message: describeError(error) }, () => process.exit(1));
});
