import { createHmac } from 'node:crypto';
import { BIP32Factory } from 'bip32';
import { computeAddress, hexlify, HDNodeWallet, Mnemonic, Wallet } from 'ethers';
import * as ecc from 'tiny-secp256k1';
import { DerivationScheme, HdWallet, type WalletAccount } from '../../activities/wallet/hd-wallet';

const bip32 = BIP32Factory(ecc);
const legacy = (index: number): WalletAccount => ({ index, scheme: DerivationScheme.unhardenedMode });
const hardened = (index: number): WalletAccount => ({ index, scheme: DerivationScheme.hardenedMode });

/**
 * What an attacker does with a leaked non-hardened child private key and its parent's public key
 * and chain code: undo the child's tweak (BIP32's documented weakness) to get the parent private key.
 */
function parentPrivateKey(parent: { publicKey: Uint8Array; chainCode: Uint8Array }, childIndex: number, child: Uint8Array) {
  const data = Buffer.concat([Buffer.from(parent.publicKey), Buffer.from([0, 0, 0, 0])]);
  data.writeUInt32BE(childIndex, 33);
  const tweak = createHmac('sha512', Buffer.from(parent.chainCode)).update(data).digest().subarray(0, 32);
  return Buffer.from(ecc.privateSub(child, tweak)!);
}

describe('HD wallet', () => {
  // Anvil's well-known mnemonic gives a published address at m/44'/60'/0'/0/0.
  const seed = Mnemonic.fromPhrase('test test test test test test test test test test test junk').computeSeed().slice(2);
  const wallet = new HdWallet(seed);

  test('when deriving the first live address of a scheme-1 account 0, then it is still the BIP44 reference address', () => {
    expect(wallet.address(legacy(0), true, 0)).toBe('0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266');
    expect(HdWallet.path(legacy(4), false, 9)).toBe("m/44'/60'/4'/1/9");
    expect(HdWallet.path(hardened(4), false, 9)).toBe("m/44'/60'/4'/1'/9");
    expect(HdWallet.path(hardened(4), true, 9)).toBe("m/44'/60'/4'/0'/9");
  });

  test('when deriving keys, then schemes, merchants, modes and indexes never share an address, and keys match addresses', () => {
    const seen = new Set<string>();
    for (const account of [legacy(0), legacy(1), hardened(0), hardened(1)])
      for (const live of [true, false])
        for (const index of [0, 1, 2]) {
          const address = wallet.address(account, live, index);
          expect(seen.has(address)).toBe(false);
          seen.add(address);
          expect(new Wallet(wallet.privateKey(account, live, index)).address).toBe(address);
        }
    expect(wallet.address(hardened(3), false, 7)).toBe(
      HDNodeWallet.fromSeed(`0x${seed}`).derivePath(HdWallet.path(hardened(3), false, 7)).address,
    );
  });

  test.each([
    [DerivationScheme.unhardenedMode, true],
    [DerivationScheme.hardenedMode, false],
  ])('when a test key and the account xpub leak under scheme %i, then live keys are exposed: %s', (scheme, exposed) => {
    const account: WalletAccount = { index: 5, scheme };
    const accountNode = bip32.fromSeed(Buffer.from(seed, 'hex')).derivePath("m/44'/60'/5'");
    const xpub = bip32.fromBase58(accountNode.neutered().toBase58());
    const leakedTestKey = Buffer.from(wallet.privateKey(account, false, 3).slice(2), 'hex');

    // Walk back: test branch (m/…/1) from the leaf, then the account from the branch, then forward to live.
    const testBranch = xpub.derive(1);
    const branchKey = parentPrivateKey(testBranch, 3, leakedTestKey);
    const accountKey = parentPrivateKey(xpub, 1, branchKey);
    const forged = bip32.fromPrivateKey(accountKey, Buffer.from(xpub.chainCode));
    const liveGuess = computeAddress(hexlify(forged.derivePath(scheme === 1 ? '0/0' : "0'/0").publicKey));

    expect(liveGuess === wallet.address(account, true, 0)).toBe(exposed);
  });

  test('when a worker process has no seed (webhooks only), then every derivation is refused', () => {
    const keyless = new HdWallet(undefined);
    expect(() => keyless.address(hardened(0), true, 0)).toThrow(/holds no master seed/);
    expect(() => keyless.privateKey(hardened(0), false, 0)).toThrow(/holds no master seed/);
  });
});
