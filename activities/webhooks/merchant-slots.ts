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
    let released = false;
    return async () => {
      if (released) return;
      released = true;
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
/** Covers recording the attempt's outcome after the POST itself timed out. */
const LEASE_MARGIN_MS = 10_000;
const MAX_DEFER_MS = 15 * 60_000;
