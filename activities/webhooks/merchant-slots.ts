import type { Pool } from 'pg';

/**
 * How many deliveries of one merchant are sent at once, across every worker process. A merchant
 * whose receivers hang would otherwise hold every delivery slot until their timeouts and make every
 * other merchant's webhooks wait; over the limit, an attempt is deferred (the delivery workflow
 * sleeps and asks again) instead of holding a slot while it waits. Slots are leases in PostgreSQL
 * that outlast an attempt's timeout by a margin, so a crashed worker's slots free themselves.
 */
export class MerchantSlots {
  /** Deliveries told to come back, per merchant, with when that advice lapses: the queue ahead of a newcomer. */
  private readonly waiting = new Map<string, Map<string, number>>();
  /** How long the merchant's recent attempts held their slot (a moving average), to space out a burst's starts. */
  private readonly holdMs = new Map<string, number>();
  /** When each of the merchant's attempts running here took its slot. */
  private readonly inFlight = new Map<string, Map<string, number>>();

  /**
   * @param perMerchant slots per merchant
   * @param slotHoldMs the longest an attempt holds a slot (its timeout), to estimate when a turn comes
   */
  constructor(
    private readonly pool: Pool,
    readonly perMerchant: number,
    private readonly slotHoldMs: number,
  ) {}

  /**
   * Takes a slot (or the one this delivery already holds), returning its release; undefined when
   * the merchant already uses all of its slots.
   */
  async tryAcquire(merchantId: string, deliveryId: string): Promise<(() => Promise<void>) | undefined> {
    if ((await this.lease(merchantId, deliveryId)) === undefined) return undefined;
    const acquiredAt = Date.now();
    const running = this.inFlight.get(merchantId) ?? new Map<string, number>();
    this.inFlight.set(merchantId, running);
    running.set(deliveryId, acquiredAt);
    let released = false;
    return async () => {
      if (released) return;
      released = true;
      if (running.get(deliveryId) === acquiredAt) running.delete(deliveryId);
      if (running.size === 0 && this.inFlight.get(merchantId) === running) this.inFlight.delete(merchantId);
      const held = Date.now() - acquiredAt;
      const before = this.holdMs.get(merchantId);
      this.holdMs.set(merchantId, before === undefined ? held : before * 0.8 + held * 0.2);
      await this.release(merchantId, deliveryId);
    };
  }

  /** Frees the slot the delivery holds, if any (a lapsed lease another delivery took over is not its own). */
  async release(merchantId: string, deliveryId: string): Promise<void> {
    await this.pool.query('DELETE FROM webhook_delivery_slots WHERE merchant_id = $1 AND delivery_id = $2', [
      merchantId,
      deliveryId,
    ]);
  }

  /**
   * Reserves a slot for a delivery whose attempt is about to be scheduled: the attempt takes it over
   * (tryAcquire renews it), and if the attempt never runs the lease lapses like a crashed one's.
   */
  async reserve(merchantId: string, deliveryId: string): Promise<boolean> {
    return (await this.lease(merchantId, deliveryId)) !== undefined;
  }

  private async lease(merchantId: string, deliveryId: string): Promise<number | undefined> {
    const slot = (await this.renew(merchantId, deliveryId)) ?? (await this.leaseFree(merchantId, deliveryId));
    if (slot !== undefined) this.waiting.get(merchantId)?.delete(deliveryId);
    return slot;
  }

  /** Extends the lease this delivery already holds (its turn, reserved before the attempt was scheduled). */
  private async renew(merchantId: string, deliveryId: string): Promise<number | undefined> {
    const held = await this.pool.query<{ slot: number }>(
      `UPDATE webhook_delivery_slots SET expires_at = now() + make_interval(secs => $3::double precision / 1000)
        WHERE merchant_id = $1 AND delivery_id = $2 AND expires_at > now() RETURNING slot`,
      [merchantId, deliveryId, this.slotHoldMs + LEASE_MARGIN_MS],
    );
    return held.rows[0]?.slot;
  }

