import {
  Contract,
  ContractFactory,
  JsonRpcApiProvider,
  Network,
  Signature,
  Transaction,
  Wallet,
  id as topicId,
  type JsonRpcPayload,
  type JsonRpcResult,
} from 'ethers';
import { createPublicClient, createWalletClient, custom, defineChain, parseAbi, type Hex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type DatabaseHandle } from '@mesh/persistence';
import { buildCircuitArtifacts } from '@mesh/zk';
import { compileTestToken } from '../../../../test/support/evm-devnet';
import { createTestDatabase, type TestDatabase } from '../../../../test/support/test-database';
import type { MainnetPort } from '../mainnet-port';
import { SpnNode } from '../spn-node';
import { EvmVm } from './evm-vm';
import { devGenesisAccounts, DEV_GENESIS_BALANCE, GENESIS_SENDER, parseGenesisAlloc, prepareGenesis } from './genesis';

/**
 * An EVM SPN node in process (SpnNode.open with EvmVm, real Postgres, the real engine), driven
 * through its JSON-RPC server by ethers v6 and viem and by raw requests. NOT about settlement:
 * the mainnet port accepts everything and no prover runs (test/e2e covers settlement).
 */
const CHAIN_ID = 31337;
const SPN = 'evm-int';
const acceptingMainnet: MainnetPort = {
  registerSpn: async () => {},
  submitBatch: async () => ({ status: 'accepted', duplicate: false }),
  pendingMessages: async () => [],
};
const [a0, a1, a2] = devGenesisAccounts(3);
const OLD = '0x' + '5a'.repeat(20); // a genesis account with a nonce
const CODE_AT = '0x' + 'c0'.repeat(20); // a genesis contract: returns 42
const RETURN_42 = '0x602a60005260206000f3';

let testDb: TestDatabase;
let db: DatabaseHandle;
let node: SpnNode<EvmVm>;
const errors: string[] = [];

beforeAll(async () => {
  testDb = await createTestDatabase();
  db = await openDatabase({ url: testDb.url });
  const artifacts = await buildCircuitArtifacts('dev', { buildIfMissing: false });
  const genesis = {
    [a0.address.toLowerCase()]: { balance: DEV_GENESIS_BALANCE },
    [a1.address.toLowerCase()]: { balance: DEV_GENESIS_BALANCE },
    [a2.address.toLowerCase()]: { balance: 10n ** 18n },
    [OLD]: { balance: 5n, nonce: 7n },
    [CODE_AT]: { balance: 0n, code: RETURN_42 },
  };
  node = await SpnNode.open(
    db.dataSource,
    {
      spnId: SPN,
      chainId: CHAIN_ID,
      artifacts,
      operatorKey: a0.privateKey,
      mainnet: acceptingMainnet,
      blockTimeMs: 50,
      maxBlockTxs: 100,
      batchBlocks: 100_000,
      batchMaxMs: 3_600_000,
      provers: 0,
      logger: { log: () => {}, warn: () => {}, error: (m) => errors.push(m) },
    },
    (ctx) => EvmVm.open(ctx, { genesis, rpc: { maxLogBlockRange: 1000, maxLogResults: 50 } }),
  );
  node.start('http://127.0.0.1:1');
  await waitFor(async () => (await rpc('eth_blockNumber')) !== '0x0');
});

afterAll(async () => {
  await node?.stop();
  await db?.close();
  await testDb?.drop();
  expect(errors).toEqual([]);
});

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function raw(body: unknown): Promise<any> {
  return node.vm.rpc.handle(JSON.parse(JSON.stringify(body)));
}

async function rpc(method: string, ...params: unknown[]): Promise<any> {
  const response = await raw({ jsonrpc: '2.0', id: 1, method, params });
  if (response.error) throw Object.assign(new Error(`${method}: ${response.error.message}`), response.error);
  return response.result;
}

async function rpcError(method: string, ...params: unknown[]): Promise<{ code: number; message: string; data?: string }> {
  const response = await raw({ jsonrpc: '2.0', id: 1, method, params });
  if (!response.error) throw new Error(`${method} succeeded: ${JSON.stringify(response.result)}`);
  return response.error;
}

