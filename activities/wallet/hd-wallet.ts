import { BIP32Factory, type BIP32Interface } from 'bip32';
import { computeAddress, hexlify } from 'ethers';
import * as ecc from 'tiny-secp256k1';

const bip32 = BIP32Factory(ecc);

/**
 * How a merchant's keys hang below its BIP44 account, fixed per merchant (`merchants.derivation_scheme`)
 * so an existing address never moves:
 * - 1: m/44'/60'/<account>'/<0 live | 1 test>/<index>. A leaked test key plus the account xpub
 *   yields the account private key (unhardened levels can be walked back), hence the live keys.
 * - 2: m/44'/60'/<account>'/<0' live | 1' test>/<index>. The hardened mode level stops that walk
 *   at the test branch. Every merchant created since migration 007b.
 */
export const DerivationScheme = { unhardenedMode: 1, hardenedMode: 2 } as const;
export type DerivationScheme = (typeof DerivationScheme)[keyof typeof DerivationScheme];

/** A merchant's place in the HD tree. */
export interface WalletAccount {
  index: number;
  scheme: DerivationScheme;
}

/** Settle's HD wallet: one master seed, one BIP44 account per merchant. Lives only in the worker. */
export class HdWallet {
  private readonly root: BIP32Interface;

  constructor(seedHex: string) {
    this.root = bip32.fromSeed(Buffer.from(seedHex, 'hex'));
  }

  static path(account: WalletAccount, livemode: boolean, index: number): string {
    const mode = `${livemode ? 0 : 1}${account.scheme === DerivationScheme.hardenedMode ? "'" : ''}`;
    return `m/44'/60'/${account.index}'/${mode}/${index}`;
  }

  /** Checksummed EVM address of one derived key. */
  address(account: WalletAccount, livemode: boolean, index: number): string {
    const node = this.root.derivePath(HdWallet.path(account, livemode, index));
    return computeAddress(hexlify(node.publicKey));
  }

  privateKey(account: WalletAccount, livemode: boolean, index: number): string {
    const node = this.root.derivePath(HdWallet.path(account, livemode, index));
    if (!node.privateKey) throw new Error('derived node has no private key');
    return hexlify(node.privateKey);
  }
}
