import { HDNodeWallet, Mnemonic, Wallet } from 'ethers';
import { HdWallet } from '../../activities/wallet/hd-wallet';

describe('HD wallet', () => {
  // Anvil's well-known mnemonic gives a published address at m/44'/60'/0'/0/0.
  const seed = Mnemonic.fromPhrase('test test test test test test test test test test test junk').computeSeed().slice(2);

  test('when deriving the first live address of account 0, then it matches the BIP44 reference address', () => {
    expect(new HdWallet(seed).address(0, true, 0)).toBe('0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266');
  });

  test('when deriving keys, then merchants, modes and indexes never share an address, and keys match addresses', () => {
    const wallet = new HdWallet(seed);
    const seen = new Set<string>();
    for (const account of [0, 1])
      for (const live of [true, false])
        for (const index of [0, 1, 2]) {
          const address = wallet.address(account, live, index);
          expect(seen.has(address)).toBe(false);
          seen.add(address);
          expect(new Wallet(wallet.privateKey(account, live, index)).address).toBe(address);
        }
    expect(wallet.address(3, false, 7)).toBe(HDNodeWallet.fromSeed(`0x${seed}`).derivePath(HdWallet.path(3, false, 7)).address);
  });
});
