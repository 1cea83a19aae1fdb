/* eslint-disable @typescript-eslint/no-require-imports */
import { arnPrefix, isArn, sub, type Json } from '../../deploy/cloudformation';
import { withDefault } from '../../deploy/parameter-rules';
import { defineSink } from '../definition';
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
