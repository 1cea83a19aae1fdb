import { ConfigError } from '../../../shared/config/errors';
import {
  defaultTableName,
  MAX_IDENTIFIER_LENGTH,
  qualifiedName,
  receivedAtIndexName,
  TableNames,
} from '../../../shared/sinks/postgres/tables';

describe('defaultTableName', () => {
  test.each([
    ['public.cps.za.runs', 'public_cps_za_runs'],
    ['public.cps.za.status_change', 'public_cps_za_status_change'],
    ['Orders-Created', 'orders_created'],
    ['billing/invoice sent', 'billing_invoice_sent'],
    ['3d.prints', 't_3d_prints'],
    ['café.évènement', 'caf___v_nement'],
    ['_private', '_private'],
  ])('%s → %s', (topic, table) => {
    expect(defaultTableName(topic)).toBe(table);
  });

  test('a long topic is cut to the identifier limit, and two that share a long prefix stay apart', () => {
    const prefix = 'public.domain.'.repeat(6);
    const first = defaultTableName(`${prefix}alpha`);
    const second = defaultTableName(`${prefix}beta`);
    for (const name of [first, second]) {
      expect(name.length).toBeLessThanOrEqual(MAX_IDENTIFIER_LENGTH);
      expect(name).toMatch(/^public_domain_/);
    }
    expect(first).not.toBe(second);
    expect(defaultTableName(`${prefix}alpha`)).toBe(first);
  });

  test('the received_at index name fits too', () => {
    const table = defaultTableName('x'.repeat(80));
    expect(receivedAtIndexName(table).length).toBeLessThanOrEqual(MAX_IDENTIFIER_LENGTH);
    expect(receivedAtIndexName('runs')).toBe('runs_received_at_idx');
  });
});

describe('TableNames', () => {
  test('an override wins over the derived name', () => {
    const names = new TableNames({ 'public.cps.za.runs': 'runs' });
    expect(names.tableFor('public.cps.za.runs')).toBe('runs');
    expect(names.tableFor('public.cps.za.test')).toBe('public_cps_za_test');
  });

  test('an override that is not a plain lowercase identifier is refused', () => {
    for (const bad of ['Runs', 'runs; DROP TABLE x', '1runs', 'a.b', '', 'x'.repeat(64)]) {
      expect(() => new TableNames({ topic: bad })).toThrow(ConfigError);
    }
  });

  test('two topics whose derived names clash are a config error', () => {
    const names = new TableNames();
    expect(() => names.checkTopics(['orders.created', 'orders_created'])).toThrow(
      /"orders.created" and "orders_created".*orders_created/,
    );
  });

  test('a derived name clashing with another topic’s override is a config error', () => {
    const names = new TableNames({ 'legacy.orders': 'orders_created' });
    expect(() => names.checkTopics(['legacy.orders', 'orders.created'])).toThrow(ConfigError);
  });

  test('topics may share a table when config names it for each of them', () => {
    const names = new TableNames({ 'orders.created': 'orders', 'orders.updated': 'orders' });
    names.checkTopics(['orders.created', 'orders.updated']);
    expect(names.tableFor('orders.created')).toBe('orders');
    expect(names.tableFor('orders.updated')).toBe('orders');
  });

  test('asking for the same topic again is not a clash', () => {
    const names = new TableNames();
    expect(names.tableFor('a.b')).toBe('a_b');
    expect(names.tableFor('a.b')).toBe('a_b');
  });
});

test('qualified names are quoted', () => {
  expect(qualifiedName('public', 'runs')).toBe('"public"."runs"');
});
