import { AbiCoder, concat as concatBytesHex, decodeRlp, encodeRlp, getBytes, Interface, keccak256, toBeHex, zeroPadValue } from 'ethers';
import { createBlob4844Tx, createLegacyTx, type TypedTransaction } from '@ethereumjs/tx';
import { Bloom } from '@ethereumjs/vm';
import { hexToBytes, KECCAK256_NULL, bytesToHex } from '@ethereumjs/util';
import { beforeAll, describe, expect, it } from 'vitest';
import { InvalidInputError } from '@mesh/core';
import { MapCode, MapState, signTx, testKey, type TxParams } from '../test-fixtures/harness';
import { compileFixtures, type CompiledContract } from '../test-fixtures/solidity';
import {
  DEFAULT_BLOCK_GAS_LIMIT,
  DEFAULT_HARDFORK,
  EvmEngine,
  INITIAL_BASE_FEE,
  spnCommon,
  type EvmBlockInput,
  type EvmBlockResult,
} from './evm-engine';
import { accountKeys, storageKeys } from './evm-state-keys';
import { genesisWrites } from './genesis';

const CHAIN_ID = 4242n;
const COINBASE = '0x' + 'c0'.repeat(20);
const alice = testKey(1);
const bob = testKey(2);
const carol = testKey(3);
const ONE_ETH = 10n ** 18n;

let token: CompiledContract;
let tokenIface: Interface;
let engine: EvmEngine;

beforeAll(async () => {
  token = compileFixtures().Token;
  tokenIface = new Interface(token.abi as never);
  engine = await EvmEngine.create({ chainId: CHAIN_ID });
});

/** An SPN in miniature: committed state + code, blocks applied one after another. */
class Chain {
  readonly state = new MapState();
  readonly code = new MapCode();
  number = 0n;
  parent: { gasUsed: bigint; gasLimit: bigint; baseFeePerGas: bigint } | undefined;
  gasLimit = DEFAULT_BLOCK_GAS_LIMIT;

  constructor(
    alloc: Record<string, { balance: bigint }> = {
      [alice.address]: { balance: 100n * ONE_ETH },
      [bob.address]: { balance: 100n * ONE_ETH },
    },
  ) {
    const g = genesisWrites(alloc);
    this.state.apply(g.writes);
    this.code.add(g.code);
  }

  nextBlock(): EvmBlockInput {
    return {
      number: this.number + 1n,
      timestamp: 1_700_000_000n + this.number,
      baseFeePerGas: this.parent ? EvmEngine.nextBaseFee(this.parent) : INITIAL_BASE_FEE,
      gasLimit: this.gasLimit,
      coinbase: COINBASE,
      parentHash: '0x' + '00'.repeat(32),
    };
  }

  async run(txs: TypedTransaction[]): Promise<EvmBlockResult & { block: EvmBlockInput }> {
    const block = this.nextBlock();
    const result = await engine.runBlock(block, txs, this.state, this.code);
    this.state.apply(result.writes);
    this.code.add(result.newCode);
    this.number = block.number;
    this.parent = { gasUsed: result.gasUsed, gasLimit: block.gasLimit, baseFeePerGas: block.baseFeePerGas };
    return { ...result, block };
  }

  balance(address: string): bigint {
    return engine.getBalance(address, this.state);
  }
  nonce(address: string): bigint {
    return engine.getNonce(address, this.state);
  }
}

const tx = (key = alice, p: Omit<TxParams, 'chainId'>) => signTx(key, { chainId: CHAIN_ID, ...p });

async function deployToken(chain: Chain, supply = 1_000_000n): Promise<string> {
  const data = token.bytecode + tokenIface.encodeDeploy(['Test', 'TST', supply]).slice(2);
  const r = await chain.run([tx(alice, { nonce: chain.nonce(alice.address), data, gasLimit: 2_000_000n })]);
  expect(r.receipts[0].status).toBe('success');
  return r.receipts[0].contractAddress!;
}

