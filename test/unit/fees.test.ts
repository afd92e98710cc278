import { depositFee } from '../../domain/fees';

describe('deposit fees', () => {
  const flat2 = { type: 'flat' as const, amount: '2.00' };

  test('when the policy is flat, then a stablecoin deposit pays it in its own base units', () => {
    expect(depositFee(flat2, 'USDT', 6, 50_000_000n)).toBe(2_000_000n);
    expect(depositFee(flat2, 'USDT', 18, 50n * 10n ** 18n)).toBe(2n * 10n ** 18n);
  });

  test('when a deposit is smaller than the fee, then the fee is capped at the deposit', () => {
    expect(depositFee(flat2, 'USDT', 6, 1_500_000n)).toBe(1_500_000n);
  });

  test('when the deposit is in a currency the flat fee does not name, then no fee is taken', () => {
    expect(depositFee(flat2, 'ETH', 18, 10n ** 18n)).toBe(0n);
    expect(depositFee({ ...flat2, currencies: ['ETH'] }, 'ETH', 18, 5n * 10n ** 18n)).toBe(2n * 10n ** 18n);
  });

  test('when the fee is more precise than the token, then it is truncated instead of failing', () => {
    expect(depositFee({ type: 'flat', amount: '0.1234567' }, 'USDT', 6, 10n ** 9n)).toBe(123_456n);
  });

  test('when the policy is none, then nothing is charged', () => {
    expect(depositFee({ type: 'none' }, 'USDT', 6, 10n ** 9n)).toBe(0n);
  });
});