const waitReceipt = (hash: string) =>
  waitFor(async () => (await rpc('eth_getTransactionReceipt', hash)) !== null).then(() => rpc('eth_getTransactionReceipt', hash));

/** ethers v6 over the node's JSON-RPC server, in process. */
class InProcessProvider extends JsonRpcApiProvider {
  constructor() {
    super(Network.from(CHAIN_ID), { staticNetwork: true, pollingInterval: 50, cacheTimeout: -1 });
  }
  async _send(payload: JsonRpcPayload | JsonRpcPayload[]): Promise<JsonRpcResult[]> {
    const response = await raw(payload);
    return Array.isArray(response) ? response : [response];
  }
}

const chain = defineChain({
  id: CHAIN_ID,
  name: 'mesh-evm-int',
  nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
  rpcUrls: { default: { http: ['http://in-process'] } },
});
const transport = custom({
  request: async ({ method, params }) => {
    const response = await raw({ jsonrpc: '2.0', id: 1, method, params });
    if (response.error) throw Object.assign(new Error(response.error.message), response.error);
    return response.result;
  },
});

describe('EVM SPN: genesis', () => {
  it('commits the allocation as block 1 (a genesis tx, no Ethereum tx) over a virtual empty block 0', async () => {
    expect(await rpc('eth_getBalance', a0.address, 'latest')).toBe('0x' + DEV_GENESIS_BALANCE.toString(16));
    expect(await rpc('eth_getBalance', OLD, 'latest')).toBe('0x5');
    expect(await rpc('eth_getTransactionCount', OLD, 'latest')).toBe('0x7');
    expect(await rpc('eth_getTransactionCount', OLD, 'pending')).toBe('0x7');
    expect(await node.mempool.nextNonce(OLD)).toBe(7n);
    expect(await rpc('eth_getCode', CODE_AT, 'latest')).toBe(RETURN_42);
    expect(await rpc('eth_call', { to: CODE_AT }, 'latest')).toBe('0x' + '00'.repeat(31) + '2a');

    const block0 = await rpc('eth_getBlockByNumber', 'earliest', false);
    const block1 = await rpc('eth_getBlockByNumber', '0x1', false);
    expect(block0).toMatchObject({ number: '0x0', hash: '0x' + '00'.repeat(32), transactions: [], baseFeePerGas: '0x3b9aca00' });
    expect(block1).toMatchObject({ number: '0x1', parentHash: block0.hash, transactions: [], gasUsed: '0x0', baseFeePerGas: '0x3b9aca00' });
    expect(block1.stateRoot).toBe(
      '0x' +
        BigInt((await node.queries.blocks(1, 2n))[0].stateRoot)
          .toString(16)
          .padStart(64, '0'),
    );
    expect(block1.stateRoot).not.toBe(block0.stateRoot);
    const [genesisTx] = (await node.queries.block(1n)).txs;
    expect(genesisTx).toMatchObject({ from: GENESIS_SENDER, status: 'included', kind: 'evm' });
    expect(await rpc('eth_getTransactionByHash', genesisTx.hash)).toBeNull();
  });

  it('refuses to reopen with another allocation, and reopens with the same one', async () => {
    await expect(prepareGenesis(db.dataSource, node.mempool, { [a0.address.toLowerCase()]: { balance: 1n } })).rejects.toThrow(
      /the genesis allocation \(GENESIS_ALLOC\) differs from the one SPN evm-int started with/,
    );
    await expect(prepareGenesis(db.dataSource, node.mempool, {})).rejects.toThrow(/differs/);
    expect(await prepareGenesis(db.dataSource, node.mempool, await genesisOf())).toEqual({ hash: node.vm.genesis.hash, pending: false });
  });
});

async function genesisOf() {
  const [row]: { body: { genesis: Record<string, Record<string, string>> } }[] = await db.dataSource.query(
    'SELECT body FROM spn_tx WHERE spn_id = $1 AND sender = $2',
    [SPN, GENESIS_SENDER],
  );
  return parseGenesisAlloc(row.body.genesis);
}

