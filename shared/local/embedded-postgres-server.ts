/**
 * The embedded database's own process: PGlite served over the wire protocol on 127.0.0.1. It runs
 * apart from the local runtime because PGlite executes SQL on the thread that calls it, which would
 * stall the HTTP server and the queue pollers for as long as each statement runs.
 *
 * Started by startEmbeddedPostgres (embedded-postgres.ts) with an IPC channel: it answers with
 * `{ type: 'ready', address }` or `{ type: 'failed', message }`, stops on `{ type: 'stop' }`, and also
 * stops when its parent goes away.
 */
import { mkdir } from 'node:fs/promises';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { describeError } from '../errors/describe';

export type EmbeddedServerMessage = { type: 'ready'; address: string } | { type: 'failed'; message: string };

export interface EmbeddedServerSettings {
  dataDir?: string;
  port: number;
  /** Connections the server accepts at once. */
  connectionSlots: number;
}

function send(message: EmbeddedServerMessage, then?: () => void): void {
  if (process.send) process.send(message, undefined, undefined, () => then?.());
  else then?.();
}

async function serve(settings: EmbeddedServerSettings): Promise<void> {
  if (settings.dataDir !== undefined) await mkdir(settings.dataDir, { recursive: true });
  const db = await PGlite.create(settings.dataDir === undefined ? undefined : { dataDir: settings.dataDir });
  const server = new PGLiteSocketServer({
    db,
    host: '127.0.0.1',
    port: settings.port,
    maxConnections: settings.connectionSlots,
  });
  try {
    await server.start();
  } catch (error) {
    await db.close();
    throw error;
  }

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      await server.stop();
      // Closing flushes the data directory; without it recent writes may be lost.
      await db.close();
      process.exit(0);
    })();
    return stopping;
  };
  process.on('message', (message: { type?: string }) => {
    if (message?.type === 'stop') void stop();
  });
  process.on('disconnect', () => void stop());
  process.on('SIGTERM', () => void stop());
  // A Ctrl-C in a terminal reaches the whole process group; the parent still needs the database
  // while it drains, and tells us when to stop.
  process.on('SIGINT', () => undefined);

  send({ type: 'ready', address: server.getServerConn() });
}

if (require.main === module) {
  const settings = JSON.parse(process.argv[2] ?? '{}') as EmbeddedServerSettings;
  serve(settings).catch((error: unknown) => {
    send({ type: 'failed', message: describeError(error) }, () => process.exit(1));
  });
}
