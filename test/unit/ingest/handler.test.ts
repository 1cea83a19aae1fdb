import { GatewayStateLoader } from '../../../shared/gateway/state';
import { sinksFollowingConfig } from '../../../shared/ingest/handler';
import { createTestConf, type TestConf } from '../../helpers/gateway';

describe('sinks built from config', () => {
  let conf: TestConf;
  beforeEach(async () => {
    conf = await createTestConf();
    // Building a Kafka sink opens no connection, so no broker is needed to compare instances.
    conf.setConfig({ kafka_bootstrap_server: '127.0.0.1:9', kafka: { idempotent: false } });
  });
  afterEach(() => conf.cleanup());

  it('keeps its clients across a reload that changed nothing, and rebuilds them when config changed', async () => {
    const env = { EVENTGATE_SINKS: 'kafka' };
    const state = new GatewayStateLoader({ confDir: conf.dir, env });
    const sinks = sinksFollowingConfig(state, env);
    const first = await sinks('kafka');
    await state.reload();
    expect(await sinks('kafka')).toBe(first);
    conf.setConfig({ kafka_bootstrap_server: '127.0.0.1:10' });
    await state.reload();
    const rebuilt = await sinks('kafka');
    expect(rebuilt).not.toBe(first);
    await rebuilt.close();
  });
});