describe('EVM SPN: ethers v6', () => {
  it('deploys an ERC-20, transfers, reads events and catches a revert with its reason', async () => {
    const provider = new InProcessProvider();
    const owner = new Wallet(a0.privateKey, provider);
    const { abi, bytecode } = compileTestToken();
    const factory = new ContractFactory(abi as never, bytecode, owner);
    const token = (await factory.deploy('Mesh', 'MSH', 1_000_000n)) as Contract;
    const deployment = await token.deploymentTransaction()!.wait();
    expect(deployment!.status).toBe(1);
    expect(deployment!.contractAddress).toBe(await token.getAddress());
    expect(await token.getFunction('name')()).toBe('Mesh');

    const tx = await token.getFunction('transfer')(a1.address, 250n);
    const receipt = await tx.wait();
    expect(receipt.status).toBe(1);
    expect(receipt.logs).toHaveLength(1);
    expect(await token.getFunction('balanceOf')(a1.address)).toBe(250n);

    const events = await token.queryFilter(token.filters.Transfer(a0.address), 0, 'latest');
    expect(events.map((e) => (e as any).args.map(String))).toEqual([[a0.address, a1.address, '250']]);
    const minted = await token.queryFilter(token.filters.Transfer('0x0000000000000000000000000000000000000000'), 0, 'latest');
    expect(minted.map((e) => (e as any).args.map(String))).toEqual([['0x0000000000000000000000000000000000000000', a0.address, '1000000']]);

    // eth_createAccessList: the list a transfer touches; sent with it (EIP-2930), the tx uses exactly the gas it reported.
    const data = token.interface.encodeFunctionData('transfer', [Wallet.createRandom().address, 5n]);
    const created = (await provider.send('eth_createAccessList', [{ from: a0.address, to: await token.getAddress(), data }, 'latest'])) as {
      accessList: { address: string; storageKeys: string[] }[];
      gasUsed: string;
    };
    expect(created.accessList).toEqual([{ address: (await token.getAddress()).toLowerCase(), storageKeys: expect.any(Array) }]);
    expect(created.accessList[0].storageKeys).toHaveLength(2); // the two balances
    const withList = await new Wallet(a0.privateKey, provider).sendTransaction({
      type: 1,
      to: await token.getAddress(),
      data,
      accessList: created.accessList,
      gasLimit: BigInt(created.gasUsed),
    });
    const listed = await withList.wait();
    expect(listed!.status).toBe(1);
    expect(listed!.gasUsed).toBe(BigInt(created.gasUsed));

    const poor = token.connect(new Wallet(a2.privateKey, provider)) as Contract;
    await expect(poor.getFunction('transfer').staticCall(a1.address, 1n)).rejects.toMatchObject({
      code: 'CALL_EXCEPTION',
      reason: 'insufficient balance',
    });
    await expect(poor.getFunction('transfer')(a1.address, 1n)).rejects.toMatchObject({
      code: 'CALL_EXCEPTION',
      reason: 'insufficient balance',
    });
    await expect(token.getFunction('onlyNobody')()).rejects.toMatchObject({ code: 'CALL_EXCEPTION', revert: { name: 'Unauthorized' } });
    expect(await provider.getBalance(a2.address)).toBe(10n ** 18n); // the refused estimate sent nothing

    // A tx that reverts on chain (gas limit given: no estimate): included with status 0 and its gas paid.
    const reverting = await poor.getFunction('transfer')(a1.address, 1n, { gasLimit: 100_000n });
    await expect(reverting.wait()).rejects.toMatchObject({ code: 'CALL_EXCEPTION', receipt: { status: 0 } });
    expect(await provider.getBalance(a2.address)).toBeLessThan(10n ** 18n);
    expect(await provider.getTransactionCount(a2.address, 'latest')).toBe(1);
    provider.destroy();
  });

  it('sends ETH with a legacy and an EIP-2930 transaction too', async () => {
    const provider = new InProcessProvider();
    const sender = new Wallet(a1.privateKey, provider);
    const to = Wallet.createRandom().address;
    const legacy = await sender.sendTransaction({ type: 0, to, value: 1000n });
    const accessList = await sender.sendTransaction({ type: 1, to, value: 2000n, accessList: [{ address: to, storageKeys: [] }] });
    expect((await legacy.wait())!.status).toBe(1);
    expect((await accessList.wait())!.status).toBe(1);
    expect(await provider.getBalance(to)).toBe(3000n);
    const fetched = await provider.getTransaction(accessList.hash);
    expect(fetched).toMatchObject({ type: 1, from: a1.address, value: 2000n, blockNumber: expect.any(Number) });
    provider.destroy();
  });
});

