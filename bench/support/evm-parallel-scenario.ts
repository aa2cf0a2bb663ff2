/**
 * bench:parallel's EVM scenarios: an ERC-20 (libs/vm-evm/test-fixtures/Token.sol) deployed and
 * every account funded with ETH (genesis) and tokens, then blocks of signed transfers. As in the
 * node, every tx is first decoded through the engine (what EvmIngress does: the sender is
 * recovered once and cached), so neither executor pays for recovery.
 */
import { getCreateAddress, Interface, keccak256, toBeHex, zeroPadValue } from 'ethers';
import { EvmEngine, genesisWrites } from '@mesh/vm-evm';
import { EvmCodeStore } from '../../libs/spn-node/src/evm/evm-code-store';
import { EvmExecutor } from '../../libs/spn-node/src/evm/evm-executor';
import type { MempoolTx } from '../../libs/spn-node/src/executor';
import { StateCache } from '../../libs/spn-node/src/state-cache';
import { compileFixtures } from '../../libs/vm-evm/test-fixtures/solidity';
import { splitBound, type BenchTuning, type Scenario } from '../parallel';
import { blockCtx, CHAIN_ID, COINBASE, ETH, keyOf, sign, toMempool } from './erc20';

const GAS_LIMIT = 1_000_000_000n;

/** Token.sol's `balanceOf[holder]` slot (the mapping is its 4th state variable: slot 3). */
const balanceSlot = (holder: string) => keccak256(zeroPadValue(holder, 32) + zeroPadValue(toBeHex(3), 32).slice(2));

/**
 * `hots`: at high contention, how many hot accounts the txs pay in turn (default 1);
 * `declare`: every transfer carries an exact EIP-2930 access list (its two balance slots).
 */
export async function evmScenario(
  contention: 'low' | 'high',
  txsPerBlock: number,
  blocks: number,
  tuning: BenchTuning,
  { hots = 1, declare = false, split = false }: { hots?: number; declare?: boolean; split?: boolean } = {},
): Promise<Scenario> {
  const token = compileFixtures().Token;
  const iface = new Interface(token.abi as never);
  // low: tx t of a block moves tokens from account 1 + 2t to 2 + 2t (each account in one tx);
  // high: tx t pays hot account t % hots (accounts 0 .. hots - 1) from account hots + t.
  const accounts = contention === 'low' ? 2 * txsPerBlock + 1 : txsPerBlock + hots;
  // split: every block through the split first pass (the bound: see bench/parallel.ts).
  const chain = await benchChain(accounts, split ? splitBound(tuning) : tuning);
  const { keys, engine, commit } = chain;
  const owner = keys[0];
  await commit([sign(owner, 0n, undefined, token.bytecode + iface.encodeDeploy(['Bench', 'B', 10n ** 30n]).slice(2), 3_000_000n)]);
  const tokenAt = getCreateAddress({ from: owner.address, nonce: 0 }).toLowerCase();
  const nonces = keys.map(() => 0n);
  nonces[0] = 1n;
  const funding: Uint8Array[] = [];
  for (let i = 1; i < accounts; i++)
    funding.push(sign(owner, nonces[0]++, tokenAt, iface.encodeFunctionData('transfer', [keys[i].address, 10n ** 24n]), 100_000n));
  for (let i = 0; i < funding.length; i += 500) await commit(funding.slice(i, i + 500));

  // The measured blocks: execution does not commit, so every block runs on the same state and a
  // sender's nonce is the same in each (block b differs from block 0 only in the amounts).
  const list: MempoolTx[][] = [];
  for (let b = 0; b < blocks; b++) {
    const block: MempoolTx[] = [];
    for (let t = 0; t < txsPerBlock; t++) {
      const [from, to] = contention === 'low' ? [1 + 2 * t, 2 + 2 * t] : [hots + t, t % hots];
      const accessList = declare
        ? [{ address: tokenAt, storageKeys: [balanceSlot(keys[from].address), balanceSlot(keys[to].address)] }]
        : [];
      const raw = sign(
        keys[from],
        nonces[from],
        tokenAt,
        iface.encodeFunctionData('transfer', [keys[to].address, BigInt(1 + ((b + t) % 5))]),
        100_000n,
        0n,
        accessList,
      );
      engine.decodeRawTx(raw); // ingress: recover the sender once
      block.push(chain.mempool(raw));
    }
    list.push(block);
  }
  return chain.scenario(`evm ${contention}${hots > 1 ? ` ${hots} hot` : ''}${declare ? ' declared' : ''}${split ? ' split' : ''}`, list);
}

