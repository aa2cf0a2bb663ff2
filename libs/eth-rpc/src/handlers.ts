import { keccak256 } from 'ethers';
import type { EthBackend, EthBlock } from './backend';
import { executionReverted, invalidParams, limitExceeded, RpcError, RpcErrorCode, serverError } from './errors';
import { blockRewards, parsePercentiles } from './fee-history';
import { formatBlock, formatLog, formatReceipt, formatTransaction, formatWord } from './format';
import {
  dataToBytes,
  parseAddress,
  parseBool,
  parseData,
  parseHash,
  parseHexOrDecimal,
  parseQuantity,
  parseSlot,
  toData,
  toQuantity,
} from './hex';
import { LATEST, parseBlockRef, parseCallRequest, parseLogFilter, positional, type BlockRef } from './params';
import { JsonRpcServer, type JsonRpcServerOptions, type RpcMethod } from './server';

export interface EthRpcOptions extends JsonRpcServerOptions {
  /** Widest eth_getLogs block range (toBlock - fromBlock + 1). Default 10,000. */
  maxLogBlockRange?: number;
  /** Most logs one eth_getLogs returns; more is a -32005 error. Default 10,000. */
  maxLogResults?: number;
  /** Most blocks one eth_feeHistory covers (larger counts are clamped, as geth does). Default 1024. */
  maxFeeHistoryBlocks?: number;
}

export const DEFAULT_MAX_LOG_BLOCK_RANGE = 10_000;
export const DEFAULT_MAX_LOG_RESULTS = 10_000;

/**
 * The Ethereum JSON-RPC methods over an EthBackend: parameter checks (-32602 naming the argument),
 * block tags (latest, pending, earliest, safe, finalized, numbers; EIP-1898 objects where state
 * is read), and the spec's encoding. State is served at the latest block only: a state read at an
 * older block is a -32000 "historical state not available" error (safe = latest: SPN blocks are
 * never reorganised; finalized = the last block whose batch settled on the mainnet).
 */
