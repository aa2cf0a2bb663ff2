import { AbiCoder, JsonRpcApiProvider, Network, Transaction, Wallet, id as topicOf, type JsonRpcPayload, type JsonRpcResult } from 'ethers';
import { createPublicClient, custom, defineChain } from 'viem';
import { beforeEach, describe, expect, it } from 'vitest';
import { InvalidInputError } from '@mesh/core';
import type {
  EthBackend,
  EthBlock,
  EthCallRequest,
  EthCallResult,
  EthLog,
  EthLogQuery,
  EthReceipt,
  EthTransaction,
  FeeHistoryBlock,
} from './backend';
import { EMPTY_BLOOM, EMPTY_TRIE_ROOT, ZERO_HASH } from './format';
import { createEthRpcServer } from './handlers';
import { blockRewards } from './fee-history';
import type { JsonRpcServer } from './server';

const CHAIN_ID = 31337n;
const alice = new Wallet('0x' + '11'.repeat(32));
const token = '0x' + 'aa'.repeat(20);
const h = (n: number) => '0x' + n.toString(16).padStart(64, '0');
const TRANSFER = topicOf('Transfer(address,address,uint256)');

/** An in-memory chain: blocks 0..2, two mined transactions, one pending, and their logs. */
class FakeBackend implements EthBackend {
  readonly chainId = CHAIN_ID;
  readonly clientVersion = 'fake/1.0';
  blocks: EthBlock[] = [];
  txs = new Map<string, EthTransaction>();
  receipts = new Map<string, EthReceipt>();
  logs: EthLog[] = [];
  sent: Uint8Array[] = [];
  calls: EthCallRequest[] = [];
  callResult: EthCallResult = { success: true, returnData: '0x' + '00'.repeat(31) + '2a', gasUsed: 21_000n };

  async init(): Promise<void> {
    const raw1 = await alice.signTransaction({
      type: 2,
      chainId: CHAIN_ID,
      nonce: 0,
      to: token,
      data: '0xa9059cbb',
      gasLimit: 60_000,
      maxFeePerGas: 3_000_000_000n,
      maxPriorityFeePerGas: 1_000_000_000n,
      value: 5n,
    });
    const raw2 = await alice.signTransaction({
      type: 0,
      chainId: CHAIN_ID,
      nonce: 1,
      to: null,
      data: '0x6000',
      gasLimit: 100_000,
      gasPrice: 2_000_000_000n,
    });
    const raw3 = await alice.signTransaction({
      type: 2,
      chainId: CHAIN_ID,
      nonce: 2,
      to: token,
      gasLimit: 21_000,
      maxFeePerGas: 3_000_000_000n,
      maxPriorityFeePerGas: 0n,
    });
    for (let n = 0; n <= 2; n++) {
      this.blocks.push({
        number: BigInt(n),
        hash: h(0x100 + n),
        parentHash: n === 0 ? ZERO_HASH : h(0x100 + n - 1),
        timestamp: 1_700_000_000n + BigInt(n),
        gasLimit: 30_000_000n,
        gasUsed: n === 2 ? 96_000n : 0n,
        baseFeePerGas: 1_000_000_000n - BigInt(n) * 100n,
        logsBloom: EMPTY_BLOOM,
        miner: '0x' + '00'.repeat(20),
        stateRoot: h(0x200 + n),
        transactionsRoot: EMPTY_TRIE_ROOT,
        receiptsRoot: EMPTY_TRIE_ROOT,
        extraData: '0x',
        size: 600n,
        transactions: [],
      });
    }
    const block = this.blocks[2];
    [raw1, raw2].forEach((raw, i) => {
      const hash = Transaction.from(raw).hash!;
      block.transactions.push(hash);
      this.txs.set(hash, {
        hash,
        raw,
        from: alice.address.toLowerCase(),
        blockHash: block.hash,
        blockNumber: 2n,
        transactionIndex: BigInt(i),
        blockBaseFeePerGas: block.baseFeePerGas,
      });
    });
    const pendingHash = Transaction.from(raw3).hash!;
    this.txs.set(pendingHash, {
      hash: pendingHash,
      raw: raw3,
      from: alice.address.toLowerCase(),
      blockHash: null,
      blockNumber: null,
      transactionIndex: null,
      blockBaseFeePerGas: null,
    });
    const [hash1, hash2] = block.transactions;
    const log: EthLog = {
      address: token,
      topics: [TRANSFER, '0x' + alice.address.slice(2).toLowerCase().padStart(64, '0'), h(0xbeef)],
      data: AbiCoder.defaultAbiCoder().encode(['uint256'], [5]),
      blockNumber: 2n,
      blockHash: block.hash,
      transactionHash: hash1,
      transactionIndex: 0n,
      logIndex: 0n,
    };
    this.logs.push(log);
    this.receipts.set(hash1, {
      transactionHash: hash1,
      transactionIndex: 0n,
      blockHash: block.hash,
      blockNumber: 2n,
      from: alice.address,
      to: token,
      cumulativeGasUsed: 40_000n,
      gasUsed: 40_000n,
      effectiveGasPrice: block.baseFeePerGas + 1_000_000_000n,
      contractAddress: null,
      logs: [log],
      logsBloom: EMPTY_BLOOM,
      success: true,
      type: 2,
    });
    this.receipts.set(hash2, {
      transactionHash: hash2,
      transactionIndex: 1n,
      blockHash: block.hash,
      blockNumber: 2n,
      from: alice.address,
      to: null,
      cumulativeGasUsed: 96_000n,
      gasUsed: 56_000n,
      effectiveGasPrice: 2_000_000_000n,
      contractAddress: '0x' + 'cc'.repeat(20),
      logs: [],
      logsBloom: EMPTY_BLOOM,
      success: false,
      type: 0,
    });
  }

