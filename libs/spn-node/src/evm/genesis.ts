import type { DataSource } from 'typeorm';
import { HDNodeWallet } from 'ethers';
import { ConfigError, hashCanonical, InvalidInputError } from '@mesh/core';
import type { SqlRunner } from '@mesh/state';
import { genesisWrites, type GenesisAccount } from '@mesh/vm-evm';
import type { BlockContext, BlockExecution, BlockExecutor, MempoolTx, StateReader, TxReceipt } from '../executor';
import type { Mempool, NewMempoolTx } from '../mempool';

/** An EVM SPN's genesis allocation: lowercase address -> account. */
export type GenesisAlloc = Record<string, GenesisAccount>;

/** The test mnemonic every local Ethereum devnet uses (as libs/devnet's DEV_MNEMONIC). Public: never for real value. */
export const DEV_MNEMONIC = 'test test test test test test test test test test test junk';
export const DEV_GENESIS_ACCOUNTS = 10;
/** 10,000 ETH. */
export const DEV_GENESIS_BALANCE = 10_000n * 10n ** 18n;

/** Accounts m/44'/60'/0'/0/0..count-1 of the test mnemonic. */
export function devGenesisAccounts(count = DEV_GENESIS_ACCOUNTS): { address: string; privateKey: string }[] {
  const root = HDNodeWallet.fromPhrase(DEV_MNEMONIC, undefined, "m/44'/60'/0'/0");
  return Array.from({ length: count }, (_, i) => {
    const wallet = root.deriveChild(i);
    return { address: wallet.address, privateKey: wallet.privateKey };
  });
}

/** The devnet's default genesis: the test mnemonic's first accounts with 10,000 ETH each. */
export function devGenesisAlloc(count = DEV_GENESIS_ACCOUNTS, balance = DEV_GENESIS_BALANCE): GenesisAlloc {
  return Object.fromEntries(devGenesisAccounts(count).map((a) => [a.address.toLowerCase(), { balance }]));
}

const WORD = (1n << 256n) - 1n;

function integer(value: unknown, path: string, max: bigint): bigint {
  let n: bigint | undefined;
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) n = BigInt(value);
  else if (typeof value === 'string' && /^(0x[0-9a-fA-F]{1,64}|[0-9]{1,78})$/.test(value)) n = BigInt(value);
  if (n === undefined || n > max)
    throw new InvalidInputError(
      `${path} must be a non-negative integer (decimal or 0x hex) of at most ${max.toString(16).length * 4} bits`,
    );
  return n;
}

/**
 * A genesis allocation as geth's genesis files write it: `{ "<address>": { "balance": "0x..." |
 * "123", "nonce"?, "code"?: "0x...", "storage"?: { "<slot>": "<value>" } } }`, or a whole
 * genesis file with such an `alloc`. Addresses may lack 0x. Throws InvalidInputError naming the entry.
 */
export function parseGenesisAlloc(value: unknown): GenesisAlloc {
  if (typeof value === 'object' && value !== null && !Array.isArray(value) && 'alloc' in value) value = (value as { alloc: unknown }).alloc;
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new InvalidInputError('the genesis allocation must be a JSON object of address -> { balance, nonce?, code?, storage? }');
  const alloc: GenesisAlloc = {};
  for (const [key, entry] of Object.entries(value)) {
    const address = (key.startsWith('0x') ? key : '0x' + key).toLowerCase();
    if (!/^0x[0-9a-f]{40}$/.test(address))
      throw new InvalidInputError(`genesis address ${JSON.stringify(key)} is not a 20-byte hex address`);
    if (alloc[address]) throw new InvalidInputError(`genesis address ${address} appears twice`);
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry))
      throw new InvalidInputError(`genesis account ${address} must be an object { balance, nonce?, code?, storage? }`);
    const e = entry as Record<string, unknown>;
    const unknown = Object.keys(e).filter((k) => !['balance', 'nonce', 'code', 'storage'].includes(k));
    if (unknown.length) throw new InvalidInputError(`genesis account ${address} has unknown field(s) ${unknown.join(', ')}`);
    const account: GenesisAccount = { balance: e.balance === undefined ? 0n : integer(e.balance, `genesis balance of ${address}`, WORD) };
    if (e.nonce !== undefined) account.nonce = integer(e.nonce, `genesis nonce of ${address}`, (1n << 64n) - 2n);
    if (e.code !== undefined) {
      if (typeof e.code !== 'string' || !/^0x([0-9a-fA-F]{2})*$/.test(e.code))
        throw new InvalidInputError(`genesis code of ${address} must be 0x-prefixed hex bytes`);
      if (e.code !== '0x') account.code = e.code.toLowerCase();
    }
    if (e.storage !== undefined) {
      if (typeof e.storage !== 'object' || e.storage === null || Array.isArray(e.storage))
        throw new InvalidInputError(`genesis storage of ${address} must be an object of slot -> value`);
      const storage: Record<string, string> = {};
      for (const [slot, word] of Object.entries(e.storage as Record<string, unknown>)) {
        const s = integer(slot, `genesis storage slot ${JSON.stringify(slot)} of ${address}`, WORD);
        const w = integer(word, `genesis storage value of slot ${slot} of ${address}`, WORD);
        if (w !== 0n) storage['0x' + s.toString(16)] = '0x' + w.toString(16);
      }
      if (Object.keys(storage).length) {
        if (!account.code) throw new InvalidInputError(`genesis storage of ${address} needs code at that address`);
        account.storage = storage;
      }
    }
    alloc[address] = account;
  }
  return alloc;
}

