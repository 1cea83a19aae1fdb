import { SHARED_POSTGRES_KEY, type SharedPeers } from './global-setup';
import { TEST_DATABASE_URL_VARIABLE } from './postgres';

export default async function globalTeardown(): Promise<void> {
  const peers = globalThis as SharedPeers;
  const postgres = peers[SHARED_POSTGRES_KEY];
  if (!postgres) return;
  delete peers[SHARED_POSTGRES_KEY];
  delete process.env[TEST_DATABASE_URL_VARIABLE];
  await postgres.stop();
}