  /**
   * Leases a free slot in one statement, so no worker ever waits on a lock holding a connection.
   * Two workers that pick the same free slot cannot both win (the upsert re-checks expiry on the
   * row it conflicts with); the loser tries another while the merchant has one.
   */
  private async leaseFree(merchantId: string, deliveryId: string): Promise<number | undefined> {
    for (let tries = 0; tries <= this.perMerchant; tries++) {
      const taken = await this.pool.query<{ slot: number }>(
        `WITH free AS (
           SELECT s FROM generate_series(0, $3::int - 1) AS s
            WHERE NOT EXISTS (SELECT 1 FROM webhook_delivery_slots w WHERE w.merchant_id = $1 AND w.slot = s AND w.expires_at > now())
            ORDER BY random() LIMIT 1)
         INSERT INTO webhook_delivery_slots (merchant_id, slot, delivery_id, expires_at)
         SELECT $1, s, $2, now() + make_interval(secs => $4::double precision / 1000) FROM free
         ON CONFLICT (merchant_id, slot) DO UPDATE SET delivery_id = EXCLUDED.delivery_id, expires_at = EXCLUDED.expires_at
           WHERE webhook_delivery_slots.expires_at <= now()
         RETURNING slot`,
        [merchantId, deliveryId, this.perMerchant, this.slotHoldMs + LEASE_MARGIN_MS],
      );
      if (taken.rows[0]) return taken.rows[0].slot;
      const live = await this.pool.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM webhook_delivery_slots WHERE merchant_id = $1 AND expires_at > now()',
        [merchantId],
      );
      if (live.rows[0]!.n >= this.perMerchant) return undefined;
    }
    return undefined;
  }

  /**
   * Records a deferred delivery and says how long it should wait: long enough for the deliveries
   * already waiting to have their turn, so each one asks again about once instead of polling.
   */
  deferral(merchantId: string, deliveryId: string, now = Date.now()): number {
    return this.enqueue(merchantId, deliveryId, now, (ahead) =>
      Math.max(MIN_DEFER_MS, Math.ceil((ahead + 1) / this.perMerchant) * this.slotHoldMs),
    );
  }

  /**
   * How long a delivery about to be handed to its queue should wait before it first asks for a
   * turn: nothing while fewer than a round of slots' worth of deliveries wait ahead of it, then a
   * round of the merchant's recent slot hold time. A merchant's burst is thus started spread out
   * over the time its slots need for it, instead of every delivery waking at once only to be told
   * to wait; a merchant whose receivers answer fast barely waits.
   */
  startDelay(merchantId: string, deliveryId: string, now = Date.now()): number {
    const hold = Math.min(
      this.slotHoldMs,
      Math.max(this.holdMs.get(merchantId) ?? UNOBSERVED_HOLD_MS, this.runningFor(merchantId, now)),
    );
    return this.enqueue(merchantId, deliveryId, now, (ahead) => Math.floor(ahead / this.perMerchant) * hold);
  }

  /**
   * How long the merchant's attempts running here have held their slots (the median): a lower bound
   * on its hold time before any of them finishes. Receivers that hang are known to hang long before
   * their first timeout. Spacing a burst by the moving average alone (a second per round until an
   * attempt finishes) woke a hanging merchant's queues early, each only to be deferred at a cost of
   * 8 history events (30 events to 16 silent endpoints: 162 such wakes in 20 s, 108-129 with this).
   */
  private runningFor(merchantId: string, now: number): number {
    const since = [...(this.inFlight.get(merchantId)?.values() ?? [])].sort((a, b) => b - a);
    return since.length ? Math.max(0, now - since[Math.floor((since.length - 1) / 2)]!) : 0;
  }

  /** Queues the delivery behind the merchant's live waiters; `wait` turns how many wait ahead of it into its wait. */
  private enqueue(merchantId: string, deliveryId: string, now: number, wait: (ahead: number) => number): number {
    const queue = this.waiting.get(merchantId) ?? new Map<string, number>();
    this.waiting.set(merchantId, queue);
    for (const [id, lapses] of queue) if (lapses <= now) queue.delete(id);
    queue.delete(deliveryId);
    const waitMs = Math.min(MAX_DEFER_MS, wait(queue.size));
    queue.set(deliveryId, now + waitMs + this.slotHoldMs);
    return waitMs;
  }
}

const MIN_DEFER_MS = 1000;
/** Assumed slot hold of a merchant none of whose attempts has finished yet in this process. */
const UNOBSERVED_HOLD_MS = 1000;
/** Covers recording the attempt's outcome after the POST itself timed out. */
const LEASE_MARGIN_MS = 10_000;
const MAX_DEFER_MS = 15 * 60_000;
