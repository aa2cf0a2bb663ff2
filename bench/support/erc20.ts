/** Shared by the EVM benchmarks: bench keys, signed EIP-1559 txs, mempool rows, block contexts. */
import { createFeeMarket1559Tx } from '@ethereumjs/tx';
import { createAddressFromPrivateKey, hexToBytes } from '@ethereumjs/util';
import { INITIAL_BASE_FEE, spnCommon } from '@mesh/vm-evm';
import type { BlockContext, MempoolTx } from '../../libs/spn-node/src/executor';

export const CHAIN_ID = 9_999n;
export const COINBASE = '0x' + 'c0'.repeat(20);
export const ETH = 10n ** 18n;

export interface Key {
  privateKey: Uint8Array;
  address: string;
}

export function keyOf(i: number): Key {
  const privateKey = hexToBytes(('0x' + 'b0'.repeat(30) + (i + 1).toString(16).padStart(4, '0')) as `0x${string}`);
  return { privateKey, address: createAddressFromPrivateKey(privateKey).toString() };
}

const common = spnCommon(CHAIN_ID);

/** `accessList`: EIP-2930 entries (address, storage slots), declared to the parallel executor. */
export function sign(
  key: Key,
  nonce: bigint,
  to: string | undefined,
  data: string,
  gasLimit: bigint,
  value = 0n,
  accessList: { address: string; storageKeys: string[] }[] = [],
): Uint8Array {
  return createFeeMarket1559Tx(
    {
      chainId: CHAIN_ID,
      nonce,
      to: to as `0x${string}` | undefined,
      data: data as `0x${string}`,
      gasLimit,
      value,
      maxFeePerGas: 20n * INITIAL_BASE_FEE,
      maxPriorityFeePerGas: 1_000n,
      accessList: accessList as never,
    },
    { common },
  )
    .sign(key.privateKey)
    .serialize();
}

export const toMempool = (raw: Uint8Array, i: number): MempoolTx => ({
  hash: 'tx' + i,
  kind: 'evm',
  sender: '',
  nonce: 0n,
  body: { raw: '0x' + Buffer.from(raw).toString('hex') },
  code: null,
});

export function blockCtx(number: bigint, vmHeader: Record<string, unknown> | null): BlockContext {
  return {
    number,
    timeMs: (1_700_000_000n + number) * 1000n,
    parent: { number: number - 1n, hash: '0x' + '00'.repeat(32), timeMs: 0n, vmHeader },
  };
}
