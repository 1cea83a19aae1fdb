/**
 * Deadlines that share one timer per duration. Every sink write and health check is bounded by a
 * deadline that nearly always is cancelled long before it passes; a Node timer per deadline cost
 * the one-event sync request about 1 µs (the timer list of its duration built and torn down, the
 * event loop referenced and unreferenced, every time). Deadlines of one duration pass in the order
 * they were set, so a list in that order and one timer for its head serve them all.
 */

/** Stops a deadline from passing; harmless once it has passed or been cancelled. */
export type CancelDeadline = () => void;

interface Deadline {
  readonly at: number;
  readonly onPass: () => void;
  previous: Deadline | undefined;
  next: Deadline | undefined;
  settled: boolean;
}

/** Beyond this Node would fire a timer after 1 ms (TIMEOUT_MAX in node:timers). */
const LONGEST_TIMER_MS = 2 ** 31 - 1;

/** Deadlines of one duration, earliest first, and the timer that waits for the first of them. */
class DeadlineList {
  private first: Deadline | undefined;
  private last: Deadline | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly ms: number,
    private readonly onIdle: (list: DeadlineList) => void,
  ) {}

  add(onPass: () => void): CancelDeadline {
    const deadline: Deadline = {
      at: performance.now() + this.ms,
      onPass,
      previous: this.last,
      next: undefined,
      settled: false,
    };
    if (this.last) this.last.next = deadline;
    else this.first = deadline;
    this.last = deadline;
    if (this.timer === undefined) this.timer = setTimeout(this.expire, this.ms);
    // A deadline keeps the process alive until it passes or is cancelled, as its own timer did.
    else this.timer.ref();
    return () => this.remove(deadline);
  }

  private remove(deadline: Deadline): void {
    if (deadline.settled) return;
    deadline.settled = true;
    if (deadline.previous) deadline.previous.next = deadline.next;
    else this.first = deadline.next;
    if (deadline.next) deadline.next.previous = deadline.previous;
    else this.last = deadline.previous;
    // The timer is kept for the next deadline, without holding the process open meanwhile.
    if (this.first === undefined) this.timer?.unref();
  }

  private readonly expire = (): void => {
    this.timer = undefined;
    const now = performance.now();
    try {
      for (let deadline = this.first; deadline !== undefined && deadline.at <= now; deadline = this.first) {
        this.remove(deadline);
        deadline.onPass();
      }
    } finally {
      // A deadline set from onPass may have started a timer already.
      if (this.first !== undefined) this.timer ??= setTimeout(this.expire, Math.max(1, this.first.at - now));
      else if (this.timer === undefined) this.onIdle(this);
    }
  };
}

const lists = new Map<number, DeadlineList>();

/**
 * Calls `onPass` once `ms` milliseconds have passed, unless cancelled first. Like a timer of its
 * own, a pending deadline keeps the process alive. A duration a timer cannot hold (under 1 ms,
 * beyond about 24.8 days, not a number) gets a timer of its own, which Node treats as it always has.
 * `onPass` must not throw (withTimeout passes a promise's reject): a throw would be an uncaught
 * exception, as from any timer; the deadlines after it are still re-armed.
 */
export function setDeadline(ms: number, onPass: () => void): CancelDeadline {
  if (!(ms >= 1 && ms <= LONGEST_TIMER_MS)) {
    const timer = setTimeout(onPass, ms);
    return () => clearTimeout(timer);
  }
  let list = lists.get(ms);
  if (list === undefined) {
    // Dropped once its timer finds it empty, so durations used once do not pile up.
    list = new DeadlineList(ms, (idle) => {
      if (lists.get(ms) === idle) lists.delete(ms);
    });
    lists.set(ms, list);
  }
  return list.add(onPass);
}