describe('EVM SPN: viem', () => {
  it('deploys, writes, waits for receipts, reads events and decodes a revert', async () => {
    const account = privateKeyToAccount(a1.privateKey as Hex);
    const wallet = createWalletClient({ account, chain, transport });
    const client = createPublicClient({ chain, transport, pollingInterval: 50 });
    const { abi, bytecode } = compileTestToken();
    const deployHash = await wallet.deployContract({ abi: abi as never, bytecode, args: ['Viem', 'VIE', 5000n] });
    const deployed = await client.waitForTransactionReceipt({ hash: deployHash, pollingInterval: 50 });
    expect(deployed.status).toBe('success');
    const address = deployed.contractAddress!;
    const erc20 = parseAbi([
      'function transfer(address to, uint256 value) returns (bool)',
      'function balanceOf(address) view returns (uint256)',
      'function divide(uint256 a, uint256 b) pure returns (uint256)',
      'event Transfer(address indexed from, address indexed to, uint256 value)',
    ]);
    const hash = await wallet.writeContract({ address, abi: erc20, functionName: 'transfer', args: [a0.address as Hex, 42n] });
    const receipt = await client.waitForTransactionReceipt({ hash, pollingInterval: 50 });
    expect(receipt.status).toBe('success');
    expect(await client.readContract({ address, abi: erc20, functionName: 'balanceOf', args: [a0.address as Hex] })).toBe(42n);
    const logs = await client.getContractEvents({ address, abi: erc20, eventName: 'Transfer', fromBlock: 0n });
    expect(logs.map((l) => [l.args.from, l.args.to, l.args.value])).toEqual([
      ['0x0000000000000000000000000000000000000000', account.address, 5000n],
      [account.address, a0.address, 42n],
    ]);
    const filtered = await client.getLogs({ address, event: erc20[3], args: { to: a0.address as Hex }, fromBlock: 0n });
    expect(filtered).toHaveLength(1);
    await expect(
      client.simulateContract({ account, address, abi: erc20, functionName: 'transfer', args: [a0.address as Hex, 10n ** 9n] }),
    ).rejects.toThrow(/insufficient balance/);
    await expect(client.readContract({ address, abi: erc20, functionName: 'divide', args: [1n, 0n] })).rejects.toThrow(
      /Division or modulo by zero|division/i,
    );
    const block = await client.getBlock({ blockNumber: receipt.blockNumber, includeTransactions: true });
    expect(block.transactions.map((t) => t.hash)).toContain(hash);
    expect(await client.getTransactionCount({ address: account.address, blockTag: 'pending' })).toBe(
      await client.getTransactionCount({ address: account.address }),
    );
  });
});

/** Balances, nonces and block height, to check that a refused request changed nothing. */
async function snapshot() {
  await new Promise((r) => setTimeout(r, 150)); // past a block time: anything accepted would have been mined
  return {
    block: await rpc('eth_blockNumber'),
    balances: await Promise.all([a0, a1, a2].map((a) => rpc('eth_getBalance', a.address, 'latest'))),
    nonces: await Promise.all([a0, a1, a2].map((a) => rpc('eth_getTransactionCount', a.address, 'pending'))),
    pending: (await node.queries.status()).pending,
  };
}