/** The allocation as JSON (decimal strings), as it is stored in the genesis transaction and posted with its batch. */
export function genesisAllocJson(alloc: GenesisAlloc): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const address of Object.keys(alloc).sort()) {
    const a = alloc[address];
    out[address] = {
      balance: a.balance.toString(),
      ...(a.nonce ? { nonce: a.nonce.toString() } : {}),
      ...(a.code ? { code: a.code } : {}),
      ...(a.storage ? { storage: a.storage } : {}),
    };
  }
  return out;
}

/** Sender of the genesis transaction: not an address, so no signed transaction can ever use it. */
export const GENESIS_SENDER = 'genesis';

/**
 * The genesis as a mempool transaction (undefined for an empty allocation). It is the SPN's
 * first transaction; block 1 holds it alone, its writes are proven and settled like any block's,
 * and its body (the allocation, code included) is posted with the first batch's tx data, so a
 * watcher can replay the SPN from its genesis.
 */
export function genesisTx(alloc: GenesisAlloc): NewMempoolTx | undefined {
  if (Object.keys(alloc).length === 0) return undefined;
  const body = { genesis: genesisAllocJson(alloc) };
  return { hash: hashCanonical(body), kind: 'evm', sender: GENESIS_SENDER, nonce: 0n, body, code: null };
}

export function isGenesisTx(tx: Pick<MempoolTx, 'sender'>): boolean {
  return tx.sender === GENESIS_SENDER;
}

export interface GenesisStatus {
  /** Hash of the genesis transaction; null when the SPN has no genesis allocation. */
  hash: string | null;
  /** True until the block holding the genesis has committed. */
  pending: boolean;
}

/**
 * Makes sure the genesis transaction is in the mempool of an SPN that has not started yet, and
 * that a restarted SPN is given the allocation it started with (the genesis cannot change).
 */
export async function prepareGenesis(db: DataSource, mempool: Mempool, alloc: GenesisAlloc): Promise<GenesisStatus> {
  const tx = genesisTx(alloc);
  const rows: { hash: string; status: string }[] = await db.query('SELECT hash, status FROM spn_tx WHERE spn_id = $1 AND sender = $2', [
    mempool.spnId,
    GENESIS_SENDER,
  ]);
  if (rows.length > 0) {
    if (!tx || rows[0].hash !== tx.hash)
      throw new ConfigError(
        `the genesis allocation (GENESIS_ALLOC) differs from the one SPN ${mempool.spnId} started with (genesis tx ${rows[0].hash}); a genesis cannot change`,
      );
    return { hash: rows[0].hash, pending: rows[0].status === 'pending' };
  }
  if (!tx) return { hash: null, pending: false };
  const [{ count }]: { count: string }[] = await db.query('SELECT count(*) AS count FROM spn_block WHERE spn_id = $1', [mempool.spnId]);
  if (Number(count) > 0)
    throw new ConfigError(`SPN ${mempool.spnId} started without a genesis allocation; GENESIS_ALLOC must stay empty ({}) for it`);
  await mempool.add(tx);
  return { hash: tx.hash, pending: true };
}

/** The genesis transaction's allocation, back from its stored body. */
export function allocFromGenesisBody(body: unknown): GenesisAlloc {
  return parseGenesisAlloc((body as { genesis: unknown }).genesis);
}

/**
 * Wraps the EVM executor: a block holding the genesis transaction first applies the allocation
 * (tree writes, contract code, senders' next nonces), then runs its other transactions, if any,
 * over that state. Every other block goes to the inner executor unchanged.
 */
export class GenesisExecutor implements BlockExecutor {
  constructor(
    private readonly inner: BlockExecutor,
    private readonly spnId: string,
  ) {}

  wantsEmptyBlock(head: { number: bigint; timeMs: bigint; txCount: number }, nowMs: number): boolean {
    return this.inner.wantsEmptyBlock?.(head, nowMs) ?? false;
  }

  async execute(block: BlockContext, txs: readonly MempoolTx[], state: StateReader): Promise<BlockExecution> {
    const at = txs.findIndex(isGenesisTx);
    if (at < 0) return this.inner.execute(block, txs, state);
    if (at > 0) return this.inner.execute(block, txs.slice(0, at), state); // genesis opens a block of its own
    const alloc = allocFromGenesisBody(txs[at].body);
    const genesis = genesisWrites(alloc);
    const overlay: StateReader = { get: (key) => genesis.writes.get(key) ?? state.get(key) };
    const others = txs.filter((_, i) => i !== at);
    const result = await this.inner.execute(block, others, overlay);
    const writes = new Map(genesis.writes);
    for (const [key, value] of result.writes) writes.set(key, value);
    const receipt: TxReceipt = { status: 'success', gasUsed: '0', genesis: true, accounts: Object.keys(alloc).length };
    const receipts = [receipt, ...result.receipts];
    const spnId = this.spnId;
    const nonces = Object.entries(alloc).filter(([, a]) => (a.nonce ?? 0n) > 0n);
    return {
      ...result,
      receipts,
      writes,
      included: result.included === undefined ? undefined : result.included + 1,
      async persist(sql: SqlRunner, b: { number: bigint; hash: string }) {
        for (const [codeHash, code] of genesis.code) {
          await sql.query('INSERT INTO spn_evm_code (spn_id, code_hash, code) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [
            spnId,
            codeHash.toLowerCase(),
            Buffer.from(code),
          ]);
        }
        // A genesis nonce is the account's next nonce at ingress too.
        for (const [address, a] of nonces) {
          await sql.query(
            `INSERT INTO spn_sender (spn_id, address, next_nonce) VALUES ($1, $2, $3)
             ON CONFLICT (spn_id, address) DO UPDATE SET next_nonce = GREATEST(spn_sender.next_nonce, EXCLUDED.next_nonce)`,
            [spnId, address, String(a.nonce)],
          );
        }
        await result.persist?.(sql, b);
      },
    };
  }
}
