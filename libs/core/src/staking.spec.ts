import { Wallet } from 'ethers';
import { describe, expect, it } from 'vitest';
import { mainnetDomain, recoverStakeOperationSigner, signStakeOperation, type StakeOperation } from './staking';
import { meshDomain } from './signing-domain';

describe('stake operations', () => {
  const wallet = Wallet.createRandom();
  const op: StakeOperation = { kind: 'restake', operator: wallet.address.toLowerCase(), spnId: 'spn-1', amount: '100', nonce: 3 };

  it('recover to their signer on the same chain only, and not once a field changes', async () => {
    const { signature, ...signed } = await signStakeOperation(wallet, 4242, op);
    expect(signed).toEqual(op);
    expect(recoverStakeOperationSigner(4242, op, signature)).toBe(wallet.address.toLowerCase());
    expect(recoverStakeOperationSigner(4243, op, signature)).not.toBe(wallet.address.toLowerCase());
    expect(recoverStakeOperationSigner(4242, { ...op, amount: '101' }, signature)).not.toBe(wallet.address.toLowerCase());
    expect(recoverStakeOperationSigner(4242, { ...op, nonce: 4 }, signature)).not.toBe(wallet.address.toLowerCase());
    expect(recoverStakeOperationSigner(4242, op, '0x1234')).toBeUndefined();
  });

  it('are signed in a domain no SPN id can have', () => {
    const salt = mainnetDomain(4242).salt;
    for (const spnId of ['mainnet', 'rollup-mesh', 'rollup-mesh-mainnet']) expect(meshDomain(4242, spnId).salt).not.toBe(salt);
  });
});
