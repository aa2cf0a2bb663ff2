import { id, verifyTypedData, type Signer, type TypedDataDomain, type TypedDataField } from 'ethers';
import { MESH_DOMAIN_NAME, MESH_DOMAIN_VERSION } from './signing-domain';

/**
 * What an operator asks the mainnet to do with its stake (ARCHITECTURE.md, "SPN lifecycle and
 * restaking"):
 * - `bond`: mainnet balance -> bonded stake;
 * - `restake`: bonded stake -> restake on `spnId`;
 * - `unrestake`: restake on `spnId` -> unbonding (still slashable for that SPN until withdrawn);
 * - `unbond`: bonded stake -> unbonding;
 * - `withdraw`: every unbonding entry whose delay has passed -> mainnet balance (`amount` "0").
 */
export const STAKE_OPERATION_KINDS = ['bond', 'unbond', 'restake', 'unrestake', 'withdraw'] as const;
export type StakeOperationKind = (typeof STAKE_OPERATION_KINDS)[number];

/** A stake operation as signed: `spnId` is "" where the kind takes none; amounts in base units. */
export interface StakeOperation {
  kind: StakeOperationKind;
  operator: string;
  spnId: string;
  /** Decimal string of base units. */
  amount: string;
  /** The operator's account nonce: 0 first, then one more for every accepted operation. */
  nonce: number;
}

export interface SignedStakeOperation extends StakeOperation {
  signature: string;
}

export const STAKE_OPERATION_TYPES: Record<string, TypedDataField[]> = {
  StakeOperation: [
    { name: 'kind', type: 'string' },
    { name: 'operator', type: 'address' },
    { name: 'spnId', type: 'string' },
    { name: 'amount', type: 'uint256' },
    { name: 'nonce', type: 'uint64' },
  ],
};

/**
 * The EIP-712 domain of the mainnet's own messages. Its salt hashes a name no SPN id can take
 * (SPN ids have no ':'), so no SPN's domain equals it.
 */
export function mainnetDomain(chainId: number | bigint): TypedDataDomain {
  return { name: MESH_DOMAIN_NAME, version: MESH_DOMAIN_VERSION, chainId: BigInt(chainId), salt: id('rollup-mesh:mainnet') };
}

export async function signStakeOperation(signer: Signer, chainId: number, op: StakeOperation): Promise<SignedStakeOperation> {
  const signature = await signer.signTypedData(mainnetDomain(chainId), STAKE_OPERATION_TYPES, op);
  return { ...op, signature };
}

/** The address (lowercase) that signed the operation, or undefined when the signature is malformed. */
export function recoverStakeOperationSigner(chainId: number, op: StakeOperation, signature: string): string | undefined {
  try {
    return verifyTypedData(mainnetDomain(chainId), STAKE_OPERATION_TYPES, op, signature).toLowerCase();
  } catch {
    return undefined;
  }
}
