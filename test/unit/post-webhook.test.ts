import { postWebhook } from '../../activities/webhooks/post-webhook';
import { startSilentServer } from '../harness/silent-server';

/**
 * A delivery is cancelled when its worker shuts down, possibly before it posts (the URL check comes
 * first). A request made and then destroyed before its error listener was attached raised 'socket
 * hang up' as an uncaught exception: the noisy-neighbour test's teardown failed with it in CI.
 */
describe('posting a webhook when the delivery is cancelled', () => {
  let silent: Awaited<ReturnType<typeof startSilentServer>>;
  beforeAll(async () => {
    silent = await startSilentServer();
  });
  afterAll(async () => {
    await silent.close();
  });

  const post = (cancel: AbortSignal) =>
    postWebhook(new URL(`${silent.url}/hook`), '{}', { 'content-type': 'application/json' }, { timeoutMs: 60_000, cancel });

  test('when it was cancelled before it posts, then it rejects with the cancellation and nothing is uncaught', async () => {
    const uncaught: unknown[] = [];
    const record = (err: unknown) => uncaught.push(err);
    process.on('uncaughtException', record);
    try {
      const controller = new AbortController();
      const reason = new Error('worker shutting down');
      controller.abort(reason);
      await expect(post(controller.signal)).rejects.toBe(reason);
      // Whatever a destroyed request would emit is emitted within a few ticks; give them a turn.
      await new Promise((r) => setImmediate(r));
      await new Promise((r) => setImmediate(r));
      expect(uncaught).toEqual([]);
    } finally {
      process.off('uncaughtException', record);
    }
  });

  test('when it is cancelled while the receiver holds the request, then it rejects with the cancellation', async () => {
    const controller = new AbortController();
    const posting = post(controller.signal);
    const deadline = Date.now() + 10_000;
    while (silent.mostAtOnce() === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(silent.mostAtOnce()).toBeGreaterThan(0);
    const reason = new Error('worker shutting down');
    controller.abort(reason);
    await expect(posting).rejects.toBe(reason);
  });
});
