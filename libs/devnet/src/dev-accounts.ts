import { HDNodeWallet, Mnemonic } from 'ethers';

/** The test mnemonic every local Ethereum devnet uses. Public: never for real value. */
export const DEV_MNEMONIC = 'test test test test test test test test test test test junk';

/** Dev account i of the test mnemonic (m/44'/60'/0'/0/i). Account 0 is also the devnet's operator. */
export function devAccount(i: number): HDNodeWallet {
  return HDNodeWallet.fromMnemonic(Mnemonic.fromPhrase(DEV_MNEMONIC), `m/44'/60'/0'/0/${i}`);
}

export function devAccounts(count: number): HDNodeWallet[] {
  return Array.from({ length: count }, (_, i) => devAccount(i));
}
