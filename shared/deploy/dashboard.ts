import { dlqName, queueName, type SinkQueueSettings } from '../queue/topology';
import type { SinkDashboardWidget } from '../sinks/definition';
import type { SinkName } from '../sinks/types';
import { sub, type CfnResource, type Json } from './cloudformation';
import {
  DELIVERY_LAG_METRIC,
  functionName,
  HTTP_API_LOGICAL_ID,
  INGEST_FUNCTION_KEY,
  METRICS_NAMESPACE,
  metricsServiceName,
  workerFunctionName,
} from './names';
import type { DeployParameters } from './parameters';

/**
 * One CloudWatch dashboard for the stage: the gateway's health on the first rows, then one row per
 * sink reading left to right as an event's path — waiting, oldest, being processed, given up.
 */

interface Widget {
  type: 'metric' | 'text';
  x: number;
  y: number;
  width: number;
  height: number;
  properties: { [key: string]: Json };
}

/** `[namespace, metric, dimension, value, …, { options }]` as the dashboard body expects. */
type MetricLine = Json[];

/** Filled in by Fn::Sub when the stack is created. */
const REGION = '${AWS::Region}';
const HTTP_API_ID = `\${${HTTP_API_LOGICAL_ID}}`;

const SQS = 'AWS/SQS';
const WIDGET_HEIGHT = 6;

function metricWidget(
  position: { x: number; y: number; width: number },
  title: string,
  metrics: MetricLine[],
  options: { stat: string; annotationSeconds?: number; label?: string },
): Widget {
  const properties: { [key: string]: Json } = {
    title,
    region: REGION,
    view: 'timeSeries',
    stacked: false,
    period: 60,
    stat: options.stat,
    metrics,
    yAxis: { left: { min: 0, ...(options.label ? { label: options.label, showUnits: false } : {}) } },
  };
  if (options.annotationSeconds !== undefined) {
    properties.annotations = { horizontal: [{ label: 'alarm', value: options.annotationSeconds }] };
  }
  return { type: 'metric', ...position, height: WIDGET_HEIGHT, properties };
}

function gatewayWidgets(params: DeployParameters, y: number): Widget[] {
  const width = 8;
  const ingest = functionName(params.service, params.stage, INGEST_FUNCTION_KEY);
  const api: MetricLine[] = [
    ['AWS/ApiGateway', '4xx', 'ApiId', HTTP_API_ID, 'Stage', '$default', { label: '4xx' }],
    ['AWS/ApiGateway', '5xx', 'ApiId', HTTP_API_ID, 'Stage', '$default', { label: '5xx' }],
  ];
  const errors: MetricLine[] = [
    ['AWS/Lambda', 'Errors', 'FunctionName', ingest, { label: 'ingest' }],
    ...params.sinks.map((sink): MetricLine => [
      'AWS/Lambda',
      'Errors',
      'FunctionName',
      workerFunctionName(params.service, params.stage, sink),
      { label: `${sink} worker` },
    ]),
  ];
  const service = metricsServiceName(params.service, params.stage);
  const lag: MetricLine[] = params.sinks.map((sink): MetricLine => [
    METRICS_NAMESPACE,
    DELIVERY_LAG_METRIC,
    'service',
    service,
    'sink',
    sink,
    { label: sink },
  ]);
  return [
    metricWidget({ x: 0, y, width }, 'Ingest API 4xx / 5xx', api, { stat: 'Sum' }),
    metricWidget({ x: width, y, width }, 'Function errors', errors, { stat: 'Sum' }),
    metricWidget({ x: 2 * width, y, width }, 'Delivery lag (received → delivered), p99', lag, {
      stat: 'p99',
    }),
  ];
}

const SINK_WIDGET_WIDTH = 6;
const SINK_WIDGETS_PER_ROW = 4;

