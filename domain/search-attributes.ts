import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** Custom search attributes that let an operator find any payment in the Temporal UI. */
export const SA = {
  merchantId: defineSearchAttributeKey('SettleMerchantId', SearchAttributeType.KEYWORD),
  status: defineSearchAttributeKey('SettleStatus', SearchAttributeType.KEYWORD),
  network: defineSearchAttributeKey('SettleNetwork', SearchAttributeType.KEYWORD),
  externalId: defineSearchAttributeKey('SettleExternalId', SearchAttributeType.KEYWORD),
  txHash: defineSearchAttributeKey('SettleTxHash', SearchAttributeType.KEYWORD),
  livemode: defineSearchAttributeKey('SettleLivemode', SearchAttributeType.BOOL),
} as const;

export const ALL_SEARCH_ATTRIBUTES = Object.values(SA);
