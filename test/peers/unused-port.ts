import net from 'node:net';
import type { AddressInfo } from 'node:net';

/** A 127.0.0.1 port nothing listens on (it was free a moment ago): a peer that is down. */
export async function unusedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
