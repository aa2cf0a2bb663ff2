import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { Contract, ContractFactory, JsonRpcProvider, Transaction, Wallet, type TransactionReceipt } from 'ethers';
import { createPublicClient, createWalletClient, defineChain, http, parseAbi, type Hex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { devAccounts } from '@mesh/devnet';
import { compileTestToken, hardhatInstalled, startEvmDevnet, writeHardhatProject, type EvmDevnetFixture } from '../support/evm-devnet';

/**
 * Real Ethereum clients against the built SPN app with VM=evm (a separate process, with the
 * mainnet as another), over HTTP: ethers v6 and viem deploy an ERC-20 compiled with solc,
 * transfer, wait for receipts, read Transfer events and catch reverts with their reasons; bad
 * input gets exact JSON-RPC errors and changes nothing. Settlement of EVM batches is
 * test/e2e/evm-settlement.e2e-spec.ts's.
 */
let fx: EvmDevnetFixture;
const [owner, alice, bob, carol] = devAccounts(4);

beforeAll(async () => {
  fx = await startEvmDevnet();
});

afterAll(async () => {
  await fx?.stop();
});

async function post(path: string, body: string, headers: Record<string, string> = { 'content-type': 'application/json' }) {
  const response = await fetch(`${fx.spnUrl}${path}`, { method: 'POST', headers, body });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

async function rpc(method: string, ...params: unknown[]): Promise<any> {
  const { body } = await post('/rpc', JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }));
  if (body.error) throw Object.assign(new Error(`${method}: ${body.error.message}`), body.error);
  return body.result;
}

async function rpcError(method: string, ...params: unknown[]) {
  const { status, body } = await post('/rpc', JSON.stringify({ jsonrpc: '2.0', id: 7, method, params }));
  expect(status).toBe(200);
  expect(body.id).toBe(7);
  if (!body.error) throw new Error(`${method} succeeded: ${JSON.stringify(body.result)}`);
  return body.error as { code: number; message: string; data?: string };
}

describe('EVM SPN app (VM=evm) at start', () => {
  it('prints its JSON-RPC URL and the funded dev accounts, and serves the VM-independent REST reads only', async () => {
    const spn = fx.devnet.node('evm-1').process;
    await spn.waitForOutput(/Private keys[\s\S]*\(9\) 0x[0-9a-f]{64}/); // printed right after the listening line
    const out = spn.stdout;
    expect(out).toContain(`JSON-RPC: ${fx.spnUrl}/rpc (also ${fx.spnUrl}/), chain id 31337, block gas limit 30000000`);
    expect(out).toContain(`(0) ${owner.address} (10000 ETH)`);
    expect(out).toContain(`(0) ${owner.privateKey}`);
    expect(out).toMatch(/\(9\) 0x[0-9a-fA-F]{40} \(10000 ETH\)/);

    const status = await (await fetch(`${fx.spnUrl}/status`)).json();
    expect(status).toMatchObject({ spnId: 'evm-1', chainId: 31337, vm: 'evm' });
    expect((await fetch(`${fx.spnUrl}/health`)).status).toBe(200);
    expect((await fetch(`${fx.spnUrl}/blocks`)).status).toBe(200);
    for (const [method, path] of [
      ['POST', '/tx'],
      ['POST', '/plugins'],
      ['GET', '/plugins'],
      ['GET', '/state/token/x'],
    ]) {
      const response = await fetch(`${fx.spnUrl}${path}`, {
        method,
        headers: { 'content-type': 'application/json' },
        body: method === 'POST' ? '{}' : undefined,
      });
      expect({ path, status: response.status }).toEqual({ path, status: 404 });
    }
  });
});

