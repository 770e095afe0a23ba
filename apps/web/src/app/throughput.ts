/** Samples per second over the last completed window of at least `windowMs` milliseconds. */
export class Throughput {
  private samples = 0;
  private since: number;
  rate = 0;

  constructor(now: number, private readonly windowMs = 500) {
    this.since = now;
  }

  add(samples: number, now: number): void {
    this.samples += samples;
    const dt = now - this.since;
    if (dt >= this.windowMs) {
      this.rate = (this.samples * 1000) / dt;
      this.samples = 0;
      this.since = now;
    }
  }

  /** Restarts the window (after a pause: idle time is not training time). */
  restart(now: number): void {
    this.samples = 0;
    this.since = now;
  }
}
