import { id, type TypedDataDomain } from 'ethers';

/** EIP-712 domain name shared by every Rollup Mesh message. */
export const MESH_DOMAIN_NAME = 'Rollup Mesh';
export const MESH_DOMAIN_VERSION = '1';

/**
 * The EIP-712 domain of one SPN on one mesh: the chain id and the SPN id (as `salt`, the
 * keccak256 of the id) are part of every signature, so a signature made for one SPN or chain
 * is worthless on another.
 */
export function meshDomain(chainId: number | bigint, spnId: string): TypedDataDomain {
  return { name: MESH_DOMAIN_NAME, version: MESH_DOMAIN_VERSION, chainId: BigInt(chainId), salt: id(spnId) };
}
