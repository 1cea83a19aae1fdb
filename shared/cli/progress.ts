/** The part of a stream a progress display needs; process.stderr fits, and so does a test double. */
export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface ProgressOptions {
  /** What is being counted, e.g. "moved". */
  label: string;
  /** Expected total when known; an estimate is fine, the bar never goes past full. */
  total?: number;
  stream?: ProgressStream;
  /** Seconds between plain lines when the stream is not a terminal. */
  plainIntervalSeconds?: number;
  now?: () => number;
}

const BAR_WIDTH = 28;
const REDRAW_INTERVAL_MS = 100;

/**
 * A one-line bar redrawn in place on a terminal; on a pipe or a log file, a plain line now and then
 * instead, because carriage returns make a mess of logs. Writes to stderr so stdout stays clean for
 * --json and listings.
 */
export class Progress {
  private readonly stream: ProgressStream;
  private readonly tty: boolean;
  private readonly now: () => number;
  private readonly plainIntervalMs: number;
  private total: number | undefined;
  private done = 0;
  private detail = '';
  private lastDraw = Number.NEGATIVE_INFINITY;
  private drawn = false;
  private finished = false;

  constructor(private readonly options: ProgressOptions) {
    this.stream = options.stream ?? process.stderr;
    this.tty = this.stream.isTTY === true;
    this.now = options.now ?? Date.now;
    this.plainIntervalMs = (options.plainIntervalSeconds ?? 5) * 1000;
    this.total = options.total;
    this.lastDraw = this.tty ? Number.NEGATIVE_INFINITY : this.now();
  }

  update(done: number, detail = '', total?: number): void {
    if (this.finished) return;
    this.done = done;
    this.detail = detail;
    if (total !== undefined) this.total = total;
    const interval = this.tty ? REDRAW_INTERVAL_MS : this.plainIntervalMs;
    if (this.now() - this.lastDraw >= interval) this.draw();
  }

  /** Draws the final state and leaves the cursor on a fresh line. */
  finish(): void {
    if (this.finished) return;
    if (this.tty) {
      this.draw();
      this.stream.write('\n');
    } else if (this.drawn) {
      this.draw();
    }
    this.finished = true;
  }

  /** The text of one progress line; exposed so its format can be checked without a terminal. */
  render(): string {
    const { label } = this.options;
    const counts =
      this.total !== undefined ? `${this.done}/${Math.max(this.total, this.done)}` : `${this.done}`;
    const suffix = this.detail ? `  ${this.detail}` : '';
    if (!this.tty) return `${label} ${counts}${suffix}`;
    const ratio = this.total && this.total > 0 ? Math.min(1, this.done / this.total) : 0;
    const filled = Math.round(ratio * BAR_WIDTH);
    const bar = this.total !== undefined ? `[${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}] ` : '';
    return `${bar}${counts} ${label}${suffix}`;
  }

  private draw(): void {
    this.lastDraw = this.now();
    this.drawn = true;
    const line = this.render();
    if (this.tty) {
      const width = this.stream.columns ?? 80;
      this.stream.write(`\r${line.slice(0, Math.max(10, width - 1)).padEnd(Math.max(10, width - 1))}`);
    } else {
      this.stream.write(`${line}\n`);
    }
  }
}
