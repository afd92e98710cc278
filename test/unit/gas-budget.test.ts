import { capFees, lowestCeiling } from '../../activities/signing/fees';
import { feePerGasWithin } from '../../activities/signing/gas-budget';

describe('gas policy arithmetic', () => {
  test('when the cap leaves room, then the fee per gas shares it between this transaction and the ones still to sign', () => {
    // 1,000,000 wei left for 21,000 + 79,000 gas: 10 wei per gas, rounded down.
    expect(feePerGasWithin(1_500_000n, { committed: 500_000n, unsignedGas: 79_000n }, 21_000n)).toBe(10n);
    expect(feePerGasWithin(1_099_999n, { committed: 0n, unsignedGas: 89_000n }, 21_000n)).toBe(9n);
  });

  test('when signed transactions already use the whole cap, then nothing more may be offered', () => {
    expect(feePerGasWithin(1_000n, { committed: 1_000n, unsignedGas: 0n }, 21_000n)).toBe(0n);
    expect(feePerGasWithin(1_000n, { committed: 5_000n, unsignedGas: 0n }, 21_000n)).toBe(0n);
  });

  test('when several ceilings apply, then the lowest wins and the tip never exceeds the fee', () => {
    expect(lowestCeiling(undefined, 30n, undefined, 20n)).toBe(20n);
    expect(lowestCeiling(undefined, undefined)).toBeUndefined();
    expect(capFees({ type: 2, maxFee: 100n, priority: 40n }, 25n)).toEqual({ type: 2, maxFee: 25n, priority: 25n });
    expect(capFees({ type: 2, maxFee: 100n, priority: 40n }, undefined)).toEqual({ type: 2, maxFee: 100n, priority: 40n });
    expect(capFees({ type: 0, maxFee: 10n, priority: 10n }, 25n)).toEqual({ type: 0, maxFee: 10n, priority: 10n });
  });
});
