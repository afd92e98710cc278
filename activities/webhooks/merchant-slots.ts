/**
 * How many deliveries of one merchant this worker process sends at once. A merchant whose
 * receivers hang would otherwise hold every delivery slot until their timeouts and make every
 * other merchant's webhooks wait; over the limit, an attempt is deferred (the delivery workflow
 * sleeps and asks again) instead of holding a slot while it waits.
 */
export class MerchantSlots {
  private readonly inUse = new Map<string, number>();
  /** Deliveries told to come back, per merchant, with when that advice lapses: the queue ahead of a newcomer. */
  private readonly waiting = new Map<string, Map<string, number>>();

  /**
   * @param perMerchant slots per merchant
   * @param slotHoldMs the longest an attempt holds a slot (its timeout), to estimate when a turn comes
   */
  constructor(
    readonly perMerchant: number,
    private readonly slotHoldMs: number,
  ) {}

  /** Takes a slot, returning its release; undefined when the merchant already uses all of its slots. */
  tryAcquire(merchantId: string, deliveryId: string): (() => void) | undefined {
    const used = this.inUse.get(merchantId) ?? 0;
    if (used >= this.perMerchant) return undefined;
    this.inUse.set(merchantId, used + 1);
    this.waiting.get(merchantId)?.delete(deliveryId);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.inUse.get(merchantId) ?? 1) - 1;
      // Entries go as soon as they are idle, so the map stays as small as the set of busy merchants.
      if (left > 0) this.inUse.set(merchantId, left);
      else this.inUse.delete(merchantId);
    };
  }

  /**
   * Records a deferred delivery and says how long it should wait: long enough for the deliveries
   * already waiting to have their turn, so each one asks again about once instead of polling.
   */
  deferral(merchantId: string, deliveryId: string, now = Date.now()): number {
    const queue = this.waiting.get(merchantId) ?? new Map<string, number>();
    this.waiting.set(merchantId, queue);
    for (const [id, lapses] of queue) if (lapses <= now) queue.delete(id);
    queue.delete(deliveryId);
    const ahead = queue.size;
    const waitMs = Math.min(MAX_DEFER_MS, Math.max(MIN_DEFER_MS, Math.ceil((ahead + 1) / this.perMerchant) * this.slotHoldMs));
    queue.set(deliveryId, now + waitMs + this.slotHoldMs);
    return waitMs;
  }
}

const MIN_DEFER_MS = 1000;
const MAX_DEFER_MS = 15 * 60_000;