  async blockNumber() {
    return BigInt(this.blocks.length - 1);
  }
  async finalizedBlockNumber() {
    return 1n;
  }
  async getBlockByNumber(n: bigint) {
    return this.blocks[Number(n)] ?? null;
  }
  async getBlockByHash(hash: string) {
    return this.blocks.find((b) => b.hash === hash) ?? null;
  }
  async getBlockTransactions(n: bigint) {
    return this.blocks[Number(n)].transactions.map((t) => this.txs.get(t)!);
  }
  async getBalance(address: string) {
    return address === alice.address.toLowerCase() ? 10n ** 18n : 0n;
  }
  async getTransactionCount(_address: string, pending: boolean) {
    return pending ? 3n : 2n;
  }
  async getCode(address: string) {
    return address === token ? new Uint8Array([0x60, 0x00]) : new Uint8Array();
  }
  async getStorageAt(_address: string, slot: bigint) {
    return slot === 1n ? 42n : 0n;
  }
  async call(request: EthCallRequest) {
    this.calls.push(request);
    return this.callResult;
  }
  async estimateGas(request: EthCallRequest) {
    this.calls.push(request);
    return 21_000n;
  }
  async createAccessList(request: EthCallRequest) {
    this.calls.push(request);
    return { accessList: [{ address: '0x' + '42'.repeat(20), storageKeys: ['0x' + '00'.repeat(31) + '01'] }], gasUsed: 26_000n };
  }
  async nextBaseFee() {
    return 999_999_000n;
  }
  async maxPriorityFeePerGas() {
    return 1_000_000_000n;
  }
  async getFeeHistoryBlocks(from: bigint, to: bigint, withTxs: boolean): Promise<FeeHistoryBlock[]> {
    return this.blocks.slice(Number(from), Number(to) + 1).map((b) => ({
      number: b.number,
      baseFeePerGas: b.baseFeePerGas,
      gasUsed: b.gasUsed,
      gasLimit: b.gasLimit,
      ...(withTxs
        ? {
            txs: b.transactions.map((t) => ({
              gasUsed: this.receipts.get(t)!.gasUsed,
              tip: this.receipts.get(t)!.effectiveGasPrice - b.baseFeePerGas,
            })),
          }
        : {}),
    }));
  }
  async sendRawTransaction(raw: Uint8Array) {
    if (raw[0] === 0xff) throw new InvalidInputError('nonce too low: next nonce 3, tx nonce 0');
    this.sent.push(raw);
    return h(0xabc);
  }
  async getTransactionByHash(hash: string) {
    return this.txs.get(hash) ?? null;
  }
  async getTransactionReceipt(hash: string) {
    return this.receipts.get(hash) ?? null;
  }
  async getLogs(q: EthLogQuery, limit: number) {
    return this.logs
      .filter((l) => l.blockNumber >= q.fromBlock && l.blockNumber <= q.toBlock)
      .filter((l) => !q.addresses || q.addresses.includes(l.address))
      .filter((l) => q.topics.every((t, i) => t === null || t.includes(l.topics[i])))
      .slice(0, limit);
  }
}

