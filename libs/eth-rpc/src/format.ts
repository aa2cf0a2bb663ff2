import { Transaction } from 'ethers';
import type { EthBlock, EthLog, EthReceipt, EthTransaction } from './backend';
import { toData, toFixedData, toQuantity } from './hex';

/** keccak256(rlp([])): the uncles hash of a block without uncles. */
export const EMPTY_UNCLES_HASH = '0x1dcc4de8dec75d7aab85b567b6ccd41ad312451b948a7413f0a142fd40d49347';
/** Root of an empty Merkle-Patricia trie (no transactions, no receipts). */
export const EMPTY_TRIE_ROOT = '0x56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421';
export const ZERO_HASH = '0x' + '0'.repeat(64);
export const EMPTY_BLOOM = '0x' + '0'.repeat(512);

export type JsonBlock = Record<string, unknown> & { transactions: (string | Record<string, unknown>)[] };

/** A block as the JSON-RPC spec shows it; `txs` (full objects) replaces the hashes when given. */
export function formatBlock(block: EthBlock, txs?: readonly EthTransaction[]): JsonBlock {
  return {
    number: toQuantity(block.number),
    hash: block.hash,
    parentHash: block.parentHash,
    nonce: '0x0000000000000000',
    sha3Uncles: EMPTY_UNCLES_HASH,
    logsBloom: block.logsBloom,
    transactionsRoot: block.transactionsRoot,
    stateRoot: block.stateRoot,
    receiptsRoot: block.receiptsRoot,
    miner: block.miner,
    difficulty: '0x0',
    totalDifficulty: '0x0',
    extraData: block.extraData,
    size: toQuantity(block.size),
    gasLimit: toQuantity(block.gasLimit),
    gasUsed: toQuantity(block.gasUsed),
    timestamp: toQuantity(block.timestamp),
    transactions: txs ? txs.map(formatTransaction) : block.transactions,
    uncles: [],
    baseFeePerGas: toQuantity(block.baseFeePerGas),
    mixHash: ZERO_HASH,
  };
}

/** The fields of a signed transaction, decoded from its raw bytes (no signature recovery: `from` is given). */
export function formatTransaction(entry: EthTransaction): Record<string, unknown> {
  const tx = Transaction.from(entry.raw);
  const sig = tx.signature!;
  const type = tx.type ?? 0;
  const chainId = tx.chainId;
  const mined = entry.blockNumber !== null;
  const out: Record<string, unknown> = {
    blockHash: entry.blockHash,
    blockNumber: entry.blockNumber === null ? null : toQuantity(entry.blockNumber),
    from: entry.from.toLowerCase(),
    gas: toQuantity(tx.gasLimit),
    gasPrice: toQuantity(effectiveGasPrice(tx, mined ? entry.blockBaseFeePerGas : null)),
    hash: entry.hash,
    input: tx.data.toLowerCase(),
    nonce: toQuantity(tx.nonce),
    to: tx.to === null ? null : tx.to.toLowerCase(),
    transactionIndex: entry.transactionIndex === null ? null : toQuantity(entry.transactionIndex),
    value: toQuantity(tx.value),
    type: toQuantity(type),
  };
  if (type === 0) {
    if (chainId !== 0n) out.chainId = toQuantity(chainId);
    out.v = toQuantity(chainId !== 0n ? chainId * 2n + 35n + BigInt(sig.yParity) : 27n + BigInt(sig.yParity));
  } else {
    out.chainId = toQuantity(chainId);
    out.accessList = (tx.accessList ?? []).map((a) => ({
      address: a.address.toLowerCase(),
      storageKeys: a.storageKeys.map((k) => k.toLowerCase()),
    }));
    if (type >= 2) {
      out.maxFeePerGas = toQuantity(tx.maxFeePerGas ?? 0n);
      out.maxPriorityFeePerGas = toQuantity(tx.maxPriorityFeePerGas ?? 0n);
    }
    out.v = toQuantity(sig.yParity);
    out.yParity = toQuantity(sig.yParity);
  }
  out.r = toQuantity(BigInt(sig.r));
  out.s = toQuantity(BigInt(sig.s));
  return out;
}

/** What a transaction pays per gas: its gas price, or for EIP-1559 min(maxFee, baseFee + tip) once mined (maxFee while pending). */
export function effectiveGasPrice(tx: Transaction, baseFee: bigint | null): bigint {
  if (tx.maxFeePerGas === null || tx.maxFeePerGas === undefined) return tx.gasPrice ?? 0n;
  if (baseFee === null) return tx.maxFeePerGas;
  const tip = tx.maxPriorityFeePerGas ?? 0n;
  return baseFee + tip < tx.maxFeePerGas ? baseFee + tip : tx.maxFeePerGas;
}

export function formatLog(log: EthLog): Record<string, unknown> {
  return {
    address: log.address.toLowerCase(),
    topics: log.topics.map((t) => t.toLowerCase()),
    data: toData(log.data),
    blockNumber: toQuantity(log.blockNumber),
    blockHash: log.blockHash,
    transactionHash: log.transactionHash,
    transactionIndex: toQuantity(log.transactionIndex),
    logIndex: toQuantity(log.logIndex),
    removed: false,
  };
}

export function formatReceipt(receipt: EthReceipt): Record<string, unknown> {
  const out: Record<string, unknown> = {
    transactionHash: receipt.transactionHash,
    transactionIndex: toQuantity(receipt.transactionIndex),
    blockHash: receipt.blockHash,
    blockNumber: toQuantity(receipt.blockNumber),
    from: receipt.from.toLowerCase(),
    to: receipt.to === null ? null : receipt.to.toLowerCase(),
    cumulativeGasUsed: toQuantity(receipt.cumulativeGasUsed),
    gasUsed: toQuantity(receipt.gasUsed),
    effectiveGasPrice: toQuantity(receipt.effectiveGasPrice),
    contractAddress: receipt.contractAddress === null ? null : receipt.contractAddress.toLowerCase(),
    logs: receipt.logs.map(formatLog),
    logsBloom: receipt.logsBloom,
    status: receipt.success ? '0x1' : '0x0',
    type: toQuantity(receipt.type),
  };
  if (receipt.revertReason !== undefined) out.revertReason = receipt.revertReason;
  return out;
}

/** A 32-byte storage word. */
export const formatWord = (value: bigint): string => toFixedData(value, 32);
