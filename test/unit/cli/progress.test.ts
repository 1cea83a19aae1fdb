import { Progress, type ProgressStream } from '../../../shared/cli/progress';

function recorder(isTTY: boolean): ProgressStream & { written: string[] } {
  const written: string[] = [];
  return { written, isTTY, columns: 60, write: (text: string) => written.push(text) };
}

describe('Progress', () => {
  it('redraws one line in place on a terminal and ends it with a newline', () => {
    let now = 0;
    const stream = recorder(true);
    const progress = new Progress({ label: 'examined', total: 4, stream, now: () => now });

    progress.update(1, 'moved 1');
    now += 1000;
    progress.update(4, 'moved 4');
    progress.finish();

    expect(stream.written.slice(0, -1).every((text) => text.startsWith('\r'))).toBe(true);
    expect(stream.written.at(-1)).toBe('\n');
    expect(stream.written.at(-2)).toContain('[############################] 4/4 examined  moved 4');
    expect(stream.written.join('')).not.toMatch(/\n./);
  });

  it('writes a plain line every few seconds when not on a terminal', () => {
    let now = 0;
    const stream = recorder(false);
    const progress = new Progress({
      label: 'moved',
      total: 100,
      stream,
      plainIntervalSeconds: 5,
      now: () => now,
    });

    progress.update(10);
    now = 4000;
    progress.update(20);
    now = 5000;
    progress.update(30);
    now = 6000;
    progress.update(40);
    progress.finish();

    expect(stream.written).toEqual(['moved 30/100\n', 'moved 40/100\n']);
  });

  it('stays silent on a pipe when the work ends before the first interval', () => {
    const stream = recorder(false);
    const progress = new Progress({ label: 'moved', stream, now: () => 0 });
    progress.update(3);
    progress.finish();
    expect(stream.written).toEqual([]);
  });

  it('never shows more than full when the total was an estimate', () => {
    const progress = new Progress({ label: 'examined', total: 2, stream: recorder(false) });
    progress.update(5);
    expect(progress.render()).toBe('examined 5/5');
  });
});