describe('EVM SPN: bad input gets a clear error and changes nothing', () => {
  const sign = async (overrides: Record<string, unknown> = {}, key = a1.privateKey) => {
    const wallet = new Wallet(key);
    const nonce = Number(await rpc('eth_getTransactionCount', wallet.address, 'pending'));
    return wallet.signTransaction({
      type: 2,
      chainId: CHAIN_ID,
      nonce,
      to: a2.address,
      value: 1n,
      gasLimit: 21_000n,
      maxFeePerGas: 5_000_000_000n,
      maxPriorityFeePerGas: 1_000_000_000n,
      ...overrides,
    });
  };

  it('each refusal: exact code and message, state unchanged', async () => {
    const before = await snapshot();
    const next = Number(before.nonces[1]);
    const baseFee = BigInt((await rpc('eth_getBlockByNumber', 'latest', false)).baseFeePerGas);
    const nextBaseFee = BigInt(await rpc('eth_gasPrice')) - BigInt(await rpc('eth_maxPriorityFeePerGas'));
    expect(nextBaseFee).toBeLessThanOrEqual(baseFee * 2n);
    const badSig = Transaction.from(await sign());
    badSig.signature = Signature.from({ r: '0x' + 'ff'.repeat(32), s: '0x' + '01'.padStart(64, '0'), v: 27 });
    const poor = Wallet.createRandom();
    const cases: [string, unknown[], { code: number; message: string | RegExp }][] = [
      ['eth_sendRawTransaction', [await sign({ chainId: 1 })], { code: -32000, message: 'invalid chain id for signer: have 1 want 31337' }],
      [
        'eth_sendRawTransaction',
        [await sign({ maxFeePerGas: 7n, maxPriorityFeePerGas: 1n })],
        {
          code: -32000,
          message: `transaction underpriced: max fee per gas less than block base fee: maxFeePerGas 7, baseFee ${nextBaseFee}`,
        },
      ],
      [
        'eth_sendRawTransaction',
        [await sign({ nonce: next + 1 })],
        { code: -32000, message: `nonce too high: next nonce ${next}, tx nonce ${next + 1}` },
      ],
      ['eth_sendRawTransaction', [await sign({ nonce: 0 })], { code: -32000, message: `nonce too low: next nonce ${next}, tx nonce 0` }],
      [
        'eth_sendRawTransaction',
        [await sign({ data: '0x' + '01'.repeat(128 * 1024 + 1), gasLimit: 10_000_000n })],
        { code: -32000, message: 'oversized data: calldata is 131073 bytes, the limit is 131072' },
      ],
      [
        'eth_sendRawTransaction',
        [await sign({ gasLimit: 30_000_001n })],
        { code: -32000, message: 'exceeds block gas limit: gas limit 30000001, block gas limit 30000000' },
      ],
      [
        'eth_sendRawTransaction',
        [await sign({ gasLimit: 20_000_000n })],
        { code: -32000, message: 'transaction gas limit too high (cap: 16777216, tx: 20000000)' },
      ],
      [
        'eth_sendRawTransaction',
        [await sign({ gasLimit: 20_000n })],
        { code: -32000, message: 'intrinsic gas too low: have 20000, want 21000' },
      ],
      [
        'eth_sendRawTransaction',
        [await sign({ value: 10n ** 30n })],
        {
          code: -32000,
          message: new RegExp(`^insufficient funds for gas \\* price \\+ value: address ${a1.address.toLowerCase()} have \\d+ want \\d+$`),
        },
      ],
      [
        'eth_sendRawTransaction',
        [await sign({ nonce: 0 }, poor.privateKey)],
        {
          code: -32000,
          message: `insufficient funds for gas * price + value: address ${poor.address.toLowerCase()} have 0 want ${21_000n * 5_000_000_000n + 1n}`,
        },
      ],
      ['eth_sendRawTransaction', [badSig.serialized], { code: -32000, message: /^invalid sender: bad signature/ }],
      [
        'eth_sendRawTransaction',
        [await sign({ type: 0, chainId: 0, gasPrice: 5_000_000_000n, maxFeePerGas: undefined, maxPriorityFeePerGas: undefined })],
        { code: -32000, message: 'only replay-protected (EIP-155) transactions allowed over RPC' },
      ],
      [
        'eth_sendRawTransaction',
        [await sign({ to: null, data: '0x' + '00'.repeat(49_153), gasLimit: 5_000_000n })],
        { code: -32000, message: 'max initcode size exceeded: code size 49153, limit 49152' },
      ],
      ['eth_sendRawTransaction', ['0xc0ffee'], { code: -32000, message: /^invalid transaction: / }],
      ['eth_sendRawTransaction', ['0x'], { code: -32000, message: 'typed transaction too short' }],
      [
        'eth_sendRawTransaction',
        ['c0ffee'],
        { code: -32602, message: 'invalid argument: transaction must be 0x-prefixed hex data (got "c0ffee")' },
      ],
      [
        'eth_call',
        [{ to: a2.address, value: '0x1' }, '0x1'],
        { code: -32000, message: /^historical state not available: block 1 is older than the latest block \d+/ },
      ],
      [
        'eth_getBalance',
        ['0xabc', 'latest'],
        { code: -32602, message: 'invalid argument: address must be a 0x-prefixed 20-byte hex address (got "0xabc")' },
      ],
      [
        'eth_getLogs',
        [{ fromBlock: '0x0', toBlock: '0x3e8' }],
        { code: -32005, message: 'block range too large: 1001 blocks, the limit is 1000' },
      ],
      ['eth_newFilter', [{}], { code: -32601, message: 'the method eth_newFilter does not exist/is not available' }],
    ];
    for (const [method, params, expected] of cases) {
      const error = await rpcError(method, ...params);
      expect({ method, code: error.code }).toEqual({ method, code: expected.code });
      if (typeof expected.message === 'string') expect(error.message).toBe(expected.message);
      else expect(error.message).toMatch(expected.message);
    }
    expect(await raw({ jsonrpc: '2.0', id: 5 })).toEqual({
      jsonrpc: '2.0',
      id: 5,
      error: { code: -32600, message: 'invalid request: method must be a non-empty string' },
    });
    expect(await node.vm.rpc.handleText('{"jsonrpc":"2.0","id":1,"method":"eth_chainId"')).toMatchObject({
      id: null,
      error: { code: -32700 },
    });
    expect(await snapshot()).toEqual(before);
  });

  it('eth_call and eth_estimateGas reverts: code 3, "execution reverted: <reason>", the revert data', async () => {
    const provider = new InProcessProvider();
    const { abi, bytecode } = compileTestToken();
    const token = (await new ContractFactory(abi as never, bytecode, new Wallet(a0.privateKey, provider)).deploy('R', 'R', 1n)) as Contract;
    await token.waitForDeployment();
    const data = token.interface.encodeFunctionData('transfer', [a1.address, 2n]);
    const expectedData = '0x08c379a0' + token.interface.getAbiCoder().encode(['string'], ['insufficient balance']).slice(2);
    const call = { from: a0.address, to: await token.getAddress(), data };
    expect(await rpcError('eth_call', call, 'latest')).toEqual({
      code: 3,
      message: 'execution reverted: insufficient balance',
      data: expectedData,
    });
    expect(await rpcError('eth_estimateGas', call)).toEqual({
      code: 3,
      message: 'execution reverted: insufficient balance',
      data: expectedData,
    });
    const custom = token.interface.encodeFunctionData('onlyNobody');
    const error = await rpcError('eth_call', { from: a0.address, to: call.to, data: custom });
    expect(error).toMatchObject({ code: 3, message: 'execution reverted' });
    expect(token.interface.parseError(error.data!)).toMatchObject({ name: 'Unauthorized', args: [a0.address] });
    provider.destroy();
  });

  it('a tx sent twice gets its hash back and is stored once; 128 KiB of calldata fits', async () => {
    const signed = await sign({ data: '0x' + 'ab'.repeat(128 * 1024), gasLimit: 6_000_000n });
    const hash = await rpc('eth_sendRawTransaction', signed);
    expect(hash).toBe(Transaction.from(signed).hash);
    expect(await rpc('eth_sendRawTransaction', signed)).toBe(hash);
    const receipt = await waitReceipt(hash);
    expect(receipt.status).toBe('0x1');
    expect(await rpc('eth_sendRawTransaction', signed)).toBe(hash); // even once mined
    const [{ count }]: { count: string }[] = await db.dataSource.query('SELECT count(*) FROM spn_tx WHERE spn_id = $1 AND hash = $2', [
      SPN,
      hash,
    ]);
    expect(count).toBe('1');
    expect((await rpc('eth_getTransactionByHash', hash)).input).toHaveLength(2 + 2 * 128 * 1024);
  });

  it("balance checks count the sender's pending txs", async () => {
    // Two txs of a2 that each fit its balance but not together: the second is refused.
    const wallet = new Wallet(a2.privateKey);
    const balance = BigInt(await rpc('eth_getBalance', a2.address, 'latest'));
    const nonce = Number(await rpc('eth_getTransactionCount', a2.address, 'pending'));
    const tx = {
      type: 2,
      chainId: CHAIN_ID,
      to: a1.address,
      value: balance / 2n,
      gasLimit: 21_000n,
      maxFeePerGas: 5_000_000_000n,
      maxPriorityFeePerGas: 0n,
    };
    const cost = 21_000n * 5_000_000_000n + balance / 2n;
    const first = await wallet.signTransaction({ ...tx, nonce });
    const second = await wallet.signTransaction({ ...tx, nonce: nonce + 1 });
    const hash = await rpc('eth_sendRawTransaction', first);
    const error = await rpcError('eth_sendRawTransaction', second);
    const firstPending = (await node.queries.tx(hash)).status === 'pending';
    expect(error.code).toBe(-32000);
    if (firstPending)
      expect(error.message).toBe(
        `insufficient funds for gas * price + value: address ${a2.address.toLowerCase()} have ${balance} want ${2n * cost} (this tx ${cost} + pending txs ${cost})`,
      );
    else expect(error.message).toMatch(/^insufficient funds for gas \* price \+ value: /); // the first was mined in between
    expect((await waitReceipt(hash)).status).toBe('0x1');
  });
});

