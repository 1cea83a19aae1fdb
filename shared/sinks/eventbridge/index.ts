/* eslint-disable @typescript-eslint/no-require-imports */
import { arnPrefix, isArn, sub, type Json } from '../../deploy/cloudformation';
import { withDefault } from '../../deploy/parameter-rules';
import type { Envelope } from '../../envelope';
import { defineSink } from '../definition';
import { eventBridgeEventBytes, EVENTBRIDGE_MAX_ENTRY_BYTES } from '../limits';
import type { EventBridgeSinkOptions } from './sink';
import { eventBridgeSettings, type EventBridgeConfigKeys } from './settings';

// Required when the sink is built, never at load (see ../kafka/index.ts).
const client = (): typeof import('./sink') => require('./sink') as typeof import('./sink');

function eventBusArn(bus: string): Json {
  return isArn(bus) ? bus : sub(`${arnPrefix('events')}event-bus/${bus}`);
}

/** EventBridge: PutEvents in chunks within the API's limits. */
export const eventBridgeSink = defineSink<EventBridgeSinkOptions>({
  name: 'eventbridge',
  settings: eventBridgeSettings,
  configuredBy: 'event_bus_arn',
  isConfigured: (config) => Boolean((config as EventBridgeConfigKeys).event_bus_arn),
  clientOptions: (config) => client().eventBridgeSinkOptionsFromConfig(config as EventBridgeConfigKeys),
  createSink: (options) => new (client().EventBridgeSink)(options),
  clientPackages: ['@aws-sdk/client-eventbridge'],
  admission: {
    // What is left of an entry next to its Source, DetailType and Time.
    room: (config, topic) =>
      EVENTBRIDGE_MAX_ENTRY_BYTES -
      eventBridgeEventBytes({ topic } as Envelope, '', (config as EventBridgeConfigKeys).eventbridge),
    oversize(event, payloadJson, config) {
      const bytes = eventBridgeEventBytes(event, payloadJson, (config as EventBridgeConfigKeys).eventbridge);
      return bytes > EVENTBRIDGE_MAX_ENTRY_BYTES
        ? `event is ${bytes} bytes as an EventBridge entry; the eventbridge sink takes at most ${EVENTBRIDGE_MAX_ENTRY_BYTES}`
        : null;
    },
  },
  deploy: {
    // A bus name or ARN; the account's default bus when unset.
    parameters: { eventBus: withDefault('default') },
    contribute({ parameter }) {
      const bus = eventBusArn(parameter('eventBus') ?? 'default');
      return {
        environment: { EVENT_BUS_ARN: bus },
        statements: [{ Sid: 'PutEvents', Effect: 'Allow', Action: ['events:PutEvents'], Resource: [bus] }],
      };
    },
  },
});
