import { DispatchPace } from '../../activities/webhooks/dispatch-pace';

/** A merchant's wide fan-outs, booked on a clock the test moves. */
describe('dispatch pace', () => {
  const clock = () => {
    let now = 1_000_000;
    return { now: () => now, advance: (ms: number) => (now += ms) };
  };

  test('when a merchant fans out within its burst, then nothing waits; past it, each event waits for the starts booked before it', () => {
    const c = clock();
    const pace = new DispatchPace(40, 32, c.now);
    expect(pace.delayFor('mer_a', 16)).toBe(0);
    expect(pace.delayFor('mer_a', 16)).toBe(0);
    // 32 starts used the burst: the next 16 go after nothing more, the ones after wait 16/40 s each.
    expect(pace.delayFor('mer_a', 16)).toBe(0);
    expect(pace.delayFor('mer_a', 16)).toBe(400);
    expect(pace.delayFor('mer_a', 16)).toBe(800);
  });

  test('when one merchant has a backlog, then another merchant’s fan-out does not wait', () => {
    const c = clock();
    const pace = new DispatchPace(40, 32, c.now);
    for (let i = 0; i < 30; i++) pace.delayFor('mer_noisy', 16);
    expect(pace.delayFor('mer_quiet', 16)).toBe(0);
    expect(pace.delayFor('mer_noisy', 16)).toBe(30 * 400 - 800);
  });

  test('when time passes, then a backlog drains and an idle merchant has its burst back', () => {
    const c = clock();
    const pace = new DispatchPace(40, 32, c.now);
    for (let i = 0; i < 5; i++) pace.delayFor('mer_a', 16);
    c.advance(1000);
    // Booked up to 5 × 400 − 800 = 1,200 ms from the start: 200 ms left.
    expect(pace.delayFor('mer_a', 16)).toBe(200);
    c.advance(60_000);
    expect(pace.delayFor('mer_a', 16)).toBe(0);
    expect(pace.delayFor('mer_a', 16)).toBe(0);
    expect(pace.delayFor('mer_a', 16)).toBe(0);
    expect(pace.delayFor('mer_a', 16)).toBe(400);
  });
});
