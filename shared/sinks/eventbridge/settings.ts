import type { ConfigDocument, SinkSettings } from '../definition';

export interface EventBridgeSettings {
  /** `Source` of each entry; `{topic}` is replaced by the EventGate topic (the default). */
  source?: string;
  detail_type?: string;
  region?: string;
}

/** The config.json keys of the eventbridge sink. */
export interface EventBridgeConfigKeys {
  event_bus_arn?: string;
  eventbridge?: EventBridgeSettings;
}

export const eventBridgeSettings: SinkSettings = {
  properties: {
    event_bus_arn: { type: 'string' },
    eventbridge: {
      type: 'object',
      additionalProperties: false,
      properties: {
        source: { type: 'string', minLength: 1 },
        detail_type: { type: 'string', minLength: 1 },
        region: { type: 'string', minLength: 1 },
      },
    },
  },
  fromEnvironment(document: ConfigDocument, env: NodeJS.ProcessEnv): ConfigDocument {
    const bus = env.EVENT_BUS_ARN;
    return bus ? { ...document, event_bus_arn: bus } : document;
  },
};