function sinkWidgets(settings: SinkQueueSettings, params: DeployParameters, y: number): Widget[] {
  const { sink } = settings;
  const width = SINK_WIDGET_WIDTH;
  const queue = queueName(sink, params.stage, params.service);
  const dlq = dlqName(sink, params.stage, params.service);
  const line = (queueNameValue: string, metric: string, label: string): MetricLine[] => [
    [SQS, metric, 'QueueName', queueNameValue, { label }],
  ];
  return [
    metricWidget(
      { x: 0, y, width },
      `${sink}: backlog`,
      line(queue, 'ApproximateNumberOfMessagesVisible', 'visible'),
      { stat: 'Maximum' },
    ),
    metricWidget(
      { x: width, y, width },
      `${sink}: oldest message age`,
      line(queue, 'ApproximateAgeOfOldestMessage', 'age'),
      { stat: 'Maximum', annotationSeconds: params.oldestMessageAgeAlarmSeconds, label: 'seconds' },
    ),
    metricWidget(
      { x: 2 * width, y, width },
      `${sink}: in flight`,
      line(queue, 'ApproximateNumberOfMessagesNotVisible', 'in flight'),
      { stat: 'Maximum' },
    ),
    metricWidget(
      { x: 3 * width, y, width },
      `${sink}: dead-letter queue`,
      line(dlq, 'ApproximateNumberOfMessagesVisible', 'dead letters'),
      { stat: 'Maximum' },
    ),
  ];
}

function headerWidget(params: DeployParameters): Widget {
  const sinks = params.sinks.join(', ');
  return {
    type: 'text',
    x: 0,
    y: 0,
    width: 24,
    height: 2,
    properties: {
      markdown:
        `## EventGate ${params.stage} — sinks: ${sinks}\n` +
        'Each sink row: events waiting → age of the oldest → being delivered → given up (replay with ' +
        '`eventgate replay <sink>`).',
    },
  };
}

export function dashboardName(params: DeployParameters): string {
  return `${params.service}-${params.stage}`;
}

/** A sink's own widgets, in rows of four below its queue widgets. */
function extraWidgets(sink: SinkName, extras: readonly SinkDashboardWidget[], top: number): Widget[] {
  return extras.map((extra, index) =>
    metricWidget(
      {
        x: (index % SINK_WIDGETS_PER_ROW) * SINK_WIDGET_WIDTH,
        y: top + Math.floor(index / SINK_WIDGETS_PER_ROW) * WIDGET_HEIGHT,
        width: SINK_WIDGET_WIDTH,
      },
      `${sink}: ${extra.title}`,
      extra.metrics,
      { stat: extra.stat },
    ),
  );
}

export function dashboardWidgets(
  settings: SinkQueueSettings[],
  params: DeployParameters,
  extras: ReadonlyMap<SinkName, readonly SinkDashboardWidget[]> = new Map(),
): Widget[] {
  const header = headerWidget(params);
  const gatewayTop = header.height;
  const widgets = [header, ...gatewayWidgets(params, gatewayTop)];
  let top = gatewayTop + WIDGET_HEIGHT;
  for (const sinkSettings of settings) {
    widgets.push(...sinkWidgets(sinkSettings, params, top));
    top += WIDGET_HEIGHT;
    const own = extras.get(sinkSettings.sink) ?? [];
    widgets.push(...extraWidgets(sinkSettings.sink, own, top));
    top += Math.ceil(own.length / SINK_WIDGETS_PER_ROW) * WIDGET_HEIGHT;
  }
  return widgets;
}

export function dashboard(
  settings: SinkQueueSettings[],
  params: DeployParameters,
  extras: ReadonlyMap<SinkName, readonly SinkDashboardWidget[]> = new Map(),
): CfnResource {
  const body = { widgets: dashboardWidgets(settings, params, extras) };
  return {
    Type: 'AWS::CloudWatch::Dashboard',
    Properties: { DashboardName: dashboardName(params), DashboardBody: sub(JSON.stringify(body)) },
  };
}

export type { Widget as DashboardWidget };