/**
 * Compute-heavy EVM txs (`bench:parallel --evm-work ROUNDS`): blocks of `work(rounds, t)` calls of
 * the Work fixture (libs/vm-evm/test-fixtures/Work.sol), tx t from its own account into its own
 * slot (no conflicts): what the executor does when a tx costs milliseconds, not a transfer's
 * fraction of one.
 */
export async function evmWorkScenario(rounds: number, txsPerBlock: number, blocks: number, tuning: BenchTuning): Promise<Scenario> {
  const work = compileFixtures().Work;
  const iface = new Interface(work.abi as never);
  const chain = await benchChain(txsPerBlock + 1, tuning);
  const { keys, engine } = chain;
  await chain.commit([sign(keys[0], 0n, undefined, work.bytecode, 1_000_000n)]);
  const workAt = getCreateAddress({ from: keys[0].address, nonce: 0 }).toLowerCase();
  const list: MempoolTx[][] = [];
  for (let b = 0; b < blocks; b++) {
    const block: MempoolTx[] = [];
    for (let t = 0; t < txsPerBlock; t++) {
      // Block b differs from block 0 in its rounds (rounds + b); execution does not commit, so every nonce stays 0.
      const r = rounds + b;
      const raw = sign(keys[t + 1], 0n, workAt, iface.encodeFunctionData('work', [r, t]), 60_000n + 150n * BigInt(r));
      engine.decodeRawTx(raw); // ingress: recover the sender once
      block.push(chain.mempool(raw));
    }
    list.push(block);
  }
  return chain.scenario('evm work', list);
}

/**
 * An EVM chain for a scenario: `accounts` bench keys funded with ETH at genesis, the serial and
 * the parallel executor (`tuning`) over one state, `commit` for set-up blocks, `scenario` for the
 * measured ones (run on the state after set-up, never committed).
 */
async function benchChain(accounts: number, tuning: BenchTuning) {
  const keys = Array.from({ length: accounts }, (_, i) => keyOf(i));
  const engine = await EvmEngine.create({ chainId: CHAIN_ID });
  const code = new EvmCodeStore({ query: async () => [] }, 'bench');
  const state = new StateCache();
  state.apply(genesisWrites(Object.fromEntries(keys.map((k) => [k.address, { balance: 1_000n * ETH }]))).writes);
  const serial = new EvmExecutor(engine, code, { coinbase: COINBASE, gasLimit: GAS_LIMIT });
  const parallel = new EvmExecutor(engine, code, { coinbase: COINBASE, gasLimit: GAS_LIMIT, parallel: tuning });
  let number = 0n;
  let vmHeader: Record<string, unknown> | null = null;
  let seq = 0;
  const mempool = (raw: Uint8Array) => toMempool(raw, seq++);
  return {
    keys,
    engine,
    mempool,
    async commit(raws: Uint8Array[]): Promise<void> {
      const r = await serial.execute(blockCtx(++number, vmHeader), raws.map(mempool), state);
      const bad = r.receipts.find((x) => x.status !== 'success');
      if (bad) throw new Error(`setup tx failed: ${bad.error}`);
      state.apply(r.writes);
      r.afterCommit?.();
      vmHeader = { ...r.vmHeader!, gasUsed: String(GAS_LIMIT / 2n) }; // at the gas target: the base fee stays put
    },
    scenario(name: string, blocks: MempoolTx[][]): Scenario {
      const ctx = blockCtx(number + 1n, vmHeader);
      return {
        name,
        blocks,
        serial,
        parallel: parallel as EvmExecutor & { parallel: NonNullable<EvmExecutor['parallel']> },
        run: (executor, txs) => executor.execute(ctx, txs, state),
        close: () => parallel.close(),
      };
    },
  };
}
