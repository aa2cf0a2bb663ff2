import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BatchRecord, BlockSummary, CursorPage, SpnDetails } from '@mesh/mainnet';
import { TOKEN_PLUGIN, tokenBalance } from '@mesh/devnet';
import { ChunkVerifier, statementSignals } from '@mesh/zk';
import { startWasmDevnet, waitUntilAllSettled, type WasmDevnetFixture } from '../support/wasm-devnet';

const FUNDING = 1_000n;
const TRANSFERS = 200;
let fx: WasmDevnetFixture;

beforeAll(async () => {
  fx = await startWasmDevnet(FUNDING);
});

afterAll(async () => {
  await fx?.stop();
});

describe('Wasm SPN settling on the mainnet (separate processes, real Postgres, real proofs)', () => {
  it(`settles ${TRANSFERS} token transfers from several senders; roots, proofs and balances agree`, async () => {
    const { spn, accounts } = fx;
    const users = accounts.slice(1);
    const nonces = await Promise.all(users.map((u) => spn.nextNonce(u.address)));
    const expected = new Map(users.map((u) => [u.address.toLowerCase(), FUNDING]));
    const hashes: string[] = [];
    for (let i = 0; i < TRANSFERS; i++) {
      const from = i % users.length;
      const to = (from + 1 + ((i * 7) % (users.length - 1))) % users.length;
      const amount = BigInt(1 + (i % 5));
      const [a, b] = [users[from].address.toLowerCase(), users[to].address.toLowerCase()];
      // Every other transfer declares the balances it changes (the token's "bal:<address>" keys).
      const declared = i % 2 === 0 ? { reads: [], writes: [`bal:${a}`, `bal:${b}`] } : {};
      hashes.push(
        await spn.call(users[from], {
          plugin: TOKEN_PLUGIN,
          method: 'transfer',
          args: [b, String(amount)],
          nonce: nonces[from]++,
          ...declared,
        }),
      );
      expected.set(a, expected.get(a)! - amount);
      expected.set(b, expected.get(b)! + amount);
    }
    expect(new Set(hashes).size).toBe(TRANSFERS);

    await waitUntilAllSettled(spn);

    // Every transfer is settled with a successful receipt and a Transfer event.
    for (const hash of hashes) {
      const tx = await spn.tx(hash);
      expect(tx.status, hash).toBe('settled');
      expect(tx.receipt?.status).toBe('success');
      expect(tx.receipt?.events.map((e) => e.name)).toEqual(['Transfer']);
    }
    // Balances add up: each one as computed, total supply unchanged.
    let total = 0n;
    for (const user of users) {
      const balance = await tokenBalance(spn, user.address);
      expect(balance, user.address).toBe(expected.get(user.address.toLowerCase()));
      total += balance;
    }
    expect(total).toBe(FUNDING * BigInt(users.length));

    // The mainnet's settled root is the SPN's state root.
    const status = await spn.status();
    const record = await fx.mainnet.spn<SpnDetails>(fx.devnet.spnId);
    expect(record.lastRoot).toBe(status.stateRoot);
    expect(String(record.lastBatchNo)).toBe(status.lastSettledBatch);
    // The sequencer's time: every block's whole production, of which execution and the state tree are parts.
    const execution = status.execution!;
    expect(execution.txs).toBeGreaterThanOrEqual(TRANSFERS);
    expect(execution.treeMs).toBeGreaterThan(0);
    expect(execution.blockMs).toBeGreaterThan(execution.executeMs + execution.treeMs - 1);

    // Every stored proof re-verifies under the registered key, and the chunks chain from batch to batch.
    const verifier = await ChunkVerifier.fromKey(record.verificationKey as never);
    let root = record.genesisRoot;
    let proofs = 0;
    for (let n = 1; n <= record.lastBatchNo; n++) {
      const batch = await fx.mainnet.batch<BatchRecord>(fx.devnet.spnId, n);
      expect(batch.preRoot).toBe(root);
      for (const chunk of batch.chunks) {
        const s = chunk.statement;
        expect(
          await verifier.verify(
            chunk.proof,
            statementSignals({
              oldRoot: BigInt(s.oldRoot),
              newRoot: BigInt(s.newRoot),
              diffHash: BigInt(s.diffHash),
              chunkIndex: s.chunkIndex,
            }),
          ),
        ).toBe(true);
        proofs++;
      }
      expect(batch.txData.length).toBe(batch.txCount);
      root = batch.postRoot;
    }
    expect(root).toBe(status.stateRoot);
    expect(proofs).toBeGreaterThan(0);

    // The mainnet ledger is hash-chained.
    const blocks = await fx.mainnet.blocks<CursorPage<BlockSummary>>();
    const ordered = [...blocks.items].sort((a, b) => a.number - b.number);
    for (let i = 1; i < ordered.length; i++) expect(ordered[i].parentHash).toBe(ordered[i - 1].hash);
  });
});