describe('ethers v6 over HTTP', () => {
  it('deploys an ERC-20, transfers, waits for receipts, reads Transfer events, catches reverts', async () => {
    // cacheTimeout -1: ethers caches identical calls (the pending nonce) for 250 ms, shorter than this chain's blocks are apart.
    const provider = new JsonRpcProvider(fx.rpcUrl, undefined, { pollingInterval: 100, cacheTimeout: -1 });
    expect((await provider.getNetwork()).chainId).toBe(31337n);
    const signer = owner.connect(provider);
    const { abi, bytecode } = compileTestToken();
    const token = (await new ContractFactory(abi as never, bytecode, signer).deploy('Mesh', 'MSH', 1_000_000n)) as Contract;
    await token.waitForDeployment();
    const address = await token.getAddress();
    expect(await provider.getCode(address)).not.toBe('0x');

    const receipts: TransactionReceipt[] = [];
    for (const to of [alice, bob]) receipts.push((await (await token.getFunction('transfer')(to.address, 1_000n)).wait())!);
    expect(receipts.map((r) => r.status)).toEqual([1, 1]);
    expect(await token.getFunction('balanceOf')(alice.address)).toBe(1_000n);

    const fromOwner = await token.queryFilter(token.filters.Transfer(owner.address), 0, 'latest');
    expect(fromOwner.map((e) => [(e as any).args.to, (e as any).args.value])).toEqual([
      [alice.address, 1_000n],
      [bob.address, 1_000n],
    ]);
    expect(fromOwner.map((e) => e.transactionHash)).toEqual(receipts.map((r) => r.hash));
    const logs = await provider.getLogs({ address, fromBlock: 0, topics: [token.filters.Transfer().fragment.topicHash] });
    expect(logs).toHaveLength(3); // mint + 2 transfers

    const poor = token.connect(carol.connect(provider)) as Contract;
    await expect(poor.getFunction('transfer').staticCall(bob.address, 5n)).rejects.toMatchObject({
      code: 'CALL_EXCEPTION',
      reason: 'insufficient balance',
    });
    await expect(poor.getFunction('transfer')(bob.address, 5n)).rejects.toMatchObject({
      code: 'CALL_EXCEPTION',
      reason: 'insufficient balance',
    });
    await expect(token.getFunction('onlyNobody')()).rejects.toMatchObject({
      code: 'CALL_EXCEPTION',
      revert: { name: 'Unauthorized', args: [owner.address] },
    });
    const block = await provider.getBlock(receipts[1].blockNumber, true);
    expect(block!.prefetchedTransactions.map((t) => t.hash)).toContain(receipts[1].hash);
    provider.destroy();
  });
});

describe('viem over HTTP', () => {
  it('deploys, writes, waits for the receipt, reads events, decodes a revert', async () => {
    const chain = defineChain({
      id: 31337,
      name: 'mesh-evm',
      nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
      rpcUrls: { default: { http: [fx.rpcUrl] } },
    });
    const account = privateKeyToAccount(alice.privateKey as Hex);
    const wallet = createWalletClient({ account, chain, transport: http() });
    const client = createPublicClient({ chain, transport: http(), pollingInterval: 100 });
    expect(await client.getChainId()).toBe(31337);
    const { abi, bytecode } = compileTestToken();
    const hash = await wallet.deployContract({ abi: abi as never, bytecode, args: ['Viem', 'VIE', 10_000n] });
    const deployed = await client.waitForTransactionReceipt({ hash });
    expect(deployed.status).toBe('success');
    const erc20 = parseAbi([
      'function transfer(address to, uint256 value) returns (bool)',
      'function balanceOf(address) view returns (uint256)',
      'event Transfer(address indexed from, address indexed to, uint256 value)',
    ]);
    const address = deployed.contractAddress!;
    const tx = await wallet.writeContract({ address, abi: erc20, functionName: 'transfer', args: [carol.address as Hex, 77n] });
    expect((await client.waitForTransactionReceipt({ hash: tx })).status).toBe('success');
    expect(await client.readContract({ address, abi: erc20, functionName: 'balanceOf', args: [carol.address as Hex] })).toBe(77n);
    const events = await client.getContractEvents({
      address,
      abi: erc20,
      eventName: 'Transfer',
      args: { to: carol.address as Hex },
      fromBlock: 0n,
    });
    expect(events.map((e) => [e.args.from, e.args.value, e.transactionHash])).toEqual([[account.address, 77n, tx]]);
    await expect(
      client.simulateContract({ account, address, abi: erc20, functionName: 'transfer', args: [bob.address as Hex, 10n ** 12n] }),
    ).rejects.toThrow(/reverted with the following reason:\s+insufficient balance/);
    const fees = await client.estimateFeesPerGas();
    expect(fees.maxPriorityFeePerGas).toBe(1_000_000_000n);
    expect(await client.getBalance({ address: carol.address as Hex })).toBe(10_000n * 10n ** 18n);
  });
});

