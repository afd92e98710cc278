import { MerchantSlots } from '../activities/webhooks/merchant-slots';
import { createTestDatabase, type TestDatabase } from './harness/test-database';

/** Per-merchant delivery slots are leases in PostgreSQL: the cap holds across worker processes. */
describe('per-merchant delivery slots', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db.drop());

  test('when two workers share a merchant, then together they never exceed its slots, and other merchants are unaffected', async () => {
    // Two workers: separate instances (as in two processes) over the same database.
    const a = new MerchantSlots(db.pool, 2, 5000);
    const b = new MerchantSlots(db.pool, 2, 5000);
    const first = await a.tryAcquire('m_a', 'd1');
    const second = await b.tryAcquire('m_a', 'd2');
    expect(first && second).toBeTruthy();
    expect(await a.tryAcquire('m_a', 'd3')).toBeUndefined();
    expect(await b.tryAcquire('m_a', 'd3')).toBeUndefined();
    expect(await b.tryAcquire('m_b', 'd4')).toBeDefined();
    await first!();
    await first!(); // releasing twice frees one slot, not two
    expect(await b.tryAcquire('m_a', 'd3')).toBeDefined();
    expect(await a.tryAcquire('m_a', 'd5')).toBeUndefined();
  });

  test('when many deliveries race for a merchant at once, then exactly its slot count wins', async () => {
    const workers = [new MerchantSlots(db.pool, 3, 5000), new MerchantSlots(db.pool, 3, 5000)];
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => workers[i % 2]!.tryAcquire('m_race', `race-${i}`)));
    expect(results.filter(Boolean)).toHaveLength(3);
  });

  test('when a worker dies holding a slot, then the slot comes back once its lease expires', async () => {
    const crashed = new MerchantSlots(db.pool, 1, 0);
    expect(await crashed.tryAcquire('m_c', 'held-forever')).toBeDefined();
    const other = new MerchantSlots(db.pool, 1, 0);
    expect(await other.tryAcquire('m_c', 'd1')).toBeUndefined();
    // Its lease (the attempt's timeout, here 0, plus the margin) lapses: age it rather than wait.
    await db.pool.query("UPDATE webhook_delivery_slots SET expires_at = now() - interval '1 second' WHERE merchant_id = 'm_c'");
    expect(await other.tryAcquire('m_c', 'd1')).toBeDefined();
  });

  test('when a delivery reserved its turn, then its attempt takes that slot over instead of a second one, and a release frees it', async () => {
    const slots = new MerchantSlots(db.pool, 2, 5000);
    expect(await slots.reserve('m_r', 'd1')).toBe(true);
    const attempt = await slots.tryAcquire('m_r', 'd1');
    expect(attempt).toBeDefined();
    // d1 holds one slot, not two: one is left for another delivery, then none.
    expect(await slots.reserve('m_r', 'd2')).toBe(true);
    expect(await slots.reserve('m_r', 'd3')).toBe(false);
    await attempt!();
    expect(await slots.tryAcquire('m_r', 'd3')).toBeDefined();
    // A reservation whose attempt sends nothing is handed back at once.
    await slots.release('m_r', 'd2');
    expect(await slots.reserve('m_r', 'd4')).toBe(true);
  });

  test('when deliveries are deferred, then each is told to wait for the ones ahead of it, and stale waiters stop counting', () => {
    const slots = new MerchantSlots(db.pool, 2, 5000);
    const now = 1_000_000;
    const waits = ['d1', 'd2', 'd3', 'd4', 'd5'].map((id) => slots.deferral('m_a', id, now));
    expect(waits).toEqual([5000, 5000, 10_000, 10_000, 15_000]);
    // Asking again does not queue a delivery behind itself.
    expect(slots.deferral('m_a', 'd5', now)).toBe(15_000);
    // Long after every advice lapsed, a newcomer is first in line again.
    expect(slots.deferral('m_a', 'd6', now + 3_600_000)).toBe(5000);
    expect(slots.deferral('m_b', 'd7', now)).toBe(5000);
  });
});
