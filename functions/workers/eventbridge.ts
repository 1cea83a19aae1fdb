import { ConfigError } from '../../shared/config/errors';
import { createSinkWorker } from '../../shared/queue/sink-worker';
import { EventBridgeSink, eventBridgeSinkOptionsFromConfig } from '../../shared/sinks/eventbridge/sink';

/** EventBridge queue → PutEvents, in chunks within the API's limits. */
export const handler = createSinkWorker('eventbridge', (config) => {
  const options = eventBridgeSinkOptionsFromConfig(config);
  if (!options) throw new ConfigError('the eventbridge sink is not configured (event_bus_arn)');
  return new EventBridgeSink(options);
});