describe('EVM SPN: reads', () => {
  it('blocks with full transactions, receipts, fee history, gas price, logs by topic and range', async () => {
    const head = BigInt(await rpc('eth_blockNumber'));
    const latest = await rpc('eth_getBlockByNumber', 'latest', true);
    expect(BigInt(latest.number)).toBeGreaterThanOrEqual(head);
    for (const n of [1n, head]) {
      const block = await rpc('eth_getBlockByNumber', '0x' + n.toString(16), true);
      expect(await rpc('eth_getBlockByHash', block.hash, true)).toEqual(block);
    }
    const history = await rpc('eth_feeHistory', '0x5', 'latest', [10, 90]);
    expect(history.baseFeePerGas).toHaveLength(history.gasUsedRatio.length + 1);
    expect(history.reward).toHaveLength(history.gasUsedRatio.length);
    expect(BigInt(await rpc('eth_gasPrice'))).toBe(BigInt(history.baseFeePerGas.at(-1)) + 1_000_000_000n);
    const transfer = topicId('Transfer(address,address,uint256)');
    const all = await rpc('eth_getLogs', { fromBlock: '0x0', toBlock: 'latest', topics: [transfer] });
    expect(all.length).toBeGreaterThanOrEqual(3);
    for (const log of all) {
      const receipt = await rpc('eth_getTransactionReceipt', log.transactionHash);
      expect(receipt.logs).toContainEqual(log);
      expect(receipt.blockHash).toBe(log.blockHash);
    }
    const toA1 = '0x' + a1.address.slice(2).toLowerCase().padStart(64, '0');
    const filtered = await rpc('eth_getLogs', { fromBlock: '0x0', topics: [transfer, null, toA1] });
    expect(filtered.every((l: { topics: string[] }) => l.topics[2] === toA1)).toBe(true);
    const one = all[0];
    expect(await rpc('eth_getLogs', { blockHash: one.blockHash, address: one.address })).toContainEqual(one);
    expect(await rpc('eth_getLogs', { fromBlock: one.blockNumber, toBlock: one.blockNumber, address: '0x' + '99'.repeat(20) })).toEqual([]);
  });
});
