/**
 * A separate process that opens a Postgres-backed state tree, optionally applies updates, and
 * prints {root, size, values, proofsVerify} as JSON. Used to show that a tree survives a restart.
 * Usage: tsx test/support/state-tree-process.ts <databaseUrl> <treeId> <depth> [updatesJson]
 */
import { openDatabase } from '@mesh/persistence';
import { CachedNodeStore, PgNodeStore, poseidonHasher, StateTree, verifyMembership } from '@mesh/state';

async function main(): Promise<void> {
  const [url, treeId, depth, updatesJson] = process.argv.slice(2);
  const db = await openDatabase({ url });
  try {
    const hasher = await poseidonHasher();
    const tree = await StateTree.open(new CachedNodeStore(new PgNodeStore(db.dataSource, treeId)), { depth: Number(depth), hasher });
    const updates = updatesJson ? (JSON.parse(updatesJson) as { key: string; value: string }[]) : [];
    if (updates.length > 0) await tree.update(updates);
    const keys = [...new Set(updates.map((u) => u.key))];
    const values: Record<string, string> = {};
    let proofsVerify = true;
    for (const key of keys.length > 0 ? keys : ['1', '2', '3']) {
      values[key] = String(await tree.get(key));
      if (values[key] !== '0') proofsVerify &&= verifyMembership(hasher, await tree.prove(key), tree.root);
    }
    process.stdout.write(JSON.stringify({ root: String(tree.root), size: tree.size, values, proofsVerify }) + '\n');
  } finally {
    await db.close();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