describe('EvmEngine', () => {
  it('uses the default hardfork and refuses unknown or draft ones', async () => {
    expect(engine.hardfork).toBe(DEFAULT_HARDFORK);
    await expect(EvmEngine.create({ chainId: 1n, hardfork: 'amsterdam' })).rejects.toThrow(InvalidInputError);
    await expect(EvmEngine.create({ chainId: 1n, hardfork: 'nope' })).rejects.toThrow(/not supported/);
    for (const hardfork of ['london', 'shanghai', 'cancun', 'prague', 'osaka']) {
      expect((await EvmEngine.create({ chainId: 1n, hardfork })).hardfork).toBe(hardfork);
    }
  });

  it('transfers value: balances, nonce, fee burned and tip to the coinbase, writes only what changed', async () => {
    const chain = new Chain();
    const before = chain.balance(alice.address);
    const r = await chain.run([
      tx(alice, { nonce: 0n, to: carol.address, value: 5n * ONE_ETH, gasLimit: 21_000n, maxPriorityFeePerGas: 2n }),
    ]);
    const [receipt] = r.receipts;
    expect(receipt).toMatchObject({
      status: 'success',
      gasUsed: '21000',
      cumulativeGasUsed: '21000',
      type: 2,
      contractAddress: null,
      logs: [],
    });
    expect(receipt.effectiveGasPrice).toBe(String(INITIAL_BASE_FEE + 2n));
    expect(receipt.from).toBe(alice.address);
    expect(receipt.to).toBe(carol.address);
    expect(r.gasUsed).toBe(21_000n);
    expect(chain.balance(carol.address)).toBe(5n * ONE_ETH);
    expect(chain.balance(alice.address)).toBe(before - 5n * ONE_ETH - 21_000n * (INITIAL_BASE_FEE + 2n));
    expect(chain.balance(COINBASE)).toBe(21_000n * 2n);
    expect(chain.nonce(alice.address)).toBe(1n);
    // alice: nonce + balance lo (hi stays 0); carol: balance lo; coinbase: balance lo.
    const a = accountKeys(alice.address);
    expect([...r.writes.keys()].sort()).toEqual(
      [a.nonce, a.balanceLo, accountKeys(carol.address).balanceLo, accountKeys(COINBASE).balanceLo].sort(),
    );
  });

  it('deploys an ERC-20 compiled with solc: contract address, code, constructor log', async () => {
    const chain = new Chain();
    const address = await deployToken(chain);
    const code = await engine.getCode(address, chain.state, chain.code);
    expect(code.length).toBeGreaterThan(100);
    expect(chain.nonce(address)).toBe(1n); // EIP-161: contracts start at nonce 1
    const call = await engine.call(
      { to: address, data: tokenIface.encodeFunctionData('balanceOf', [alice.address]) },
      chain.nextBlock(),
      chain.state,
      chain.code,
    );
    expect(call.success).toBe(true);
    expect(BigInt(call.returnData)).toBe(1_000_000n);
    expect(engine.getStorageAt(address, 2n, chain.state)).toBe(1_000_000n); // totalSupply is slot 2
  });

  it('transfers tokens with a Transfer log and a bloom holding the token and its topics', async () => {
    const chain = new Chain();
    const address = await deployToken(chain);
    const r = await chain.run([
      tx(alice, { nonce: 1n, to: address, data: tokenIface.encodeFunctionData('transfer', [bob.address, 250n]) }),
    ]);
    const [receipt] = r.receipts;
    expect(receipt.status).toBe('success');
    expect(receipt.logs).toHaveLength(1);
    const log = receipt.logs[0];
    expect(log.address).toBe(address);
    const parsed = tokenIface.parseLog(log)!;
    expect(parsed.name).toBe('Transfer');
    expect(parsed.args.toArray()).toEqual([expect.stringMatching(/^0x/i), expect.stringMatching(/^0x/i), 250n]);
    expect(parsed.args[0].toLowerCase()).toBe(alice.address);
    expect(parsed.args[1].toLowerCase()).toBe(bob.address);
    for (const bloomHex of [receipt.logsBloom, r.logsBloom]) {
      const bloom = new Bloom(hexToBytes(bloomHex as `0x${string}`));
      expect(bloom.check(hexToBytes(address as `0x${string}`))).toBe(true);
      for (const topic of log.topics) expect(bloom.check(hexToBytes(topic as `0x${string}`))).toBe(true);
      expect(bloom.check(hexToBytes(('0x' + 'ee'.repeat(20)) as `0x${string}`))).toBe(false);
    }
    const balanceOf = async (who: string) =>
      BigInt(
        (
          await engine.call(
            { to: address, data: tokenIface.encodeFunctionData('balanceOf', [who]) },
            chain.nextBlock(),
            chain.state,
            chain.code,
          )
        ).returnData,
      );
    expect(await balanceOf(bob.address)).toBe(250n);
    expect(await balanceOf(alice.address)).toBe(1_000_000n - 250n);
    // bob's balance slot: keccak(pad(bob) . 3) (balanceOf is slot 3); only its low half is set.
    const slot = BigInt(keccakSlot(bob.address, 3n));
    expect(engine.getStorageAt(address, slot, chain.state)).toBe(250n);
    expect(chain.state.get(storageKeys(address, slot).lo)).toBe(250n);
    expect(chain.state.get(storageKeys(address, slot).hi)).toBe(0n);
  });

  it('runs each block from the state it is given on the VM it keeps from the last block, also after a block that threw', async () => {
    const chain = new Chain();
    const address = await deployToken(chain);
    const data = tokenIface.encodeFunctionData('transfer', [bob.address, 5n]);
    const transfer = tx(alice, { nonce: chain.nonce(alice.address), to: address, data, gasLimit: 100_000n });
    const block = chain.nextBlock();
    const first = await engine.runBlock(block, [transfer], chain.state, chain.code);
    expect(first.receipts[0].status).toBe('success');
    // Not committed: the same block on the same state again gives the same result.
    expect(await engine.runBlock(block, [transfer], chain.state, chain.code)).toEqual(first);
    // Another engine, its code source missing the token's code at first: a block of a plain
    // transfer, then the token block throws mid-tx (a host failure), and the next one on that
    // source gives the same result as above.
    const other = await EvmEngine.create({ chainId: CHAIN_ID });
    const partial = new MapCode();
    const plain = tx(bob, { nonce: chain.nonce(bob.address), to: carol.address, value: 1n, gasLimit: 21_000n });
    expect((await other.runBlock(block, [plain], chain.state, partial)).receipts[0].status).toBe('success');
    await expect(other.runBlock(block, [transfer], chain.state, partial)).rejects.toThrow(/code/i);
    partial.add(chain.code.code);
    expect(await other.runBlock(block, [transfer], chain.state, partial)).toEqual(first);
  });

  it('reverts with the decoded reason, charges gas, bumps the nonce and changes no token state', async () => {
    const chain = new Chain();
    const address = await deployToken(chain, 10n);
    const r = await chain.run([tx(bob, { nonce: 0n, to: address, data: tokenIface.encodeFunctionData('transfer', [carol.address, 11n]) })]);
    const [receipt] = r.receipts;
    expect(receipt).toMatchObject({ status: 'reverted', error: 'revert', revertReason: 'insufficient balance', logs: [] });
    expect(BigInt(receipt.gasUsed)).toBeGreaterThan(21_000n);
    expect(receipt.logsBloom).toBe('0x' + '00'.repeat(256));
    expect(chain.nonce(bob.address)).toBe(1n);
    expect(engine.getStorageAt(address, BigInt(keccakSlot(carol.address, 3n)), chain.state)).toBe(0n);
    const call = await engine.call(
      { from: bob.address, to: address, data: tokenIface.encodeFunctionData('transfer', [carol.address, 11n]) },
      chain.nextBlock(),
      chain.state,
      chain.code,
    );
    expect(call).toMatchObject({ success: false, error: 'revert', revertReason: 'insufficient balance' });
  });

  it('runs out of gas: all gas used, error "out of gas", state untouched', async () => {
    const chain = new Chain();
    const address = await deployToken(chain);
    const r = await chain.run([
      tx(alice, { nonce: 1n, to: address, gasLimit: 30_000n, data: tokenIface.encodeFunctionData('transfer', [bob.address, 1n]) }),
    ]);
    expect(r.receipts[0]).toMatchObject({ status: 'reverted', error: 'out of gas', gasUsed: '30000' });
    expect(r.receipts[0].revertReason).toBeUndefined();
    expect(engine.getStorageAt(address, BigInt(keccakSlot(bob.address, 3n)), chain.state)).toBe(0n);
  });

  it('runs legacy, EIP-2930 and EIP-1559 txs decoded from raw bytes', async () => {
    const chain = new Chain();
    const address = await deployToken(chain);
    const data = tokenIface.encodeFunctionData('transfer', [bob.address, 1n]);
    const slot = '0x' + keccakSlot(bob.address, 3n).slice(2).padStart(64, '0');
    const raws = [
      tx(alice, { type: 0, nonce: 1n, to: address, data, gasPrice: 2_000_000_000n }),
      tx(alice, { type: 1, nonce: 2n, to: address, data, gasPrice: 2_000_000_000n, accessList: [{ address, storageKeys: [slot] }] }),
      tx(alice, { type: 2, nonce: 3n, to: address, data }),
    ].map((t) => t.serialize());
    const decoded = raws.map((raw) => engine.decodeRawTx(raw));
    expect(decoded.map((d) => d.type)).toEqual([0, 1, 2]);
    expect(decoded.every((d) => d.from === alice.address)).toBe(true);
    expect(decoded.map((d) => d.maxFeePerGas)).toEqual([2_000_000_000n, 2_000_000_000n, 3_000_000_000n]);
    const r = await chain.run(decoded.map((d) => d.tx));
    expect(r.receipts.map((x) => [x.type, x.status, x.txHash])).toEqual(decoded.map((d) => [d.type, 'success', d.hash]));
    expect(r.receipts.map((x) => x.effectiveGasPrice)).toEqual(['2000000000', '2000000000', String(r.block.baseFeePerGas + 1_000_000n)]);
    // The access list pre-warms the slot: the 2930 tx pays less execution gas than the legacy one despite its list's intrinsic cost.
    expect(Number(r.receipts[1].gasUsed)).not.toBe(Number(r.receipts[0].gasUsed));
    const cumulative = r.receipts.reduce((sum, x) => sum + BigInt(x.gasUsed), 0n);
    expect(r.receipts[2].cumulativeGasUsed).toBe(String(cumulative));
    expect(r.gasUsed).toBe(cumulative);
  });

  it('decodeRawTxHex: the same decoded tx as decodeRawTx from either case of hex, one cache entry; malformed text refused', () => {
    const raw = tx(alice, { nonce: 7n, to: bob.address, gasLimit: 21_000n }).serialize();
    const lower = bytesToHex(raw);
    const fromHex = engine.decodeRawTxHex(lower);
    expect(fromHex.hash).toBe(keccak256(raw));
    expect(fromHex.from).toBe(alice.address);
    expect(engine.decodeRawTx(raw)).toBe(fromHex); // cached under the same key
    expect(engine.decodeRawTxHex('0x' + lower.slice(2).toUpperCase())).toBe(fromHex);
    for (const bad of ['0xabc', '0xzz', 'abcd', '0x 12']) expect(() => engine.decodeRawTxHex(bad)).toThrow(InvalidInputError);
    expect(() => engine.decodeRawTxHex('0x')).toThrow(/empty transaction/);
    // Uncached: a tx first seen as hex decodes and checks as decodeRawTx does.
    const fresh = tx(alice, { nonce: 8n, to: bob.address, gasLimit: 21_000n }).serialize();
    expect(engine.decodeRawTxHex(bytesToHex(fresh)).hash).toBe(keccak256(fresh));
    const otherChain = signTx(alice, { chainId: 1n, nonce: 0n, to: bob.address, gasLimit: 21_000n });
    expect(() => engine.decodeRawTxHex(bytesToHex(otherChain.serialize()))).toThrow(/chain id/);
  });

  it('decodeRawTx refuses a wrong chain id, a bad signature, an unprotected legacy tx, blob txs and too little gas', () => {
    const good = tx(alice, { nonce: 0n, to: bob.address, gasLimit: 21_000n });
    expect(engine.decodeRawTx(good.serialize()).hash).toBe(bytesToHex(good.hash()));

    const otherChain = signTx(alice, { chainId: 1n, nonce: 0n, to: bob.address, gasLimit: 21_000n });
    expect(() => engine.decodeRawTx(otherChain.serialize())).toThrow(/chain id/);
    const otherLegacy = signTx(alice, { type: 0, chainId: 1n, nonce: 0n, to: bob.address, gasLimit: 21_000n });
    expect(() => engine.decodeRawTx(otherLegacy.serialize())).toThrow(/chain id/);

    // Signature fields of a type-2 tx are its last three RLP items (yParity, r, s).
    const withSig = (r: bigint, sv: bigint) => {
      const fields = decodeRlp(good.serialize().subarray(1)) as string[];
      fields[10] = toBeHex(r);
      fields[11] = toBeHex(sv);
      return concatBytes([new Uint8Array([2]), getBytes(encodeRlp(fields))]);
    };
    const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
    expect(() => engine.decodeRawTx(withSig(good.r!, N - good.s!))).toThrow(/bad signature.*s-values/); // EIP-2 high s
    expect(() => engine.decodeRawTx(withSig((1n << 256n) - 1n, good.s!))).toThrow(/bad signature/); // r beyond the curve order
    const other = engine.decodeRawTx(withSig(good.r!, good.s! - 1n)); // recovers some other key: a different sender, never alice
    expect(other.from).not.toBe(alice.address);

    const unprotected = createLegacyTx(
      { nonce: 0n, to: bob.address as `0x${string}`, gasLimit: 21_000n, gasPrice: 2_000_000_000n },
      { common: spnCommon(CHAIN_ID, 'chainstart' as never) },
    );
    expect(() => engine.decodeRawTx(unprotected.sign(alice.privateKey).serialize())).toThrow(/EIP-155/);

    const blob = new Uint8Array([3, 0xc0]);
    expect(() => engine.decodeRawTx(blob)).toThrow(/type 3 is not supported/);
    expect(createBlob4844Tx).toBeTypeOf('function');

    const lowGas = tx(alice, { nonce: 0n, to: bob.address, gasLimit: 20_000n });
    expect(() => engine.decodeRawTx(lowGas.serialize())).toThrow(/gas limit 20000 is below/);
    const overCap = signTx(alice, { chainId: CHAIN_ID, nonce: 0n, to: bob.address, gasLimit: 16_777_217n }, spnCommon(CHAIN_ID, 'prague'));
    expect(() => engine.decodeRawTx(overCap.serialize())).toThrow(/EIP-7825/);
    expect(() => engine.decodeRawTx(new Uint8Array([0xf8, 0x01]))).toThrow(InvalidInputError);
  });

  it('gives nonce too low / too high, unaffordable and under-priced txs a failed receipt without state change', async () => {
    const chain = new Chain();
    await chain.run([tx(alice, { nonce: 0n, to: bob.address, value: 1n, gasLimit: 21_000n })]);
    const poor = testKey(9);
    const r = await chain.run([
      tx(alice, { nonce: 0n, to: bob.address, value: 1n, gasLimit: 21_000n }),
      tx(alice, { nonce: 5n, to: bob.address, value: 1n, gasLimit: 21_000n }),
      tx(poor, { nonce: 0n, to: bob.address, value: 1n, gasLimit: 21_000n }),
      tx(alice, { nonce: 1n, to: bob.address, value: 1n, gasLimit: 21_000n, maxFeePerGas: 1n, maxPriorityFeePerGas: 1n }),
    ]);
    expect(r.receipts.map((x) => x.status)).toEqual(['reverted', 'reverted', 'reverted', 'reverted']);
    expect(r.receipts[0].error).toMatch(/^nonce too low/);
    expect(r.receipts[1].error).toMatch(/^nonce too high/);
    expect(r.receipts[2].error).toMatch(/^insufficient funds/);
    expect(r.receipts[3].error).toMatch(/below the block's base fee/);
    expect(r.receipts.every((x) => x.gasUsed === '0')).toBe(true);
    expect(r.writes.size).toBe(0);
    expect(r.gasUsed).toBe(0n);
  });

  it('refuses a tx whose gas limit exceeds what is left of the block', async () => {
    const chain = new Chain();
    chain.gasLimit = 50_000n;
    const r = await chain.run([
      tx(alice, { nonce: 0n, to: bob.address, gasLimit: 21_000n }),
      tx(alice, { nonce: 1n, to: bob.address, gasLimit: 30_000n }),
      tx(alice, { nonce: 1n, to: bob.address, gasLimit: 21_000n }),
    ]);
    expect(r.receipts.map((x) => x.status)).toEqual(['success', 'reverted', 'success']);
    expect(r.receipts[1].error).toMatch(/exceeds the block's remaining gas 29000/);
    expect(r.gasUsed).toBe(42_000n);
  });

  it('moves the base fee up after a full block and down after an empty one', async () => {
    const chain = new Chain();
    chain.gasLimit = 42_000n;
    const full = await chain.run([
      tx(alice, { nonce: 0n, to: bob.address, gasLimit: 21_000n }),
      tx(bob, { nonce: 0n, to: alice.address, gasLimit: 21_000n }),
    ]);
    expect(full.gasUsed).toBe(chain.gasLimit);
    const afterFull = chain.nextBlock().baseFeePerGas;
    expect(afterFull).toBe(INITIAL_BASE_FEE + INITIAL_BASE_FEE / 8n); // +12.5% at twice the target
    await chain.run([]);
    const afterEmpty = chain.nextBlock().baseFeePerGas;
    expect(afterEmpty).toBe(afterFull - afterFull / 8n);
    const atTarget = EvmEngine.nextBaseFee({ gasUsed: 15_000_000n, gasLimit: 30_000_000n, baseFeePerGas: 7_000n });
    expect(atTarget).toBe(7_000n);
    expect(EvmEngine.nextBaseFee({ gasUsed: 30_000_000n, gasLimit: 30_000_000n, baseFeePerGas: 1n })).toBe(2n); // at least +1
  });

  it('estimates the exact gas a call needs, and eth_call writes nothing', async () => {
    const chain = new Chain();
    const address = await deployToken(chain);
    const req = { from: alice.address, to: address, data: tokenIface.encodeFunctionData('transfer', [carol.address, 3n]) };
    const size = chain.state.values.size;
    const gas = await engine.estimateGas(req, chain.nextBlock(), chain.state, chain.code);
    expect(chain.state.values.size).toBe(size);
    expect(gas).toBeGreaterThan(21_000n);
    const tooLittle = await chain.run([tx(alice, { nonce: 1n, to: address, data: req.data, gasLimit: gas - 1n })]);
    expect(tooLittle.receipts[0].status).toBe('reverted');
    const enough = await chain.run([tx(alice, { nonce: 2n, to: address, data: req.data, gasLimit: gas })]);
    expect(enough.receipts[0].status).toBe('success');
    await expect(engine.estimateGas({ ...req, from: bob.address }, chain.nextBlock(), chain.state, chain.code)).rejects.toThrow(
      /execution reverted: insufficient balance/,
    );
    expect(await engine.estimateGas({ from: alice.address, to: bob.address, value: 1n }, chain.nextBlock(), chain.state, chain.code)).toBe(
      21_000n,
    );
  });

  it('eth_createAccessList: the slots a call touches, and the gas a tx with that list uses', async () => {
    const chain = new Chain();
    const address = await deployToken(chain);
    const data = tokenIface.encodeFunctionData('transfer', [carol.address, 3n]);
    const req = { from: alice.address, to: address, data };
    const found = await engine.createAccessList(req, chain.nextBlock(), chain.state, chain.code);
    // Token.sol's balanceOf mapping is slot 3: balanceOf[a] = keccak256(a ‖ 3).
    const balanceSlot = (holder: string) => keccak256(zeroPadValue(holder, 32) + zeroPadValue(toBeHex(3), 32).slice(2));
    expect(found.error).toBeUndefined();
    expect(found.accessList).toEqual([
      { address: address.toLowerCase(), storageKeys: [balanceSlot(alice.address), balanceSlot(carol.address)].sort() },
    ]);
    // The same list given back is where the search ends; a tx sent with it uses exactly that gas.
    expect(await engine.createAccessList({ ...req, accessList: found.accessList }, chain.nextBlock(), chain.state, chain.code)).toEqual(
      found,
    );
    expect(
      await engine.estimateGas({ ...req, accessList: found.accessList }, chain.nextBlock(), chain.state, chain.code),
    ).toBeGreaterThanOrEqual(found.gasUsed);
    const sent = await chain.run([
      tx(alice, { type: 1, nonce: chain.nonce(alice.address), to: address, data, gasLimit: 200_000n, accessList: found.accessList }),
    ]);
    expect(sent.receipts[0].status).toBe('success');
    expect(BigInt(sent.receipts[0].gasUsed)).toBe(found.gasUsed);
    // A call that reverts still lists what it touched, and says why.
    const failing = await engine.createAccessList({ ...req, from: bob.address }, chain.nextBlock(), chain.state, chain.code);
    expect(failing.error).toBe('execution reverted: insufficient balance');
    expect(failing.accessList[0].storageKeys).toContain(balanceSlot(bob.address));
    await expect(
      engine.createAccessList({ ...req, accessList: [{ address: '0x12', storageKeys: [] }] }, chain.nextBlock(), chain.state, chain.code),
    ).rejects.toThrow(/access list address must be 20 bytes/);
  });

  it('seeds genesis accounts with code and storage, and reads them back', async () => {
    const chain = new Chain({});
    const runtime = '0x602a60005260206000f3'; // returns 42
    const g = genesisWrites({
      [alice.address]: { balance: (1n << 200n) + 5n, nonce: 3n },
      [carol.address]: { balance: 0n, code: runtime, storage: { '0x01': '0x' + 'ff'.repeat(32) } },
    });
    chain.state.apply(g.writes);
    chain.code.add(g.code);
    expect(engine.getBalance(alice.address, chain.state)).toBe((1n << 200n) + 5n);
    expect(engine.getNonce(alice.address, chain.state)).toBe(3n);
    expect(engine.getStorageAt(carol.address, 1n, chain.state)).toBe((1n << 256n) - 1n);
    expect(bytesToHex(await engine.getCode(carol.address, chain.state, chain.code))).toBe(runtime);
    expect(await engine.getCode(bob.address, chain.state, chain.code)).toHaveLength(0);
    const call = await engine.call({ to: carol.address }, chain.nextBlock(), chain.state, chain.code);
    expect(BigInt(call.returnData)).toBe(42n);
    expect(() => genesisWrites({ [bob.address]: { balance: 1n, storage: { '0x1': '0x1' } } })).toThrow(/needs code/);
    expect(KECCAK256_NULL).toHaveLength(32);
  });
});

function keccakSlot(address: string, mappingSlot: bigint): string {
  return keccak256(AbiCoder.defaultAbiCoder().encode(['address', 'uint256'], [address, mappingSlot]));
}

function concatBytes(parts: Uint8Array[]): Uint8Array {
  return getBytes(concatBytesHex(parts));
}

describe('Work fixture (bench:e2e --evm-work)', () => {
  it('work(rounds, key) stores the keccak chain of key in its own slot; gas grows by the round, under 60,000 + 150 a round', async () => {
    const work = compileFixtures().Work;
    const iface = new Interface(work.abi as never);
    const chain = new Chain();
    const deployed = await chain.run([tx(alice, { nonce: 0n, data: work.bytecode, gasLimit: 1_000_000n })]);
    const address = deployed.receipts[0].contractAddress!;
    const gas: bigint[] = [];
    for (const [rounds, key] of [
      [100, 7],
      [200, 8],
    ]) {
      const r = await chain.run([
        tx(alice, {
          nonce: chain.nonce(alice.address),
          to: address,
          data: iface.encodeFunctionData('work', [rounds, key]),
          gasLimit: 200_000n,
        }),
      ]);
      expect(r.receipts[0].status).toBe('success');
      gas.push(BigInt(r.receipts[0].gasUsed));
      expect(gas.at(-1)!).toBeLessThan(60_000n + 150n * BigInt(rounds));
      let h = zeroPadValue(toBeHex(key), 32);
      for (let i = 0; i < rounds; i++) h = keccak256(concatBytesHex([h, zeroPadValue(toBeHex(i), 32)]));
      const call = await engine.call(
        { to: address, data: iface.encodeFunctionData('results', [key]) },
        chain.nextBlock(),
        chain.state,
        chain.code,
      );
      expect(call.returnData).toBe(h);
    }
    expect(gas[1] - gas[0]).toBeGreaterThan(100n * 50n); // the rounds cost gas: a loop that did nothing would not
  });
});