let backend: FakeBackend;
let rpc: JsonRpcServer;

beforeEach(async () => {
  backend = new FakeBackend();
  await backend.init();
  rpc = createEthRpcServer(backend, { maxLogBlockRange: 100, maxLogResults: 1 });
});

async function call(method: string, ...params: unknown[]): Promise<any> {
  const response: any = await rpc.handle({ jsonrpc: '2.0', id: 1, method, params });
  if (response.error) throw Object.assign(new Error(response.error.message), response.error);
  return response.result;
}

async function error(method: string, ...params: unknown[]): Promise<{ code: number; message: string; data?: unknown }> {
  const response: any = await rpc.handle({ jsonrpc: '2.0', id: 1, method, params });
  expect(response.error, `${method} should fail`).toBeDefined();
  return response.error;
}

describe('Ethereum JSON-RPC methods', () => {
  it('answers the chain and client identity', async () => {
    expect(await call('eth_chainId')).toBe('0x7a69');
    expect(await call('net_version')).toBe('31337');
    expect(await call('web3_clientVersion')).toBe('fake/1.0');
    expect(await call('eth_accounts')).toEqual([]);
    expect(await call('eth_blockNumber')).toBe('0x2');
    expect(await call('eth_syncing')).toBe(false);
    expect(await error('eth_chainId', 1)).toEqual({ code: -32602, message: 'too many arguments, want at most 0' });
  });

  it('formats a block with every standard field, by number, tag and hash', async () => {
    const block = await call('eth_getBlockByNumber', 'latest', false);
    expect(block).toEqual({
      number: '0x2',
      hash: h(0x102),
      parentHash: h(0x101),
      nonce: '0x0000000000000000',
      sha3Uncles: '0x1dcc4de8dec75d7aab85b567b6ccd41ad312451b948a7413f0a142fd40d49347',
      logsBloom: EMPTY_BLOOM,
      transactionsRoot: EMPTY_TRIE_ROOT,
      stateRoot: h(0x202),
      receiptsRoot: EMPTY_TRIE_ROOT,
      miner: '0x' + '00'.repeat(20),
      difficulty: '0x0',
      totalDifficulty: '0x0',
      extraData: '0x',
      size: '0x258',
      gasLimit: '0x1c9c380',
      gasUsed: '0x17700',
      timestamp: '0x6553f102',
      transactions: backend.blocks[2].transactions,
      uncles: [],
      baseFeePerGas: '0x3b9ac938',
      mixHash: ZERO_HASH,
    });
    expect(await call('eth_getBlockByHash', h(0x102), false)).toEqual(block);
    expect((await call('eth_getBlockByNumber', 'pending', false)).number).toBe('0x2');
    expect((await call('eth_getBlockByNumber', 'earliest', false)).number).toBe('0x0');
    expect((await call('eth_getBlockByNumber', 'finalized', false)).number).toBe('0x1');
    expect((await call('eth_getBlockByNumber', 'safe', false)).number).toBe('0x2');
    expect(await call('eth_getBlockByNumber', '0x9', false)).toBeNull();
    expect(await call('eth_getBlockByHash', h(0x999), true)).toBeNull();
    expect(await call('eth_getBlockTransactionCountByNumber', '0x2')).toBe('0x2');
  });

  it('formats full transactions: EIP-1559 with yParity and effective gas price, legacy with EIP-155 v', async () => {
    const block = await call('eth_getBlockByNumber', '0x2', true);
    const [t1, t2] = block.transactions;
    const parsed1 = Transaction.from(backend.txs.get(t1.hash)!.raw);
    expect(t1).toEqual({
      blockHash: h(0x102),
      blockNumber: '0x2',
      from: alice.address.toLowerCase(),
      gas: '0xea60',
      gasPrice: '0x' + (999_999_800n + 1_000_000_000n).toString(16),
      hash: parsed1.hash,
      input: '0xa9059cbb',
      nonce: '0x0',
      to: token,
      transactionIndex: '0x0',
      value: '0x5',
      type: '0x2',
      chainId: '0x7a69',
      accessList: [],
      maxFeePerGas: '0xb2d05e00',
      maxPriorityFeePerGas: '0x3b9aca00',
      v: '0x' + parsed1.signature!.yParity,
      yParity: '0x' + parsed1.signature!.yParity,
      r: '0x' + BigInt(parsed1.signature!.r).toString(16),
      s: '0x' + BigInt(parsed1.signature!.s).toString(16),
    });
    expect(t2).toMatchObject({ type: '0x0', to: null, gasPrice: '0x77359400', chainId: '0x7a69', transactionIndex: '0x1' });
    expect(BigInt(t2.v)).toBe(CHAIN_ID * 2n + 35n + BigInt(Transaction.from(backend.txs.get(t2.hash)!.raw).signature!.yParity));
    expect(t2).not.toHaveProperty('yParity');
    expect(await call('eth_getTransactionByBlockNumberAndIndex', '0x2', '0x1')).toEqual(t2);
    expect(await call('eth_getTransactionByBlockHashAndIndex', h(0x102), '0x5')).toBeNull();
  });

  it('shows a pending transaction without a block and with its max fee as gas price', async () => {
    const pending = [...backend.txs.values()].find((t) => t.blockNumber === null)!;
    expect(await call('eth_getTransactionByHash', pending.hash)).toMatchObject({
      blockHash: null,
      blockNumber: null,
      transactionIndex: null,
      gasPrice: '0xb2d05e00',
      nonce: '0x2',
    });
    expect(await call('eth_getTransactionByHash', h(1))).toBeNull();
  });

  it('formats receipts and their logs', async () => {
    const [hash1, hash2] = backend.blocks[2].transactions;
    expect(await call('eth_getTransactionReceipt', hash1)).toEqual({
      transactionHash: hash1,
      transactionIndex: '0x0',
      blockHash: h(0x102),
      blockNumber: '0x2',
      from: alice.address.toLowerCase(),
      to: token,
      cumulativeGasUsed: '0x9c40',
      gasUsed: '0x9c40',
      effectiveGasPrice: '0x77359338',
      contractAddress: null,
      logs: [
        {
          address: token,
          topics: backend.logs[0].topics,
          data: backend.logs[0].data,
          blockNumber: '0x2',
          blockHash: h(0x102),
          transactionHash: hash1,
          transactionIndex: '0x0',
          logIndex: '0x0',
          removed: false,
        },
      ],
      logsBloom: EMPTY_BLOOM,
      status: '0x1',
      type: '0x2',
    });
    expect(await call('eth_getTransactionReceipt', hash2)).toMatchObject({
      status: '0x0',
      type: '0x0',
      contractAddress: '0x' + 'cc'.repeat(20),
    });
    expect(await call('eth_getTransactionReceipt', h(5))).toBeNull();
  });

  it('reads state at the latest block (tags, numbers, EIP-1898) and refuses historical state', async () => {
    expect(await call('eth_getBalance', alice.address, 'latest')).toBe('0xde0b6b3a7640000');
    expect(await call('eth_getBalance', alice.address)).toBe('0xde0b6b3a7640000');
    expect(await call('eth_getBalance', alice.address, '0x2')).toBe('0xde0b6b3a7640000');
    expect(await call('eth_getBalance', alice.address, { blockHash: h(0x102) })).toBe('0xde0b6b3a7640000');
    expect(await call('eth_getBalance', alice.address, { blockNumber: '0x2' })).toBe('0xde0b6b3a7640000');
    expect(await call('eth_getTransactionCount', alice.address, 'latest')).toBe('0x2');
    expect(await call('eth_getTransactionCount', alice.address, 'pending')).toBe('0x3');
    expect(await call('eth_getCode', token, 'latest')).toBe('0x6000');
    expect(await call('eth_getStorageAt', token, '0x1', 'latest')).toBe('0x' + '00'.repeat(31) + '2a');
    expect(await call('eth_getStorageAt', token, '0x' + '00'.repeat(31) + '01', 'latest')).toBe('0x' + '00'.repeat(31) + '2a');
    expect(await error('eth_getBalance', alice.address, '0x1')).toEqual({
      code: -32000,
      message: 'historical state not available: block 1 is older than the latest block 2; this node serves state at the latest block only',
    });
    expect(await error('eth_getBalance', alice.address, 'earliest')).toMatchObject({
      code: -32000,
      message: /^historical state not available/,
    });
    expect(await error('eth_getBalance', alice.address, '0x7')).toEqual({
      code: -32000,
      message: 'header not found: block 7 is beyond the latest block 2',
    });
    expect(await error('eth_getBalance', alice.address, { blockHash: h(0x777) })).toEqual({
      code: -32000,
      message: `header for hash not found: ${h(0x777)}`,
    });
  });

  it.each([
    ['eth_getBalance', ['0x1234'], 'invalid argument: address must be a 0x-prefixed 20-byte hex address (got "0x1234")'],
    ['eth_getBalance', [], 'missing value for required argument 0'],
    [
      'eth_getBalance',
      [alice.address, 'newest'],
      'invalid argument: block must be a block tag, a hex block number or {blockHash}/{blockNumber} (got "newest")',
    ],
    ['eth_getBalance', [alice.address, '0x01'], 'invalid argument: block has leading zero digits (got "0x01")'],
    [
      'eth_getBalance',
      [alice.address, 12],
      'invalid argument: block must be a block tag, a hex block number or {blockHash}/{blockNumber} (got 12)',
    ],
    ['eth_getBalance', [alice.address, 'latest', 1], 'too many arguments, want at most 2'],
    [
      'eth_getBlockByNumber',
      [{ blockHash: '0x12' }, false],
      'invalid argument: blockNumber must be a block tag or a hex block number (got {"blockHash":"0x12"})',
    ],
    ['eth_getBlockByNumber', ['latest', 'yes'], 'invalid argument: fullTransactions must be true or false (got "yes")'],
    ['eth_getBlockByHash', ['0x12', false], 'invalid argument: blockHash must be a 0x-prefixed 32-byte hex hash (got "0x12")'],
    ['eth_call', ['0x'], 'invalid argument: transaction must be a transaction object (got "0x")'],
    [
      'eth_call',
      [{ to: token, data: '0x1', value: '0x1' }],
      'invalid argument: transaction.data has an odd number of hex digits (got "0x1")',
    ],
    [
      'eth_call',
      [{ to: token, data: '0x12', input: '0x34' }],
      'invalid argument: transaction has both "data" and "input" set and they differ',
    ],
    ['eth_call', [{ to: token, value: 5 }], 'invalid argument: transaction.value must be a hex quantity such as "0x1a" (got 5)'],
    ['eth_call', [{ to: token }, 'latest', { [token]: { balance: '0x1' } }], 'state overrides are not supported'],
    ['eth_sendRawTransaction', ['hello'], 'invalid argument: transaction must be 0x-prefixed hex data (got "hello")'],
    ['eth_getLogs', [{ fromBlock: '0x2', toBlock: '0x1' }], 'invalid block range: fromBlock 2 is after toBlock 1'],
    [
      'eth_getLogs',
      [{ blockHash: h(0x102), fromBlock: '0x1' }],
      'invalid argument: filter cannot have blockHash together with fromBlock/toBlock',
    ],
    ['eth_getLogs', [{ topics: [null, null, null, null, null] }], 'invalid argument: filter.topics has 5 positions, at most 4'],
    ['eth_getLogs', [{ address: ['0x12'] }], 'invalid argument: filter.address[0] must be a 0x-prefixed 20-byte hex address (got "0x12")'],
    [
      'eth_getLogs',
      [{ fromblock: '0x1' }],
      'invalid argument: filter has unknown field(s) fromblock (known: fromBlock, toBlock, blockHash, address, topics)',
    ],
    ['eth_feeHistory', ['0x2', 'latest', [50, 10]], 'invalid argument: rewardPercentiles must be in increasing order (50 before 10)'],
    ['eth_feeHistory', ['two', 'latest'], 'invalid argument: blockCount must be a hex quantity or a non-negative integer (got "two")'],
  ])('%s with bad params %j: -32602 with a precise message', async (method, params, message) => {
    expect(await error(method, ...params)).toEqual({ code: -32602, message });
  });

  it('eth_call: result data, the call object as parsed, code 3 with revert data, -32000 for other failures', async () => {
    expect(await call('eth_call', { from: alice.address, to: token, input: '0x70a08231', gas: '0x5208', value: '0x0' }, 'latest')).toBe(
      '0x' + '00'.repeat(31) + '2a',
    );
    expect(backend.calls[0]).toEqual({ from: alice.address.toLowerCase(), to: token, data: '0x70a08231', gas: 21000n, value: 0n });
    const revertData = '0x08c379a0' + AbiCoder.defaultAbiCoder().encode(['string'], ['not enough']).slice(2);
    backend.callResult = { success: false, returnData: revertData, gasUsed: 30_000n, revertReason: 'not enough' };
    expect(await error('eth_call', { to: token })).toEqual({ code: 3, message: 'execution reverted: not enough', data: revertData });
    backend.callResult = { success: false, returnData: '0x', gasUsed: 30_000n, error: 'revert' };
    expect(await error('eth_call', { to: token })).toEqual({ code: 3, message: 'execution reverted', data: '0x' });
    backend.callResult = { success: false, returnData: '0x', gasUsed: 30_000n, error: 'out of gas' };
    expect(await error('eth_call', { to: token })).toEqual({ code: -32000, message: 'out of gas' });
  });

  it('eth_createAccessList: the list and its gas as geth formats them; the call object as parsed', async () => {
    const before = backend.calls.length;
    expect(await call('eth_createAccessList', { from: alice.address, to: token, data: '0xa9059cbb' }, 'latest')).toEqual({
      accessList: [{ address: '0x' + '42'.repeat(20), storageKeys: ['0x' + '00'.repeat(31) + '01'] }],
      gasUsed: '0x6590',
    });
    expect(backend.calls[before]).toEqual({ from: alice.address.toLowerCase(), to: token, data: '0xa9059cbb' });
    expect((await error('eth_createAccessList', { to: token }, 'earliest')).code).toBe(-32000);
  });

  it('fees: gas price = next base fee + tip, priority fee, fee history with rewards', async () => {
    expect(await call('eth_gasPrice')).toBe('0x' + (999_999_000n + 1_000_000_000n).toString(16));
    expect(await call('eth_maxPriorityFeePerGas')).toBe('0x3b9aca00');
    expect(await call('eth_feeHistory', '0x2', 'latest', [0, 50, 100])).toEqual({
      oldestBlock: '0x1',
      baseFeePerGas: ['0x3b9ac99c', '0x3b9ac938', '0x3b9ac618'],
      gasUsedRatio: [0, 96_000 / 30_000_000],
      reward: [
        ['0x0', '0x0', '0x0'],
        ['0x3b9aca00', '0x3b9acac8', '0x3b9acac8'],
      ],
    });
    expect(await call('eth_feeHistory', 10, '0x1')).toEqual({
      oldestBlock: '0x0',
      baseFeePerGas: ['0x3b9aca00', '0x3b9ac99c', '0x3b9ac938'],
      gasUsedRatio: [0, 0],
    });
    expect(await error('eth_feeHistory', '0x1', '0x5')).toEqual({
      code: -32000,
      message: 'request beyond head block: requested 5, head 2',
    });
  });

  it('computes reward percentiles as geth does', () => {
    const txs = [
      { gasUsed: 50n, tip: 3n },
      { gasUsed: 30n, tip: 1n },
      { gasUsed: 20n, tip: 2n },
    ];
    expect(blockRewards(txs, [0, 30, 31, 50, 51, 100])).toEqual([1n, 1n, 2n, 2n, 3n, 3n]);
    expect(blockRewards([], [50])).toEqual([0n]);
  });

  it('eth_getLogs: filters, block hash, range limit and result limit', async () => {
    const [hash1] = backend.blocks[2].transactions;
    const logs = await call('eth_getLogs', {
      fromBlock: '0x0',
      toBlock: 'latest',
      address: token,
      topics: [TRANSFER, null, [h(0xbeef), h(1)]],
    });
    expect(logs).toEqual([expect.objectContaining({ transactionHash: hash1, logIndex: '0x0', blockNumber: '0x2', removed: false })]);
    expect(await call('eth_getLogs', { fromBlock: '0x0', address: [token], topics: [h(1)] })).toEqual([]);
    expect(await call('eth_getLogs', { blockHash: h(0x102) })).toHaveLength(1);
    expect(await call('eth_getLogs', { fromBlock: '0x5', toBlock: '0x9' })).toEqual([]);
    expect(await error('eth_getLogs', { blockHash: h(0x999) })).toEqual({ code: -32000, message: `unknown block: ${h(0x999)}` });
    expect(await error('eth_getLogs', { fromBlock: '0x0', toBlock: '0x64' })).toEqual({
      code: -32005,
      message: 'block range too large: 101 blocks, the limit is 100',
    });
    backend.logs.push({ ...backend.logs[0], logIndex: 1n });
    expect(await error('eth_getLogs', { fromBlock: '0x0' })).toEqual({ code: -32005, message: 'query returned more than 1 results' });
  });

  it('eth_sendRawTransaction: the hash, or a -32000 refusal', async () => {
    expect(await call('eth_sendRawTransaction', '0x02f8')).toBe(h(0xabc));
    expect(await error('eth_sendRawTransaction', '0xff00')).toEqual({ code: -32000, message: 'nonce too low: next nonce 3, tx nonce 0' });
    expect(await error('eth_sendRawTransaction', '0x')).toEqual({ code: -32000, message: 'typed transaction too short' });
    expect(await error('eth_sendTransaction', {})).toMatchObject({ code: -32004 });
  });
});

