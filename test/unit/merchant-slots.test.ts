import { MerchantSlots } from '../../activities/webhooks/merchant-slots';

describe('per-merchant delivery slots', () => {
  test('when a merchant uses all of its slots, then it gets no more until one is released, and other merchants are unaffected', () => {
    const slots = new MerchantSlots(2, 5000);
    const first = slots.tryAcquire('m_a', 'd1');
    const second = slots.tryAcquire('m_a', 'd2');
    expect(first && second).toBeTruthy();
    expect(slots.tryAcquire('m_a', 'd3')).toBeUndefined();
    expect(slots.tryAcquire('m_b', 'd4')).toBeDefined();
    first!();
    first!(); // releasing twice frees one slot, not two
    expect(slots.tryAcquire('m_a', 'd3')).toBeDefined();
    expect(slots.tryAcquire('m_a', 'd5')).toBeUndefined();
  });

  test('when deliveries are deferred, then each is told to wait for the ones ahead of it, and stale waiters stop counting', () => {
    const slots = new MerchantSlots(2, 5000);
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
