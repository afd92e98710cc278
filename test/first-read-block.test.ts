import { FIRST_READ_LOOKBACK_MS, firstReadBlock } from '../activities/chain/first-read-block';
import { TestStack } from './harness/test-stack';

const HOUR_S = 3600;

/**
 * Where a network's first read starts, on a real chain whose blocks span ten days (one an hour) and
 * real address rows: the first block since the earliest address was allocated (less five minutes
 * for the clocks), never more than the lookback before the head, the head when there is no address.
 */
describe("a network's first read", () => {
  let stack: TestStack;
  let head: number;
  let timestamps: number[];
  let merchantId: string;
  beforeAll(async () => {
    stack = await TestStack.start();
    ({ id: merchantId } = await stack.merchant());
    await stack.chain.provider.send('anvil_mine', [`0x${(240).toString(16)}`, `0x${HOUR_S.toString(16)}`]);
    head = await stack.chain.provider.getBlockNumber();
    timestamps = [];
    for (let n = 0; n <= head; n++) timestamps.push((await stack.chain.provider.getBlock(n))!.timestamp * 1000);
  });
  afterAll(async () => stack?.stop());

  /** The oracle: the first block at or after `since`, read block by block. */
  const firstBlockSince = (since: number) => timestamps.findIndex((t) => t >= since);
  const allocatedAt = async (at: number) => {
    await stack.pool.query('DELETE FROM addresses');
    await stack.pool.query(
      `INSERT INTO addresses (network, address, merchant_id, livemode, derivation_index, owner_type, owner_id, created_at)
       VALUES ('local', $1, $2, false, 0, 'customer', 'cus_first_read', to_timestamp($3::double precision / 1000))`,
      [`0x${'ab'.repeat(20)}`, merchantId, at],
    );
  };

  test('when the network has no address, then the first read starts at the head', async () => {
    await stack.pool.query('DELETE FROM addresses');
    expect(await firstReadBlock(stack.pool, stack.chain.provider, 'local', head)).toBe(head);
  });

  test('when an address was allocated three days into the chain, then the first read starts at the first block since five minutes before it', async () => {
    const at = timestamps[0]! + 72 * HOUR_S * 1000 + 30 * 60_000;
    await allocatedAt(at);
    const first = await firstReadBlock(stack.pool, stack.chain.provider, 'local', head);
    expect(first).toBe(firstBlockSince(at - 5 * 60_000));
    expect(timestamps[first - 1]!).toBeLessThan(at - 5 * 60_000);
    expect(first).toBeGreaterThan(0);
    expect(first).toBeLessThan(head);
  });

  test('when the earliest address is older than the lookback, then the first read goes back only the lookback from the head', async () => {
    await allocatedAt(timestamps[0]! - HOUR_S * 1000);
    const first = await firstReadBlock(stack.pool, stack.chain.provider, 'local', head);
    expect(first).toBe(firstBlockSince(timestamps[head]! - FIRST_READ_LOOKBACK_MS));
    expect(timestamps[head]! - timestamps[first]!).toBeLessThanOrEqual(FIRST_READ_LOOKBACK_MS);
    expect(first).toBeGreaterThan(0);
  });

  test('when the earliest address is newer than the head, then the first read starts at the head', async () => {
    await allocatedAt(timestamps[head]! + HOUR_S * 1000);
    expect(await firstReadBlock(stack.pool, stack.chain.provider, 'local', head)).toBe(head);
  });
});