describe('bad input over HTTP', () => {
  /** Balances, nonces, block height: what a refused request must not change. */
  async function snapshot() {
    await new Promise((r) => setTimeout(r, 300)); // past a block time: anything accepted would be mined
    return {
      block: await rpc('eth_blockNumber'),
      balances: await Promise.all([owner, alice, bob].map((a) => rpc('eth_getBalance', a.address, 'latest'))),
      nonces: await Promise.all([owner, alice, bob].map((a) => rpc('eth_getTransactionCount', a.address, 'pending'))),
    };
  }

  const sign = async (overrides: Record<string, unknown> = {}, wallet: Wallet = new Wallet(bob.privateKey)) =>
    wallet.signTransaction({
      type: 2,
      chainId: 31337,
      nonce: Number(await rpc('eth_getTransactionCount', wallet.address, 'pending')),
      to: alice.address,
      value: 1n,
      gasLimit: 21_000n,
      maxFeePerGas: 10_000_000_000n,
      maxPriorityFeePerGas: 1_000_000_000n,
      ...overrides,
    });

  it('JSON-RPC framing: parse error, invalid request, unknown method, batches, POST /, content type, body size', async () => {
    expect(await post('/rpc', '{"jsonrpc":"2.0","id":1,"method":')).toMatchObject({
      status: 200,
      body: { jsonrpc: '2.0', id: null, error: { code: -32700 } },
    });
    expect(await post('/rpc', '{"id":1,"method":"eth_chainId"}')).toEqual({
      status: 200,
      body: { jsonrpc: '2.0', id: 1, error: { code: -32600, message: 'invalid request: jsonrpc must be "2.0"' } },
    });
    expect(await post('/rpc', '{"jsonrpc":"2.0","id":2,"method":"eth_foo","params":[]}')).toEqual({
      status: 200,
      body: { jsonrpc: '2.0', id: 2, error: { code: -32601, message: 'the method eth_foo does not exist/is not available' } },
    });
    expect(await post('/rpc', '[]')).toEqual({
      status: 200,
      body: { jsonrpc: '2.0', id: null, error: { code: -32600, message: 'invalid request: empty batch' } },
    });
    const batch = await post(
      '/',
      JSON.stringify([
        { jsonrpc: '2.0', id: 1, method: 'eth_chainId' },
        { jsonrpc: '2.0', method: 'eth_blockNumber' },
        { jsonrpc: '2.0', id: 3, method: 'net_version', params: [] },
        5,
      ]),
    );
    expect(batch).toEqual({
      status: 200,
      body: [
        { jsonrpc: '2.0', id: 1, result: '0x7a69' },
        { jsonrpc: '2.0', id: 3, result: '31337' },
        { jsonrpc: '2.0', id: null, error: { code: -32600, message: 'invalid request: a request must be a JSON object' } },
      ],
    });
    expect(await post('/', '{"jsonrpc":"2.0","method":"eth_chainId"}')).toEqual({ status: 204, body: undefined });
    expect(await post('/rpc', '{"jsonrpc":"2.0","id":1,"method":"eth_chainId"}', { 'content-type': 'text/plain' })).toEqual({
      status: 415,
      body: { jsonrpc: '2.0', id: null, error: { code: -32600, message: 'unsupported content type "text/plain": send application/json' } },
    });
    const huge = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_sendRawTransaction', params: ['0x' + 'ab'.repeat(600 * 1024)] });
    expect(await post('/rpc', huge)).toEqual({
      status: 413,
      body: { jsonrpc: '2.0', id: null, error: { code: -32600, message: 'request body too large: the limit is 1048576 bytes' } },
    });
  });

  it('refused transactions: exact code and message, state unchanged', async () => {
    const before = await snapshot();
    const next = Number(before.nonces[2]);
    const baseFee = BigInt(await rpc('eth_gasPrice')) - BigInt(await rpc('eth_maxPriorityFeePerGas'));
    const cases: [string, { code: number; message: string }][] = [
      [await sign({ chainId: 1 }), { code: -32000, message: 'invalid chain id for signer: have 1 want 31337' }],
      [
        await sign({ maxFeePerGas: 1n, maxPriorityFeePerGas: 1n }),
        { code: -32000, message: `transaction underpriced: max fee per gas less than block base fee: maxFeePerGas 1, baseFee ${baseFee}` },
      ],
      [await sign({ nonce: next + 2 }), { code: -32000, message: `nonce too high: next nonce ${next}, tx nonce ${next + 2}` }],
      [
        await sign({ gasLimit: 30_000_001n }),
        { code: -32000, message: 'exceeds block gas limit: gas limit 30000001, block gas limit 30000000' },
      ],
      [
        await sign({ data: '0x' + '11'.repeat(128 * 1024 + 1), gasLimit: 10_000_000n }),
        { code: -32000, message: 'oversized data: calldata is 131073 bytes, the limit is 131072' },
      ],
      [await sign({ gasLimit: 21_000n, data: '0x01' }), { code: -32000, message: 'intrinsic gas too low: have 21000, want 21040' }],
    ];
    for (const [raw, expected] of cases) expect(await rpcError('eth_sendRawTransaction', raw)).toEqual(expected);
    expect(await snapshot()).toEqual(before);
  });

  it('a replayed transaction: its hash back while known, "nonce too low" for a different one at a used nonce; 128 KiB calldata fits', async () => {
    const provider = new JsonRpcProvider(fx.rpcUrl, undefined, { pollingInterval: 100, cacheTimeout: -1 });
    const raw = await sign({ data: '0x' + 'cd'.repeat(128 * 1024), gasLimit: 6_000_000n });
    const hash = await rpc('eth_sendRawTransaction', raw);
    expect(hash).toBe(Transaction.from(raw).hash);
    expect(await rpc('eth_sendRawTransaction', raw)).toBe(hash);
    // TransactionResponse.wait(), not provider.waitForTransaction(): the latter compares the receipt
    // with a block number read before it, so on an idle SPN (no next block) it waits forever.
    expect((await (await provider.getTransaction(hash))!.wait())!.status).toBe(1);
    const used = Transaction.from(raw).nonce;
    const before = await snapshot();
    expect(await rpcError('eth_sendRawTransaction', await sign({ nonce: used, value: 2n }))).toEqual({
      code: -32000,
      message: `nonce too low: next nonce ${used + 1}, tx nonce ${used}`,
    });
    expect(await snapshot()).toEqual(before);
    provider.destroy();
  });

  it('eth_call revert: code 3 with the revert data', async () => {
    const { abi, bytecode } = compileTestToken();
    const provider = new JsonRpcProvider(fx.rpcUrl, undefined, { pollingInterval: 100, cacheTimeout: -1 });
    const token = (await new ContractFactory(abi as never, bytecode, owner.connect(provider)).deploy('X', 'X', 0n)) as Contract;
    await token.waitForDeployment();
    const data = token.interface.encodeFunctionData('transfer', [alice.address, 1n]);
    expect(await rpcError('eth_call', { from: owner.address, to: await token.getAddress(), data }, 'latest')).toEqual({
      code: 3,
      message: 'execution reverted: insufficient balance',
      data: '0x08c379a0' + token.interface.getAbiCoder().encode(['string'], ['insufficient balance']).slice(2),
    });
    provider.destroy();
  });
});

