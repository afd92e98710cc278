import { AmountError, fromBaseUnits, isWithinToleranceBelow, toBaseUnits } from '../../domain/money';

describe('money', () => {
  test('when a decimal string is parsed, then base units are exact at any precision', () => {
    expect(toBaseUnits('50.00', 18)).toBe(50n * 10n ** 18n);
    expect(toBaseUnits('0.000001', 6)).toBe(1n);
    expect(toBaseUnits('123456789012345678901234567890.5', 6)).toBe(123456789012345678901234567890500000n);
    expect(toBaseUnits('1.10', 1)).toBe(11n);
  });

  test('when an amount is negative, malformed or too precise, then it is refused with a reason', () => {
    for (const bad of ['-1', '1e3', '01', '1.', '.5', 'abc', '', ' 1', '0x10']) {
      expect(() => toBaseUnits(bad, 18)).toThrow(AmountError);
    }
    expect(() => toBaseUnits('0.0000001', 6)).toThrow(/more than 6 decimal places/);
  });

  test('when base units are formatted, then the string round-trips and keeps two decimals', () => {
    expect(fromBaseUnits(50n * 10n ** 18n, 18)).toBe('50.00');
    expect(fromBaseUnits('1', 6)).toBe('0.000001');
    expect(fromBaseUnits(-2500000n, 6)).toBe('-2.50');
    expect(fromBaseUnits(7n, 0)).toBe('7');
    for (const s of ['0.10', '99.99', '1234.567891']) expect(fromBaseUnits(toBaseUnits(s, 6), 6)).toBe(s);
  });

  test('when a payment is compared with a tolerance, then the boundary is inclusive and float-free', () => {
    expect(isWithinToleranceBelow(99n, 100n, 100)).toBe(true);
    expect(isWithinToleranceBelow(98n, 100n, 100)).toBe(false);
    expect(isWithinToleranceBelow(100n, 100n, 0)).toBe(true);
    expect(isWithinToleranceBelow(99n, 100n, 0)).toBe(false);
  });
});
