import { createTestConf, v2Event } from '../test/helpers/gateway';
import { createIngestHandler } from '../shared/ingest/handler';
import { ASYNC_SUBJECT, ASYNC_TOPIC, asyncTopicEvent } from './events';
import { BENCH_QUEUE_URL, createFakeSqsTransport, fakeSqsClient } from './fake-sqs';
const N = Number(process.env.N ?? 100);
async function main() {
  const conf = await createTestConf();
  const env = { ...process.env, EVENTGATE_SINKS: 'postgres' };
  const transport = createFakeSqsTransport();
  const sqs = fakeSqsClient(transport, { cacheMiddleware: true });
  const app = createIngestHandler({ confDir: conf.dir, env, sqs, queueUrls: { postgres: BENCH_QUEUE_URL } });
  const token = await conf.token(ASYNC_SUBJECT);
  const reqs = Array.from({ length: 32 }, (_, i) => v2Event({ method: 'POST', path: `/topics/${ASYNC_TOPIC}`, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(N === 1 ? asyncTopicEvent(`b-${i}`) : Array.from({length:N},(_,j)=>asyncTopicEvent(`b-${i}-${j}`))) }));
  for (let round = 0; round < 4; round++) {
    const c0 = process.cpuUsage(); const s0 = transport.stats.selfMs; const t0 = performance.now(); let n = 0;
    while (performance.now() - t0 < 2500) { const r = await app(reqs[n % 32]!); if (r.statusCode !== 202) throw new Error(r.body); n++; }
    const c = process.cpuUsage(c0);
    console.log('µs cpu/event (minus fake)', ((c.user + c.system - (transport.stats.selfMs - s0) * 1000) / n / N).toFixed(1));
  }
  process.exit(0);
}
main();
