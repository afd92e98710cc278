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

/**
 * Settle's HD wallet: one master seed, one BIP44 account per merchant. Lives only in the worker.
 * A worker process that only delivers webhooks is given no seed: it makes requests to URLs merchants
 * chose, so it is the one process that must not hold keys. Its wallet refuses every derivation.
 */
export class HdWallet {
  private readonly root: BIP32Interface | undefined;

  constructor(seedHex: string | undefined) {
    this.root = seedHex === undefined ? undefined : bip32.fromSeed(Buffer.from(seedHex, 'hex'));
  }

  private derive(path: string): BIP32Interface {
    // Retryable: on a queue that a worker with the seed also polls, another attempt can land there.
    if (!this.root) throw new Error('this worker process holds no master seed (SETTLE_MASTER_SEED); it cannot derive keys');
    return this.root.derivePath(path);
  }

  static path(account: WalletAccount, livemode: boolean, index: number): string {
    const mode = `${livemode ? 0 : 1}${account.scheme === DerivationScheme.hardenedMode ? "'" : ''}`;
    return `m/44'/60'/${account.index}'/${mode}/${index}`;
  }

  /** Checksummed EVM address of one derived key. */
  address(account: WalletAccount, livemode: boolean, index: number): string {
    const node = this.derive(HdWallet.path(account, livemode, index));
    return computeAddress(hexlify(node.publicKey));
  }

  privateKey(account: WalletAccount, livemode: boolean, index: number): string {
    const node = this.derive(HdWallet.path(account, livemode, index));
    if (!node.privateKey) throw new Error('derived node has no private key');
    return hexlify(node.privateKey);
  }
}
