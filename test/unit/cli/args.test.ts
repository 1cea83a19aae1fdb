import {
  UsageError,
  formatHelp,
  formatTable,
  parseCommandArgs,
  positiveInteger,
  positiveNumber,
  withOptionalValue,
  type OptionSpecs,
} from '../../../shared/cli/args';
import { parseReplayArgs } from '../../../shared/cli/replay';
import { parseBacklogArgs } from '../../../shared/cli/backlog';

const SPECS = {
  name: { type: 'string', valueName: 'name', description: 'a name' },
  tag: { type: 'string', multiple: true, description: 'a tag' },
  loud: { type: 'boolean', short: 'l', description: 'shout' },
} as const satisfies OptionSpecs;

function usageMessage(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (error instanceof UsageError) return error.message;
    throw error;
  }
  throw new Error('expected a UsageError');
}

describe('parseCommandArgs', () => {
  it('reads strings, repeated options, booleans and short flags', () => {
    const { values, positionals } = parseCommandArgs(
      ['kafka', '--name', 'x', '--tag', 'a', '--tag=b', '-l'],
      SPECS,
      {
        positionals: 1,
      },
    );
    expect(values).toEqual({ name: 'x', tag: ['a', 'b'], loud: true });
    expect(positionals).toEqual(['kafka']);
  });

  it('turns an unknown option into a plain message', () => {
    expect(usageMessage(() => parseCommandArgs(['--nmae', 'x'], SPECS))).toBe('unknown option --nmae');
  });

  it('says which option lacks its value', () => {
    expect(usageMessage(() => parseCommandArgs(['--name'], SPECS))).toBe('option --name needs a value');
  });

  it('rejects positionals beyond what the command takes', () => {
    expect(usageMessage(() => parseCommandArgs(['a', 'b'], SPECS, { positionals: 1 }))).toBe(
      'unexpected argument "b"',
    );
    expect(usageMessage(() => parseCommandArgs(['a'], SPECS))).toBe('unexpected argument "a"');
  });
});

describe('withOptionalValue', () => {
  it('gives a bare flag its fallback and keeps an explicit number', () => {
    expect(withOptionalValue(['--watch', '--json'], '--watch', '5')).toEqual(['--watch=5', '--json']);
    expect(withOptionalValue(['--watch'], '--watch', '5')).toEqual(['--watch=5']);
    expect(withOptionalValue(['--watch', '2.5', '--json'], '--watch', '5')).toEqual([
      '--watch=2.5',
      '--json',
    ]);
    expect(withOptionalValue(['--watch=7'], '--watch', '5')).toEqual(['--watch=7']);
  });

  it('leaves everything after -- alone', () => {
    expect(withOptionalValue(['--', '--watch'], '--watch', '5')).toEqual(['--', '--watch']);
  });
});

describe('number options', () => {
  it('accepts whole numbers of at least one for counts', () => {
    expect(positiveInteger('12', '--max')).toBe(12);
    for (const bad of ['0', '-1', '1.5', 'ten', '']) {
      expect(() => positiveInteger(bad, '--max')).toThrow(UsageError);
    }
  });

  it('accepts any positive number for rates', () => {
    expect(positiveNumber('0.5', '--rate')).toBe(0.5);
    for (const bad of ['0', '-2', 'fast', '', 'Infinity']) {
      expect(() => positiveNumber(bad, '--rate')).toThrow(UsageError);
    }
  });
});

describe('formatHelp', () => {
  it('lists every option with its value name, short flag and repeatability', () => {
    const help = formatHelp('tool [options]', 'Does things.', SPECS, ['A note.']);
    expect(help).toMatch(/^Usage: tool \[options\]/);
    expect(help).toMatch(/--name <name>\s+a name/);
    expect(help).toMatch(/--tag <value>\s+a tag \(repeatable\)/);
    expect(help).toMatch(/-l, --loud\s+shout/);
    expect(help.endsWith('A note.')).toBe(true);
  });
});

describe('formatTable', () => {
  it('right-aligns number columns and left-aligns text', () => {
    expect(
      formatTable(
        ['SINK', 'N'],
        [
          ['kafka', 5],
          ['s3', 120],
        ],
      ),
    ).toBe(['SINK     N', 'kafka    5', 's3     120'].join('\n'));
  });
});

describe('replay arguments', () => {
  it('collects filters, limits and location', () => {
    expect(
      parseReplayArgs([
        'postgres',
        '--topic',
        'a',
        '--topic',
        'b',
        '--event-id',
        'e1',
        '--max',
        '10',
        '--rate',
        '2.5',
        '--dry-run',
        '--stage',
        'prod',
        '--region',
        'eu-west-1',
        '--service',
        'gw',
        '--json',
      ]),
    ).toEqual({
      sink: 'postgres',
      topics: ['a', 'b'],
      eventIds: ['e1'],
      max: 10,
      rate: 2.5,
      dryRun: true,
      native: false,
      json: true,
      locate: { local: false, stage: 'prod', region: 'eu-west-1', service: 'gw' },
    });
  });

  it('needs a known sink', () => {
    expect(usageMessage(() => parseReplayArgs([]))).toMatch(/^which sink\?/);
    expect(usageMessage(() => parseReplayArgs(['redis']))).toMatch(/^unknown sink "redis"/);
  });

  it('refuses what the native move task cannot do', () => {
    expect(usageMessage(() => parseReplayArgs(['kafka', '--native', '--event-id', 'x']))).toMatch(/--native/);
    expect(usageMessage(() => parseReplayArgs(['kafka', '--native', '--dry-run']))).toMatch(/--dry-run/);
    expect(usageMessage(() => parseReplayArgs(['kafka', '--native', '--max', '3']))).toMatch(/--max/);
    expect(usageMessage(() => parseReplayArgs(['kafka', '--native', '--local']))).toMatch(/local SQS server/);
    expect(parseReplayArgs(['kafka', '--native', '--rate', '50'])).toMatchObject({ native: true, rate: 50 });
  });

  it('answers --help before checking anything else', () => {
    expect(parseReplayArgs(['--help'])).toBe('help');
    expect(parseReplayArgs(['-h', 'kafka'])).toBe('help');
  });
});

describe('backlog arguments', () => {
  it('takes --watch with or without seconds', () => {
    expect(parseBacklogArgs(['--watch'])).toMatchObject({ watchSeconds: 5 });
    expect(parseBacklogArgs(['--watch', '2', '--json'])).toMatchObject({ watchSeconds: 2, json: true });
    expect(parseBacklogArgs([])).toEqual({ json: false, locate: { local: false } });
  });

  it('refuses a zero interval and stray arguments', () => {
    expect(usageMessage(() => parseBacklogArgs(['--watch=0']))).toMatch(/--watch/);
    expect(usageMessage(() => parseBacklogArgs(['kafka']))).toBe('unexpected argument "kafka"');
  });
});
