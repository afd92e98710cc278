import { BIP32Factory, type BIP32Interface } from 'bip32';
import { computeAddress, hexlify } from 'ethers';
import * as ecc from 'tiny-secp256k1';

const bip32 = BIP32Factory(ecc);

/**
 * Settle's HD wallet: one master seed, one BIP44 account per merchant, live and test keys on
 * separate branches (m/44'/60'/<account>'/<0 live | 1 test>/<index>). Lives only in the worker.
 */
export class HdWallet {
  private readonly root: BIP32Interface;

  constructor(seedHex: string) {
    this.root = bip32.fromSeed(Buffer.from(seedHex, 'hex'));
  }

  static path(account: number, livemode: boolean, index: number): string {
    return `m/44'/60'/${account}'/${livemode ? 0 : 1}/${index}`;
  }

  /** Checksummed EVM address of one derived key. */
  address(account: number, livemode: boolean, index: number): string {
    const node = this.root.derivePath(HdWallet.path(account, livemode, index));
    return computeAddress(hexlify(node.publicKey));
  }

  privateKey(account: number, livemode: boolean, index: number): string {
    const node = this.root.derivePath(HdWallet.path(account, livemode, index));
    if (!node.privateKey) throw new Error('derived node has no private key');
    return hexlify(node.privateKey);
  }
}
