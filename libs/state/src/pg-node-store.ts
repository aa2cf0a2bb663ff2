import { nodeKey, type LeafRecord, type NodeRef, type NodeStore, type SqlRunner, type TreeChanges, type TreeMeta } from './node-store';

/** A database handle that can also open a transaction (a TypeORM DataSource fits). */
export interface SqlDatabase extends SqlRunner {
  transaction<T>(run: (tx: SqlRunner) => Promise<T>): Promise<T>;
}

/**
 * NodeStore over the `state_tree`, `state_node` and `state_leaf` tables (created by the
 * persistence migrations). Many trees share the tables, keyed by `treeId` (an SPN id). Every
 * read and write is one statement for the whole batch, whatever its size.
 */
export class PgNodeStore implements NodeStore {
  constructor(
    private readonly db: SqlDatabase,
    readonly treeId: string,
  ) {}

  async loadMeta(): Promise<TreeMeta | undefined> {
    const rows: { depth: number; root: string; next_index: string }[] = await this.db.query(
      'SELECT depth, root, next_index FROM state_tree WHERE tree_id = $1',
      [this.treeId],
    );
    if (rows.length === 0) return undefined;
    return { depth: rows[0].depth, root: BigInt(rows[0].root), nextIndex: Number(rows[0].next_index) };
  }

  async getNodes(refs: readonly NodeRef[]): Promise<Map<string, bigint>> {
    const found = new Map<string, bigint>();
    if (refs.length === 0) return found;
    const rows: { level: number; idx: string; hash: string }[] = await this.db.query(
      `SELECT n.level, n.idx, n.hash FROM state_node n
         JOIN unnest($2::smallint[], $3::bigint[]) AS r(level, idx) ON n.level = r.level AND n.idx = r.idx
        WHERE n.tree_id = $1`,
      [this.treeId, refs.map((r) => r.level), refs.map((r) => String(r.index))],
    );
    for (const row of rows) found.set(nodeKey(row.level, Number(row.idx)), BigInt(row.hash));
    return found;
  }

  async getLeavesByKey(keys: readonly bigint[]): Promise<Map<bigint, LeafRecord>> {
    const found = new Map<bigint, LeafRecord>();
    if (keys.length === 0) return found;
    const rows: { idx: string; key: string; value: string }[] = await this.db.query(
      'SELECT idx, key, value FROM state_leaf WHERE tree_id = $1 AND key = ANY($2::numeric[])',
      [this.treeId, keys.map(String)],
    );
    for (const row of rows) {
      const key = BigInt(row.key);
      found.set(key, { index: Number(row.idx), key, value: BigInt(row.value) });
    }
    return found;
  }

  async write(changes: TreeChanges, tx?: SqlRunner): Promise<void> {
    if (tx) return this.writeWith(tx, changes);
    return this.db.transaction((own) => this.writeWith(own, changes));
  }

  private async writeWith(tx: SqlRunner, { meta, nodes, leaves }: TreeChanges): Promise<void> {
    await tx.query(
      `INSERT INTO state_tree (tree_id, depth, root, next_index, updated_at) VALUES ($1, $2, $3, $4, now())
       ON CONFLICT (tree_id) DO UPDATE SET root = EXCLUDED.root, next_index = EXCLUDED.next_index, updated_at = now()`,
      [this.treeId, meta.depth, String(meta.root), String(meta.nextIndex)],
    );
    if (nodes.length > 0) {
      await tx.query(
        `INSERT INTO state_node (tree_id, level, idx, hash)
         SELECT $1, * FROM unnest($2::smallint[], $3::bigint[], $4::numeric[])
         ON CONFLICT (tree_id, level, idx) DO UPDATE SET hash = EXCLUDED.hash`,
        [this.treeId, nodes.map((n) => n.level), nodes.map((n) => String(n.index)), nodes.map((n) => String(n.hash))],
      );
    }
    if (leaves.length > 0) {
      await tx.query(
        `INSERT INTO state_leaf (tree_id, idx, key, value)
         SELECT $1, * FROM unnest($2::bigint[], $3::numeric[], $4::numeric[])
         ON CONFLICT (tree_id, idx) DO UPDATE SET key = EXCLUDED.key, value = EXCLUDED.value`,
        [this.treeId, leaves.map((l) => String(l.index)), leaves.map((l) => String(l.key)), leaves.map((l) => String(l.value))],
      );
    }
  }
}