/** ethers v6 over the server, in process: checks that ethers accepts what the handlers return. */
class InProcessProvider extends JsonRpcApiProvider {
  constructor(private readonly server: () => JsonRpcServer) {
    super(Network.from(Number(CHAIN_ID)), { staticNetwork: true, batchMaxCount: 10 });
  }
  async _send(payload: JsonRpcPayload | JsonRpcPayload[]): Promise<JsonRpcResult[]> {
    const response = await this.server().handle(JSON.parse(JSON.stringify(payload)));
    return (Array.isArray(response) ? response : [response]) as JsonRpcResult[];
  }
}

describe('what clients make of the answers', () => {
  it('ethers v6 parses blocks, transactions, receipts, logs, fee data and reverts', async () => {
    const provider = new InProcessProvider(() => rpc);
    const [hash1, hash2] = backend.blocks[2].transactions;
    const block = await provider.getBlock('latest', true);
    expect(block).toMatchObject({ number: 2, hash: h(0x102), baseFeePerGas: 999_999_800n, gasLimit: 30_000_000n });
    expect(block!.prefetchedTransactions.map((t) => t.hash)).toEqual([hash1, hash2]);
    const tx = await provider.getTransaction(hash1);
    expect(tx).toMatchObject({
      from: alice.address,
      to: expect.stringMatching(/^0x[aA]{40}$/),
      value: 5n,
      nonce: 0,
      type: 2,
      chainId: CHAIN_ID,
    });
    const receipt = await provider.getTransactionReceipt(hash1);
    expect(receipt).toMatchObject({ status: 1, gasUsed: 40_000n, blockNumber: 2, index: 0 });
    expect(receipt!.logs[0].topics[0]).toBe(TRANSFER);
    expect((await provider.getTransactionReceipt(hash2))!.status).toBe(0);
    expect(await provider.getLogs({ fromBlock: 0, address: token, topics: [TRANSFER] })).toHaveLength(1);
    expect(await provider.getBalance(alice.address)).toBe(10n ** 18n);
    expect(await provider.getTransactionCount(alice.address, 'pending')).toBe(3);
    const fees = await provider.getFeeData();
    expect(fees.maxPriorityFeePerGas).toBe(1_000_000_000n);
    const revertData = '0x08c379a0' + AbiCoder.defaultAbiCoder().encode(['string'], ['not enough']).slice(2);
    backend.callResult = { success: false, returnData: revertData, gasUsed: 30_000n, revertReason: 'not enough' };
    await expect(provider.call({ to: token, data: '0x' })).rejects.toMatchObject({ code: 'CALL_EXCEPTION', reason: 'not enough' });
    provider.destroy();
  });

  it('viem parses blocks, transactions, receipts, logs and fee history', async () => {
    const chain = defineChain({
      id: Number(CHAIN_ID),
      name: 'fake',
      nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
      rpcUrls: { default: { http: ['http://127.0.0.1:1'] } },
    });
    const client = createPublicClient({
      chain,
      transport: custom({
        request: async ({ method, params }) => {
          const response: any = await rpc.handle({ jsonrpc: '2.0', id: 1, method, params });
          if (response.error) throw Object.assign(new Error(response.error.message), response.error);
          return response.result;
        },
      }),
    });
    const [hash1] = backend.blocks[2].transactions;
    const block = await client.getBlock({ includeTransactions: true });
    expect(block).toMatchObject({ number: 2n, baseFeePerGas: 999_999_800n });
    expect(block.transactions[0]).toMatchObject({ hash: hash1, type: 'eip1559', value: 5n });
    expect(await client.getTransactionReceipt({ hash: hash1 as `0x${string}` })).toMatchObject({ status: 'success', gasUsed: 40_000n });
    expect(await client.getLogs({ address: token as `0x${string}`, fromBlock: 0n })).toHaveLength(1);
    expect(await client.getChainId()).toBe(31337);
    expect(await client.getFeeHistory({ blockCount: 2, rewardPercentiles: [50] })).toMatchObject({ oldestBlock: 1n });
    const fees = await client.estimateFeesPerGas();
    expect(fees.maxPriorityFeePerGas).toBe(1_000_000_000n);
  });
});
