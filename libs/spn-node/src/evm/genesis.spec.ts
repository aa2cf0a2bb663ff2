import { describe, expect, it } from 'vitest';
import { accountKeys, genesisWrites } from '@mesh/vm-evm';
import type { BlockExecutor, MempoolTx } from '../executor';
import { devGenesisAccounts, devGenesisAlloc, GENESIS_SENDER, GenesisExecutor, genesisTx, isGenesisTx, parseGenesisAlloc } from './genesis';

const A = '0x' + 'aa'.repeat(20);
const B = '0x' + 'bb'.repeat(20);

describe('genesis allocation', () => {
  it('derives the test mnemonic accounts every local devnet prints', () => {
    expect(devGenesisAccounts(2)).toEqual([
      {
        address: '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266',
        privateKey: '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80',
      },
      {
        address: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8',
        privateKey: '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d',
      },
    ]);
    expect(Object.values(devGenesisAlloc(3))).toEqual(Array(3).fill({ balance: 10_000n * 10n ** 18n }));
  });

  it('parses geth-style allocations: hex or decimal, addresses with or without 0x, a whole genesis file', () => {
    expect(
      parseGenesisAlloc({
        alloc: { ['AA'.repeat(20)]: { balance: '0x10', nonce: '0x2', code: '0x60FF', storage: { '0x01': '0x02', '0x3': '0' } } },
      }),
    ).toEqual({
      [A]: { balance: 16n, nonce: 2n, code: '0x60ff', storage: { '0x1': '0x2' } },
    });
    expect(parseGenesisAlloc({ [B]: {} })).toEqual({ [B]: { balance: 0n } });
    expect(() => parseGenesisAlloc([])).toThrow(
      'the genesis allocation must be a JSON object of address -> { balance, nonce?, code?, storage? }',
    );
    expect(() => parseGenesisAlloc({ [A]: { balance: '1', wei: 1 } })).toThrow(`genesis account ${A} has unknown field(s) wei`);
    expect(() => parseGenesisAlloc({ [A]: { balance: 1.5 } })).toThrow(`genesis balance of ${A} must be a non-negative integer`);
    expect(() => parseGenesisAlloc({ [A]: { balance: '1' }, ['AA'.repeat(20)]: { balance: '2' } })).toThrow(
      `genesis address ${A} appears twice`,
    );
    expect(() => parseGenesisAlloc({ [A]: { code: '0x6' } })).toThrow(`genesis code of ${A} must be 0x-prefixed hex bytes`);
  });

  it('is one transaction with a content hash, none for an empty allocation', () => {
    const tx = genesisTx({ [B]: { balance: 1n }, [A]: { balance: 2n, nonce: 3n } })!;
    expect(tx).toMatchObject({
      kind: 'evm',
      sender: GENESIS_SENDER,
      nonce: 0n,
      body: { genesis: { [A]: { balance: '2', nonce: '3' }, [B]: { balance: '1' } } },
    });
    expect(genesisTx({ [A]: { balance: 2n, nonce: 3n }, [B]: { balance: 1n } })!.hash).toBe(tx.hash);
    expect(genesisTx({ [A]: { balance: 2n }, [B]: { balance: 1n } })!.hash).not.toBe(tx.hash);
    expect(genesisTx({})).toBeUndefined();
    expect(isGenesisTx(tx as MempoolTx)).toBe(true);
  });
});

describe('GenesisExecutor', () => {
  const alloc = { [A]: { balance: 5n, nonce: 2n, code: '0x6001' }, [B]: { balance: 7n } };
  const genesis = genesisTx(alloc)!;
  const block = { number: 1n, timeMs: 1000n, parent: { number: 0n, hash: '0x' + '00'.repeat(32), timeMs: 0n, vmHeader: null } };

  it('applies the allocation, then the other txs over it; persists code and genesis nonces; one receipt each, in place', async () => {
    const seen: { txs: string[]; balanceOfB: bigint }[] = [];
    const keysB = accountKeys(B);
    const inner: BlockExecutor = {
      async execute(_block, txs, state) {
        seen.push({ txs: txs.map((t) => t.hash), balanceOfB: state.get(keysB.balanceLo) });
        return {
          receipts: txs.map(() => ({ status: 'success', gasUsed: '21000' })),
          writes: new Map([[keysB.balanceLo, 6n]]),
          gasUsed: 21_000n * BigInt(txs.length),
          vmHeader: { baseFeePerGas: '1000000000' },
          persist: async (sql) => void (await sql.query('inner persist', [])),
        };
      },
    };
    const other: MempoolTx = { hash: '0x01', kind: 'evm', sender: A, nonce: 2n, body: { raw: '0x' }, code: null };
    const result = await new GenesisExecutor(inner, 'spn-x').execute(block, [{ ...genesis, code: null }, other], { get: () => 0n });
    expect(seen).toEqual([{ txs: ['0x01'], balanceOfB: 7n }]);
    expect(result.receipts).toEqual([
      { status: 'success', gasUsed: '0', genesis: true, accounts: 2 },
      { status: 'success', gasUsed: '21000' },
    ]);
    const expected = genesisWrites(alloc).writes;
    expected.set(keysB.balanceLo, 6n);
    expect(result.writes).toEqual(expected);
    expect(result.vmHeader).toEqual({ baseFeePerGas: '1000000000' });
    const queries: { sql: string; params: unknown[] }[] = [];
    await result.persist!({ query: async (sql: string, params?: unknown[]) => void queries.push({ sql, params: params ?? [] }) } as never, {
      number: 1n,
      hash: '0x',
    });
    expect(queries.map((q) => q.sql.split(' ').slice(0, 3).join(' '))).toEqual([
      'INSERT INTO spn_evm_code',
      'INSERT INTO spn_sender',
      'inner persist',
    ]);
    expect(queries[0].params).toEqual(['spn-x', [...genesisWrites(alloc).code.keys()][0], Buffer.from([0x60, 0x01])]);
    expect(queries[1].params).toEqual(['spn-x', A, '2']);
  });

  it('leaves blocks without the genesis tx to the inner executor', async () => {
    const inner: BlockExecutor = { execute: async () => ({ receipts: [], writes: new Map(), gasUsed: 0n }) };
    const result = await new GenesisExecutor(inner, 'spn-x').execute({ ...block, number: 2n }, [], { get: () => 0n });
    expect(result).toEqual({ receipts: [], writes: new Map(), gasUsed: 0n });
  });
});
