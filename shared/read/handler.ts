import { confDir as defaultConfDir, type GatewayConfig } from '../config/settings';
import { GatewayStateLoader } from '../gateway/state';
import type { ApiGatewayEvent } from '../http/request';
import type { HttpResponse } from '../http/response';
import { sinkCatalog, type ReadServingDefinition, type SinkCatalog } from '../sinks/catalog';
import { createReadApp, type EventStoreProvider, type ReadApp } from './app';
import { matchReadRoute } from './routes';
import type { EventStore, ReadStoreSettings } from './store';

export interface ReadHandlerOptions {
  confDir?: string;
  env?: NodeJS.ProcessEnv;
  /** Settings of the read connections other than where they go. */
  store?: ReadStoreSettings;
  /** The sinks; the one whose definition has a `readStore` is read. The shipped list by default. */
  catalog?: SinkCatalog;
}

/** The config.json keys the sink owns: what its store is opened from. */
function sinkSettingsOf(config: GatewayConfig, source: ReadServingDefinition): string {
  return JSON.stringify(Object.keys(source.settings.properties).map((key) => config[key] ?? null));
}

/** The store follows the loaded config: reopened (the old one closed) only when the sink's keys changed. */
function storeFollowingConfig(
  state: GatewayStateLoader,
  env: NodeJS.ProcessEnv,
  source: ReadServingDefinition,
  settings: ReadStoreSettings,
): EventStoreProvider {
  let current: { config: GatewayConfig; content: string; store: Promise<EventStore | undefined> } | undefined;
  return async () => {
    const { config } = await state.current();
    if (current?.config !== config) {
      const content = sinkSettingsOf(config, source);
      if (current?.content === content) current.config = config;
      else {
        const previous = current?.store;
        void previous?.then((store) => store?.close());
        const store = source.readStore.open(config, env, settings);
        current = { config, content, store };
        store.catch(() => {
          if (current?.store === store) current = undefined;
        });
      }
    }
    return current.store;
  };
}

/** Wires the read app to config from CONF_DIR and the store of the catalog's sink that serves reads. */
export function createReadHandler(options: ReadHandlerOptions = {}): ReadApp {
  const env = options.env ?? process.env;
  const catalog = options.catalog ?? sinkCatalog;
  const source = catalog.readSource;
  if (source === undefined) throw new Error('no sink of the catalog serves reads');
  const state = new GatewayStateLoader({ confDir: options.confDir ?? defaultConfDir(env), env, catalog });
  return createReadApp({
    state,
    store: storeFollowingConfig(state, env, source, options.store ?? {}),
    storedBy: source.name,
  });
}

/** One HTTP entry point for both apps, as the local runtime serves them: read routes go to `read`. */
export function withReadRoutes(
  ingest: (event: ApiGatewayEvent) => Promise<HttpResponse>,
  read: ReadApp,
): (event: ApiGatewayEvent) => Promise<HttpResponse> {
  return (event) => {
    const path = 'rawPath' in event ? event.rawPath : event.path;
    return matchReadRoute('GET', path).kind === 'not-found' ? ingest(event) : read(event);
  };
}
