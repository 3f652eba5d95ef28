/**
 * The sandbox's notion of time. Every timestamp the sandbox writes and every delay its
 * controllers wait for (crash-loop back-off, progress deadlines, cron schedules) goes
 * through one clock, so a test can make a 60 s wait take milliseconds.
 *
 * - `scaled` (default): sandbox time runs `timeScale` times faster than wall time, starting
 *   from the wall time at creation. Timers fire after `delay / timeScale` real ms.
 * - `manual`: time moves only when `advance()` is called; due timers fire in order.
 */
export interface ClockOptions {
  /** @default 'scaled' */
  mode?: 'scaled' | 'manual';
  /** Sandbox seconds per wall second, only for `scaled`. @default 1 */
  timeScale?: number;
  /** Sandbox time at creation (ms since epoch). @default Date.now() */
  start?: number;
}

interface ManualTimer {
  id: number;
  due: number;
  fn: () => void;
}

export class SandboxClock {
  readonly mode: 'scaled' | 'manual';
  readonly timeScale: number;
  private readonly wallOrigin = Date.now();
  private readonly sandboxOrigin: number;
  private manualNow: number;
  private manualTimers: ManualTimer[] = [];
  private nextId = 1;
  private readonly realTimers = new Map<number, NodeJS.Timeout>();

  constructor(options: ClockOptions = {}) {
    this.mode = options.mode ?? 'scaled';
    this.timeScale = options.timeScale ?? 1;
    if (!(this.timeScale > 0)) throw new RangeError(`timeScale must be > 0, got ${options.timeScale}`);
    this.sandboxOrigin = options.start ?? this.wallOrigin;
    this.manualNow = this.sandboxOrigin;
  }

  /** Sandbox time in ms since epoch. */
  now(): number {
    if (this.mode === 'manual') return this.manualNow;
    return this.sandboxOrigin + (Date.now() - this.wallOrigin) * this.timeScale;
  }

  /** RFC 3339 with seconds precision, as Kubernetes writes metav1.Time. */
  rfc3339(at = this.now()): string {
    return new Date(Math.floor(at / 1000) * 1000).toISOString().replace('.000Z', 'Z');
  }

  /** RFC 3339 with microseconds, as Kubernetes writes metav1.MicroTime. */
  rfc3339Micro(at = this.now()): string {
    return new Date(at).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
  }

  /** RFC 3339 with nanoseconds, as the container runtime stamps log lines. */
  rfc3339Nano(at = this.now()): string {
    return new Date(at).toISOString().replace(/\.(\d{3})Z$/, '.$1000000Z');
  }

  /** Runs `fn` after `delayMs` of sandbox time. Returns a handle for `clearTimeout`. */
  setTimeout(fn: () => void, delayMs: number): number {
    const id = this.nextId++;
    if (this.mode === 'manual') {
      this.manualTimers.push({ id, due: this.manualNow + Math.max(0, delayMs), fn });
      return id;
    }
    const handle = setTimeout(
      () => {
        this.realTimers.delete(id);
        fn();
      },
      Math.max(0, delayMs) / this.timeScale,
    );
    handle.unref();
    this.realTimers.set(id, handle);
    return id;
  }

  clearTimeout(id: number): void {
    const handle = this.realTimers.get(id);
    if (handle) {
      clearTimeout(handle);
      this.realTimers.delete(id);
    }
    this.manualTimers = this.manualTimers.filter((t) => t.id !== id);
  }

  /** Converts a sandbox duration to wall-clock ms (what a local engine should really wait). */
  toWallMs(sandboxMs: number): number {
    return this.mode === 'manual' ? 0 : sandboxMs / this.timeScale;
  }

  /** Manual mode only: moves time forward, firing due timers in order of due time. */
  advance(ms: number): void {
    if (this.mode !== 'manual') throw new Error('advance() needs a clock in manual mode');
    const target = this.manualNow + ms;
    for (;;) {
      const due = this.manualTimers
        .filter((t) => t.due <= target)
        .sort((a, b) => a.due - b.due || a.id - b.id);
      if (due.length === 0) break;
      const timer = due[0];
      this.manualTimers = this.manualTimers.filter((t) => t !== timer);
      this.manualNow = Math.max(this.manualNow, timer.due);
      timer.fn();
    }
    this.manualNow = target;
  }

  /** Cancels every pending timer (used when the sandbox stops). */
  dispose(): void {
    for (const handle of this.realTimers.values()) clearTimeout(handle);
    this.realTimers.clear();
    this.manualTimers = [];
  }
}
