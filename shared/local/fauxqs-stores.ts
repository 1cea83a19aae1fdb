/**
 * fauxqs's stores for the embedded SQS server, kept on disk when asked: loaded from its SQLite file,
 * written through on every change, with the settings and the one repair the local runtime needs.
 * Runs only in the server's own process (embedded-sqs-server.ts): fauxqs is an ES module, which
 * Jest's CommonJS runtime cannot load.
 */
import { findPackageJSON } from 'node:module';
import path from 'node:path';
import type { DatabaseSync } from 'node:sqlite';
import { pathToFileURL } from 'node:url';
import type * as PersistenceModule from 'fauxqs/dist/persistence';
import type { PersistenceManager } from 'fauxqs/dist/persistence';
import type * as S3StoreModule from 'fauxqs/dist/s3/s3Store';
import type * as SnsStoreModule from 'fauxqs/dist/sns/snsStore';
import type * as SqsStoreModule from 'fauxqs/dist/sqs/sqsStore';
import type { SqsStore } from 'fauxqs/dist/sqs/sqsStore';
import type { S3Store } from 'fauxqs/dist/s3/s3Store';
import type { SnsStore } from 'fauxqs/dist/sns/snsStore';

/**
 * One of fauxqs's own modules by its path in the package. The store classes and the SQS actions
 * are not in its public entry point (which only builds or starts a whole server), and its `exports`
 * map keeps deep imports out, so the file is imported by URL.
 */
export async function fauxqsModule<Module>(file: string): Promise<Module> {
  const manifest = findPackageJSON('fauxqs', __filename);
  if (manifest === undefined) throw new Error('the fauxqs package is not installed');
  return (await import(pathToFileURL(path.join(path.dirname(manifest), file)).href)) as Module;
}

export interface FauxqsStoreSettings {
  /** Where the SQLite file lives; in memory when absent. */
  dataDir?: string;
  /** Make messages a previous run had received but not deleted visible again at once. */
  releaseInFlight: boolean;
  /** SQLite's `synchronous`: NORMAL survives a crash of any process, FULL a power cut too. */
  synchronous: 'FULL' | 'NORMAL';
}

export interface FauxqsStores {
  sqsStore: SqsStore;
  snsStore: SnsStore;
  s3Store: S3Store;
  /**
   * Runs `work` (synchronous) in one SQLite transaction: every change it makes reaches the disk in
   * one commit instead of one per message. If the commit fails, the changes are rolled back on disk
   * and the error is thrown; the messages may then still be in the server's memory until it restarts.
   */
  transaction(work: () => void): void;
  close(): void;
}

// fauxqs 2.4.1 marks a message visible again (ChangeMessageVisibility to 0) by writing NULL into
// every in-flight column, approximate_receive_count too, which the schema declares NOT NULL. The
// statement fails after the message has left the in-flight set but before it rejoins the queue:
// the caller gets an error, its retry a ReceiptHandleIsInvalid, and the message is lost from memory
// until the server restarts. SQS keeps the receive count (the redrive policy counts on it), so only
// the receipt handle and the deadline are cleared.
const RELEASE_MESSAGE = `UPDATE sqs_messages SET receipt_handle = NULL, visibility_deadline = NULL
  WHERE message_id = ?`;

function databaseOf(persistence: PersistenceManager): DatabaseSync {
  // The connection is a private member of fauxqs's persistence manager; its pragmas and the
  // transactions around direct calls need it.
  return (persistence as unknown as { db: DatabaseSync }).db;
}

export async function openFauxqsStores(settings: FauxqsStoreSettings): Promise<FauxqsStores> {
  const [{ SqsStore }, { SnsStore }, { S3Store }] = await Promise.all([
    fauxqsModule<typeof SqsStoreModule>('dist/sqs/sqsStore.js'),
    fauxqsModule<typeof SnsStoreModule>('dist/sns/snsStore.js'),
    fauxqsModule<typeof S3StoreModule>('dist/s3/s3Store.js'),
  ]);
  const stores = { sqsStore: new SqsStore(), snsStore: new SnsStore(), s3Store: new S3Store() };
  if (settings.dataDir === undefined)
    return { ...stores, transaction: (work) => work(), close: () => undefined };

  const { PersistenceManager } = await fauxqsModule<typeof PersistenceModule>('dist/persistence.js');
  const persistence = new PersistenceManager(settings.dataDir);
  const db = databaseOf(persistence);
  db.exec(`PRAGMA synchronous = ${settings.synchronous}`);
  // An expired visibility deadline is cleared when the state is loaded: the message is ready again.
  if (settings.releaseInFlight)
    db.exec('UPDATE sqs_messages SET visibility_deadline = 1 WHERE receipt_handle IS NOT NULL');
  const release = db.prepare(RELEASE_MESSAGE);
  persistence.updateMessageReady = (messageId: string): void => {
    release.run(messageId);
  };

  // As fauxqs's own startFauxqs does: load first, then write through (loading with persistence
  // attached would rewrite every queue row, and a replaced queue row cascades to its messages).
  persistence.load(stores.sqsStore, stores.snsStore, stores.s3Store);
  stores.sqsStore.persistence = persistence;
  stores.snsStore.persistence = persistence;
  stores.s3Store.persistence = persistence;
  for (const queue of stores.sqsStore.allQueues()) queue.persistence = persistence;

  return {
    ...stores,
    transaction(work) {
      db.exec('BEGIN');
      try {
        work();
        db.exec('COMMIT');
      } catch (error) {
        if (db.isTransaction) db.exec('ROLLBACK');
        throw error;
      }
    },
    close: () => persistence.close(),
  };
}
