import { WorkerEnv } from '../config/env';
import { TaskQueueKind } from '../domain/task-queues';

const env = (extra: Record<string, string>) =>
  WorkerEnv.safeParse({ DATABASE_URL: 'postgres://x', SETTLE_MASTER_SEED: 'ab'.repeat(32), ...extra });

/**
 * Issue 14: webhook deliveries can run in a process of their own at a lower CPU priority (npm start
 * does), so a merchant flooding its endpoints cannot take the CPU payments need on a shared machine.
 */
describe('which queues a worker process polls', () => {
  test('when nothing is set, then it polls every queue at normal priority', () => {
    const parsed = env({});
    expect(parsed.success && parsed.data.SETTLE_WORKER_QUEUES).toEqual(Object.values(TaskQueueKind));
    expect(parsed.success && parsed.data.SETTLE_WORKER_NICE).toBe(0);
  });

  test('when queues are named, then only those are polled; an unknown one or none is refused', () => {
    const parsed = env({ SETTLE_WORKER_QUEUES: 'webhooks', SETTLE_WORKER_NICE: '10' });
    expect(parsed.success && parsed.data.SETTLE_WORKER_QUEUES).toEqual(['webhooks']);
    expect(parsed.success && parsed.data.SETTLE_WORKER_NICE).toBe(10);
    expect(env({ SETTLE_WORKER_QUEUES: 'webhooks,payouts' }).success).toBe(false);
    expect(env({ SETTLE_WORKER_QUEUES: ' , ' }).success).toBe(false);
    expect(env({ SETTLE_WORKER_NICE: '-5' }).success).toBe(false);
  });

  test('when a process polls only webhooks, then it runs without the master seed; any other queue requires it', () => {
    const seedless = (queues?: string) =>
      WorkerEnv.safeParse({ DATABASE_URL: 'postgres://x', ...(queues ? { SETTLE_WORKER_QUEUES: queues } : {}) });
    expect(seedless('webhooks').success).toBe(true);
    for (const queues of [undefined, 'payments', 'test-payments', 'chain-watchers', 'webhooks,payments']) {
      const parsed = seedless(queues);
      expect(parsed.success).toBe(false);
      expect(!parsed.success && parsed.error.issues.map((i) => i.path.join('.'))).toEqual(['SETTLE_MASTER_SEED']);
    }
  });
});
