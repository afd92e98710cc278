/**
 * Spreads one merchant's wide fan-outs over time. Each event of a merchant with many endpoints
 * starts one delivery queue per endpoint, and on a single Temporal server every start is a write
 * that every other merchant's invoice start queues behind: 30 customers created at once with 16
 * endpoints are 480 starts. Running them as fast as the server takes them only moves the queue
 * (measured: spreading them over four at a time made other merchants' creates slower for longer).
 * Pacing them below the server's capacity leaves room for everyone else.
 *
 * Each event's dispatch is given a start delay: the merchant's starts are booked back to back at
 * `startsPerSecond`, after a first `burst` that goes at once, so a merchant's everyday event goes
 * out without waiting. Bookings are in this process's memory: a restart forgets them, which
 * only lets one burst through early. Delays grow with a merchant's backlog; nothing is dropped.
 */
export class DispatchPace {
  /** When each merchant's next booked start would go, in ms since the epoch. */
  private readonly nextAt = new Map<string, number>();
  /** How far back an idle merchant's bookings may start: the time its burst would take at the pace. */
  private readonly allowanceMs: number;

  constructor(
    private readonly startsPerSecond: number,
    burst: number,
    private readonly now: () => number = Date.now,
  ) {
    this.allowanceMs = (burst * 1000) / startsPerSecond;
  }

  /** Books `starts` starts for the merchant; returns how long its dispatch should wait, in ms. */
  delayFor(merchantId: string, starts: number): number {
    const now = this.now();
    const earliest = now - this.allowanceMs;
    // A merchant idle long enough has its burst back: its bookings may start that far in the past.
    for (const [idle, at] of this.nextAt) if (at <= earliest) this.nextAt.delete(idle);
    const from = Math.max(earliest, this.nextAt.get(merchantId) ?? earliest);
    this.nextAt.set(merchantId, from + (starts * 1000) / this.startsPerSecond);
    return Math.max(0, Math.round(from - now));
  }
}
