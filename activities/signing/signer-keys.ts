import type { Pool } from 'pg';
import type { HdWallet } from '../wallet/hd-wallet';
import { walletAccount } from '../wallet/wallet-account';

/** Which derived key signs: a merchant's address in one mode; index 0 is the hot address. */
export interface SignerRef {
  merchantId: string;
  livemode: boolean;
  index: number;
}

/** Derives a signer's private key in the worker; keys are never stored or returned. */
export async function signerKey(pool: Pool, wallet: HdWallet, ref: SignerRef): Promise<{ address: string; privateKey: string }> {
  const account = await walletAccount(pool, ref.merchantId);
  return {
    address: wallet.address(account, ref.livemode, ref.index),
    privateKey: wallet.privateKey(account, ref.livemode, ref.index),
  };
}