/**
 * Hardhat, unchanged, pointed at the SPN: it compiles (offline, with the repository's solcjs),
 * deploys, calls, reads the event and catches a revert. Runs when hardhat@2 and
 * @nomicfoundation/hardhat-ethers@3 are installed (they are not dependencies of the repository:
 * `npm i -D hardhat@2.29.1 @nomicfoundation/hardhat-ethers@3.1.3` enables it).
 */
describe.skipIf(!hardhatInstalled())('Hardhat over HTTP', () => {
  it('deploys and calls a contract with `hardhat run --network mesh`', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mesh-hardhat-'));
    try {
      writeHardhatProject(dir, fx.rpcUrl, fx.chainId, owner.privateKey);
      const cli = resolve(__dirname, '../../node_modules/hardhat/internal/cli/cli.js');
      const { stdout } = await promisify(execFile)(process.execPath, [cli, 'run', 'scripts/deploy.js', '--network', 'mesh'], {
        cwd: dir,
        env: { PATH: process.env.PATH ?? '', HOME: dir, HARDHAT_DISABLE_TELEMETRY_PROMPT: 'true', CI: 'true' },
        timeout: 300_000,
      });
      const result = JSON.parse(/RESULT (.*)/.exec(stdout)![1]);
      expect(result).toMatchObject({ before: 'hello', status: 1, events: ['hola'], after: 'hola' });
      expect(result.revert).toMatch(/empty greeting/);
      expect(await rpc('eth_getCode', result.address, 'latest')).not.toBe('0x');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
