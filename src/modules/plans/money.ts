import { AppError } from '../../http/errors.js';

/**
 * Decimal amounts from clients become integer minor units (cents) for storage and arithmetic,
 * and go back out as the same decimal (29.99 stays 29.99). Every currency is taken to have two
 * decimals; an amount with more is refused rather than rounded.
 */
export function toMinor(amount: number, field: string): number {
  const cents = Math.round(amount * 100);
  if (!Number.isFinite(amount) || amount < 0 || Math.abs(amount * 100 - cents) > 1e-6 || !Number.isSafeInteger(cents)) {
    throw new AppError('VALIDATION_FAILED', `${field} must be a non-negative amount with at most two decimals`, [
      { field, message: 'must be a non-negative amount with at most two decimals' },
    ]);
  }
  return cents;
}

export function fromMinor(cents: number | null): number | null {
  return cents === null ? null : Number(cents) / 100;
}