export function ethRpcMethods(backend: EthBackend, options: EthRpcOptions = {}): Record<string, RpcMethod> {
  const maxRange = BigInt(options.maxLogBlockRange ?? DEFAULT_MAX_LOG_BLOCK_RANGE);
  const maxResults = options.maxLogResults ?? DEFAULT_MAX_LOG_RESULTS;
  const maxFeeBlocks = BigInt(options.maxFeeHistoryBlocks ?? 1024);

  /** The block number a ref designates (a hash must be known); "pending" is the latest block. */
  async function resolveNumber(ref: BlockRef): Promise<bigint> {
    if ('number' in ref) return ref.number;
    if ('hash' in ref) {
      const block = await backend.getBlockByHash(ref.hash);
      if (!block) throw serverError(`header for hash not found: ${ref.hash}`);
      return block.number;
    }
    if (ref.tag === 'earliest') return 0n;
    if (ref.tag === 'finalized') return backend.finalizedBlockNumber();
    return backend.blockNumber();
  }

  /** State methods read the latest state: refuse a block that is not the latest. */
  async function requireLatest(ref: BlockRef): Promise<void> {
    if ('tag' in ref && (ref.tag === 'latest' || ref.tag === 'pending' || ref.tag === 'safe')) return;
    const wanted = await resolveNumber(ref);
    const head = await backend.blockNumber();
    if (wanted === head) return;
    if (wanted > head) throw serverError(`header not found: block ${wanted} is beyond the latest block ${head}`);
    throw serverError(
      `historical state not available: block ${wanted} is older than the latest block ${head}; this node serves state at the latest block only`,
    );
  }

  async function blockByRef(ref: BlockRef): Promise<EthBlock | null> {
    if ('hash' in ref) return backend.getBlockByHash(ref.hash);
    return backend.getBlockByNumber(await resolveNumber(ref));
  }

  async function showBlock(block: EthBlock | null, full: boolean) {
    if (!block) return null;
    return formatBlock(block, full ? await backend.getBlockTransactions(block.number) : undefined);
  }

  async function txAt(block: EthBlock | null, index: bigint) {
    if (!block || index >= BigInt(block.transactions.length)) return null;
    const tx = await backend.getTransactionByHash(block.transactions[Number(index)]);
    return tx ? formatTransaction(tx) : null;
  }

  const m = (handler: RpcMethod['handler'], invalidInput: RpcMethod['invalidInput'] = 'params'): RpcMethod => ({ handler, invalidInput });
  const none = (params: unknown) => positional(params, 0, 0);

  return {
    web3_clientVersion: m((p) => (none(p), backend.clientVersion)),
    web3_sha3: m((p) => {
      const [data] = positional(p, 1, 1);
      return keccak256(parseData(data, 'data'));
    }),
    net_version: m((p) => (none(p), backend.chainId.toString(10))),
    net_listening: m((p) => (none(p), true)),
    net_peerCount: m((p) => (none(p), '0x0')),
    eth_chainId: m((p) => (none(p), toQuantity(backend.chainId))),
    eth_syncing: m((p) => (none(p), false)),
    eth_mining: m((p) => (none(p), false)),
    eth_hashrate: m((p) => (none(p), '0x0')),
    eth_accounts: m((p) => (none(p), [])),
    eth_blockNumber: m(async (p) => (none(p), toQuantity(await backend.blockNumber()))),

    eth_getBlockByNumber: m(async (p) => {
      const [ref, full] = positional(p, 1, 2);
      const block = await blockByRef(parseBlockRef(ref, 'blockNumber'));
      return showBlock(block, full === undefined ? false : parseBool(full, 'fullTransactions'));
    }),
    eth_getBlockByHash: m(async (p) => {
      const [hash, full] = positional(p, 1, 2);
      const block = await backend.getBlockByHash(parseHash(hash, 'blockHash'));
      return showBlock(block, full === undefined ? false : parseBool(full, 'fullTransactions'));
    }),
    eth_getBlockTransactionCountByNumber: m(async (p) => {
      const [ref] = positional(p, 1, 1);
      const block = await blockByRef(parseBlockRef(ref, 'blockNumber'));
      return block ? toQuantity(block.transactions.length) : null;
    }),
    eth_getBlockTransactionCountByHash: m(async (p) => {
      const [hash] = positional(p, 1, 1);
      const block = await backend.getBlockByHash(parseHash(hash, 'blockHash'));
      return block ? toQuantity(block.transactions.length) : null;
    }),
    eth_getTransactionByBlockNumberAndIndex: m(async (p) => {
      const [ref, index] = positional(p, 2, 2);
      return txAt(await blockByRef(parseBlockRef(ref, 'blockNumber')), parseQuantity(index, 'index'));
    }),
    eth_getTransactionByBlockHashAndIndex: m(async (p) => {
      const [hash, index] = positional(p, 2, 2);
      return txAt(await backend.getBlockByHash(parseHash(hash, 'blockHash')), parseQuantity(index, 'index'));
    }),
    eth_getUncleCountByBlockNumber: m(async (p) => {
      const [ref] = positional(p, 1, 1);
      return (await blockByRef(parseBlockRef(ref, 'blockNumber'))) ? '0x0' : null;
    }),
    eth_getUncleCountByBlockHash: m(async (p) => {
      const [hash] = positional(p, 1, 1);
      return (await backend.getBlockByHash(parseHash(hash, 'blockHash'))) ? '0x0' : null;
    }),

    eth_getBalance: m(async (p) => {
      const [address, ref] = positional(p, 1, 2);
      const a = parseAddress(address, 'address');
      await requireLatest(parseBlockRef(ref, 'block', { allowObject: true, fallback: LATEST }));
      return toQuantity(await backend.getBalance(a));
    }),
    eth_getTransactionCount: m(async (p) => {
      const [address, ref] = positional(p, 1, 2);
      const a = parseAddress(address, 'address');
      const block = parseBlockRef(ref, 'block', { allowObject: true, fallback: LATEST });
      await requireLatest(block);
      return toQuantity(await backend.getTransactionCount(a, 'tag' in block && block.tag === 'pending'));
    }),
    eth_getCode: m(async (p) => {
      const [address, ref] = positional(p, 1, 2);
      const a = parseAddress(address, 'address');
      await requireLatest(parseBlockRef(ref, 'block', { allowObject: true, fallback: LATEST }));
      return toData(await backend.getCode(a));
    }),
    eth_getStorageAt: m(async (p) => {
      const [address, slot, ref] = positional(p, 2, 3);
      const a = parseAddress(address, 'address');
      const s = parseSlot(slot, 'slot');
      await requireLatest(parseBlockRef(ref, 'block', { allowObject: true, fallback: LATEST }));
      return formatWord(await backend.getStorageAt(a, s));
    }),
    eth_call: m(async (p) => {
      const [tx, ref, overrides] = positional(p, 1, 3);
      const request = parseCallRequest(tx, 'transaction');
      await requireLatest(parseBlockRef(ref, 'block', { allowObject: true, fallback: LATEST }));
      if (overrides !== undefined && overrides !== null && !(typeof overrides === 'object' && Object.keys(overrides).length === 0))
        throw invalidParams('state overrides are not supported');
      const result = await backend.call(request);
      if (result.success) return toData(result.returnData);
      if (result.error === undefined || /revert/i.test(result.error))
        throw executionReverted(toData(result.returnData), result.revertReason);
      throw serverError(result.error);
    }, 'server'),
    eth_estimateGas: m(async (p) => {
      const [tx, ref, overrides] = positional(p, 1, 3);
      const request = parseCallRequest(tx, 'transaction');
      await requireLatest(parseBlockRef(ref, 'block', { allowObject: true, fallback: LATEST }));
      if (overrides !== undefined && overrides !== null && !(typeof overrides === 'object' && Object.keys(overrides).length === 0))
        throw invalidParams('state overrides are not supported');
      return toQuantity(await backend.estimateGas(request));
    }, 'server'),
    eth_createAccessList: m(async (p) => {
      const [tx, ref] = positional(p, 1, 2);
      const request = parseCallRequest(tx, 'transaction');
      await requireLatest(parseBlockRef(ref, 'block', { allowObject: true, fallback: LATEST }));
      const result = await backend.createAccessList(request);
      return {
        accessList: result.accessList,
        gasUsed: toQuantity(result.gasUsed),
        ...(result.error !== undefined ? { error: result.error } : {}),
      };
    }, 'server'),

    eth_gasPrice: m(async (p) => (none(p), toQuantity((await backend.nextBaseFee()) + (await backend.maxPriorityFeePerGas())))),
    eth_maxPriorityFeePerGas: m(async (p) => (none(p), toQuantity(await backend.maxPriorityFeePerGas()))),
    eth_feeHistory: m(async (p) => {
      const [count, newestRef, percentilesParam] = positional(p, 2, 3);
      let blockCount = parseHexOrDecimal(count, 'blockCount');
      const percentiles = parsePercentiles(percentilesParam, 'rewardPercentiles');
      const head = await backend.blockNumber();
      const newest = await resolveNumber(parseBlockRef(newestRef, 'newestBlock'));
      if (newest > head) throw serverError(`request beyond head block: requested ${newest}, head ${head}`);
      if (blockCount > maxFeeBlocks) blockCount = maxFeeBlocks;
      if (blockCount === 0n) return { oldestBlock: '0x0', baseFeePerGas: [], gasUsedRatio: [], ...(percentiles ? { reward: [] } : {}) };
      const oldest = newest - blockCount + 1n < 0n ? 0n : newest - blockCount + 1n;
      const blocks = await backend.getFeeHistoryBlocks(oldest, newest < head ? newest + 1n : newest, percentiles !== undefined);
      const inRange = blocks.filter((b) => b.number <= newest);
      const next = newest < head ? blocks[blocks.length - 1].baseFeePerGas : await backend.nextBaseFee();
      return {
        oldestBlock: toQuantity(oldest),
        baseFeePerGas: [...inRange.map((b) => toQuantity(b.baseFeePerGas)), toQuantity(next)],
        gasUsedRatio: inRange.map((b) => (b.gasLimit === 0n ? 0 : Number(b.gasUsed) / Number(b.gasLimit))),
        ...(percentiles ? { reward: inRange.map((b) => blockRewards(b.txs ?? [], percentiles).map(toQuantity)) } : {}),
      };
    }),

    eth_sendRawTransaction: m(async (p) => {
      const [raw] = positional(p, 1, 1);
      const data = parseData(raw, 'transaction');
      if (data.length <= 2) throw serverError('typed transaction too short');
      return backend.sendRawTransaction(dataToBytes(data));
    }, 'server'),
    eth_sendTransaction: m(() => {
      throw new RpcError(
        RpcErrorCode.METHOD_NOT_SUPPORTED,
        'eth_sendTransaction is not supported: this node holds no keys; sign locally and use eth_sendRawTransaction',
      );
    }),
    eth_getTransactionByHash: m(async (p) => {
      const [hash] = positional(p, 1, 1);
      const tx = await backend.getTransactionByHash(parseHash(hash, 'transactionHash'));
      return tx ? formatTransaction(tx) : null;
    }),
    eth_getTransactionReceipt: m(async (p) => {
      const [hash] = positional(p, 1, 1);
      const receipt = await backend.getTransactionReceipt(parseHash(hash, 'transactionHash'));
      return receipt ? formatReceipt(receipt) : null;
    }),
    eth_getLogs: m(async (p) => {
      const [filterParam] = positional(p, 1, 1);
      const filter = parseLogFilter(filterParam, 'filter');
      let fromBlock: bigint;
      let toBlock: bigint;
      if (filter.blockHash) {
        const block = await backend.getBlockByHash(filter.blockHash);
        if (!block) throw serverError(`unknown block: ${filter.blockHash}`);
        fromBlock = toBlock = block.number;
      } else {
        const head = await backend.blockNumber();
        fromBlock = await resolveNumber(filter.fromBlock);
        toBlock = await resolveNumber(filter.toBlock);
        if (fromBlock > toBlock) throw invalidParams(`invalid block range: fromBlock ${fromBlock} is after toBlock ${toBlock}`);
        if (toBlock - fromBlock + 1n > maxRange)
          throw limitExceeded(`block range too large: ${toBlock - fromBlock + 1n} blocks, the limit is ${maxRange}`);
        if (fromBlock > head) return [];
        if (toBlock > head) toBlock = head;
      }
      const logs = await backend.getLogs({ fromBlock, toBlock, addresses: filter.addresses, topics: filter.topics }, maxResults + 1);
      if (logs.length > maxResults) throw limitExceeded(`query returned more than ${maxResults} results`);
      return logs.map(formatLog);
    }),
  };
}

/** A JSON-RPC server answering the Ethereum methods of `backend`. */
export function createEthRpcServer(backend: EthBackend, options: EthRpcOptions = {}): JsonRpcServer {
  return new JsonRpcServer(ethRpcMethods(backend, options), options);
}
