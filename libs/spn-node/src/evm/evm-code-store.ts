import type { CodeSource } from '@mesh/vm-evm';

/** What the code store needs of a database (a TypeORM DataSource, EntityManager or pg client). */
export interface CodeStoreDb {
  query(sql: string, params?: unknown[]): Promise<any>;
}

/**
 * Contract code of an EVM SPN, content-addressed by keccak256 hash in `spn_evm_code`, with an
 * in-memory cache in front (code never changes under a hash, so the cache is never stale).
 * Rows are written by the executor's `persist` inside the block's transaction; `add` puts code
 * into the cache once its block has committed.
 */
export class EvmCodeStore implements CodeSource {
  private readonly cache = new Map<string, Uint8Array>();

  constructor(
    private readonly db: CodeStoreDb,
    readonly spnId: string,
    private readonly maxCached = 10_000,
  ) {}

  async get(codeHash: string): Promise<Uint8Array | undefined> {
    const hash = codeHash.toLowerCase();
    const cached = this.cache.get(hash);
    if (cached) return cached;
    const rows: { code: Buffer }[] = await this.db.query('SELECT code FROM spn_evm_code WHERE spn_id = $1 AND code_hash = $2', [
      this.spnId,
      hash,
    ]);
    if (rows.length === 0) return undefined;
    const code = new Uint8Array(rows[0].code);
    this.remember(hash, code);
    return code;
  }

  /** Makes committed code available without a database round trip. */
  add(codeHash: string, code: Uint8Array): void {
    this.remember(codeHash.toLowerCase(), code);
  }

  private remember(hash: string, code: Uint8Array): void {
    if (this.cache.size >= this.maxCached) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(hash, code);
  }
}
