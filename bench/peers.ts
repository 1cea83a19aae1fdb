import { startEventBridgeServer, type EventBridgeServerHandle } from '../test/peers/eventbridge-server';
import { startFauxqs, type FauxqsHandle } from '../test/peers/fauxqs';
import { startKafkaMock, type KafkaMockHandle } from '../test/peers/kafka';
import { queryOnce, startPostgres, type PostgresPeer } from '../test/peers/postgres';
import { ensureSystemPackages } from '../test/peers/system-packages';

/** A peer the benchmark needs, or why it could not be started (its figures are then reported n/a). */
export type Started<T> = { ok: true; peer: T } | { ok: false; reason: string };

export interface BenchPeers {
  postgres: Started<PostgresPeer>;
  kafka: Started<KafkaMockHandle>;
  fauxqs: Started<FauxqsHandle>;
  eventBridge: Started<EventBridgeServerHandle>;
  stop(): Promise<void>;
}

async function attempt<T>(start: () => Promise<T>): Promise<Started<T>> {
  try {
    return { ok: true, peer: await start() };
  } catch (error) {
    return { ok: false, reason: (error as Error).message.split('\n')[0] ?? String(error) };
  }
}

/** Starts every peer on 127.0.0.1, side by side; `stop()` stops those that started. */
export async function startBenchPeers(): Promise<BenchPeers> {
  // The Debian programs the peers and the end-to-end load need (installed when missing and allowed).
  ensureSystemPackages(['kcat', 'postgresql', 'wrk']);
  const [postgres, kafka, fauxqs, eventBridge] = await Promise.all([
    attempt(startPostgres),
    attempt(() => startKafkaMock(3)),
    attempt(startFauxqs),
    attempt(startEventBridgeServer),
  ]);
  const stoppable = [postgres, kafka, fauxqs, eventBridge].flatMap((started) =>
    started.ok ? [started.peer] : [],
  );
  return {
    postgres,
    kafka,
    fauxqs,
    eventBridge,
    async stop() {
      await Promise.allSettled(stoppable.map((peer) => peer.stop()));
    },
  };
}

/** A database of its own on the benchmark's Postgres cluster, so the scenarios never share tables. */
export async function createDatabase(peer: PostgresPeer, name: string): Promise<string> {
  await queryOnce(peer.url, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await queryOnce(peer.url, `CREATE DATABASE ${name}`);
  const url = new URL(peer.url);
  url.pathname = `/${name}`;
  return url.toString();
}
