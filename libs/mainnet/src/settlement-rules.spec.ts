import { Wallet } from 'ethers';
import { beforeAll, describe, expect, it } from 'vitest';
import { MemoryNodeStore, poseidonHasher, StateTree, zeroHashes, type Hasher } from '@mesh/state';
import { chunkSteps } from '@mesh/zk';
import { SettlementRejectedError } from './errors';
import { checkChunks, checkSequence, checkSettledLeaves, type SpnPosition } from './settlement-rules';
import { parseSubmission, type ParsedSubmission } from './submission';
import { DUMMY_PROOF, settlementChunk, signedSubmission } from './testing/batch-fixtures';

const shape = { depth: 6, chunkSize: 2 };
const wallet = Wallet.createRandom();
let hasher: Hasher;
let genesis: bigint;
let batch: ParsedSubmission;

async function submission(
  overrides: { chunks?: unknown[]; preRoot?: string; postRoot?: string; batchNo?: number; firstBlock?: number; lastBlock?: number } = {},
) {
  const base = await signedSubmission(wallet, 1, {
    spnId: 'spn-a',
    batchNo: overrides.batchNo ?? 1,
    preRoot: overrides.preRoot ?? batch.header.preRoot,
    postRoot: overrides.postRoot ?? batch.header.postRoot,
    firstBlock: overrides.firstBlock ?? 0,
    lastBlock: overrides.lastBlock ?? 3,
    chunks: (overrides.chunks ?? batch.chunks) as never,
    txData: [],
  });
  return parseSubmission(base);
}

/** The batch with other chunks (header and signature unchanged: these rules do not look at them). */
function withChunks(chunks: unknown[]): ParsedSubmission {
  return parseSubmission({ header: batch.header, chunks, txData: batch.txData, messages: [], results: [], signature: batch.signature });
}

function rejection(run: () => unknown): SettlementRejectedError {
  try {
    run();
  } catch (err) {
    if (err instanceof SettlementRejectedError) return err;
    throw err;
  }
  throw new Error('expected a SettlementRejectedError');
}

beforeAll(async () => {
  hasher = await poseidonHasher();
  genesis = zeroHashes(hasher, shape.depth)[shape.depth];
  const tree = await StateTree.open(new MemoryNodeStore(), { depth: shape.depth, hasher });
  const plan = await tree.plan([
    { key: 11n, value: 1n },
    { key: 12n, value: 2n },
    { key: 13n, value: 3n },
  ]);
  const chunks = chunkSteps(hasher, plan.steps, shape.chunkSize, plan.oldRoot).map((c) => settlementChunk(c, DUMMY_PROOF));
  batch = parseSubmission(
    await signedSubmission(wallet, 1, {
      spnId: 'spn-a',
      batchNo: 1,
      preRoot: plan.oldRoot,
      postRoot: plan.newRoot,
      firstBlock: 0,
      lastBlock: 3,
      chunks,
      txData: [],
    }),
  );
});

describe('checkSequence', () => {
  const position = (): SpnPosition => ({ spnId: 'spn-a', lastBatchNo: 0, lastRoot: genesis, lastBlock: null });

  it('accepts the next batch on the last root', () => {
    expect(checkSequence(position(), batch)).toBe('next');
  });

  it('says "settled" for a batch number already settled', async () => {
    expect(checkSequence({ ...position(), lastBatchNo: 1 }, batch)).toBe('settled');
  });

  it('rejects a gap, naming the expected number', async () => {
    const error = rejection(() => checkSequence({ ...position(), lastBatchNo: 0 }, { ...batch, header: { ...batch.header, batchNo: 3 } }));
    expect(error.rule).toBe('batchNo');
    expect(error.message).toBe(
      'settlement rejected: batchNo 3 leaves a gap: SPN "spn-a" has settled no batch yet, so the next batch must be 1',
    );
  });

  it('rejects a preRoot that is not the last settled root', () => {
    const error = rejection(() => checkSequence({ ...position(), lastRoot: 5n }, batch));
    expect(error.rule).toBe('preRoot');
    expect(error.message).toMatch(/preRoot \d+ is not the last settled root of SPN "spn-a" \(5, its genesis root\)/);
  });

  it('checks the block range', () => {
    expect(rejection(() => checkSequence({ ...position(), lastBlock: 7 }, batch)).message).toMatch(
      /firstBlock 0 does not follow the last settled block 7: it must be 8/,
    );
    const backwards = { ...batch, header: { ...batch.header, firstBlock: 4, lastBlock: 3 } };
    expect(rejection(() => checkSequence(position(), backwards)).message).toMatch(/lastBlock 3 is before firstBlock 4/);
  });
});

describe('checkChunks', () => {
  it('accepts chained chunks with matching diff hashes and returns the leaf indexes', () => {
    expect(checkChunks(hasher, shape, batch)).toEqual(
      new Map([
        [0, 11n],
        [1, 12n],
        [2, 13n],
      ]),
    );
  });

  it('wants chunk positions in order', async () => {
    const swapped = await submission({ chunks: [batch.chunks[1], batch.chunks[0]] });
    expect(rejection(() => checkChunks(hasher, shape, swapped)).message).toMatch(/chunks\[0\] has chunkIndex 1, expected 0/);
  });

  it('wants chunk 0 to start at preRoot, the chunks to chain and the last to end at postRoot', async () => {
    const wrongPre = await submission({ preRoot: '7' });
    expect(rejection(() => checkChunks(hasher, shape, wrongPre)).message).toMatch(/chunks\[0\]\.oldRoot \d+ is not the batch preRoot 7/);
    const unchained = structuredClone(batch.chunks);
    unchained[1].statement.oldRoot = '99';
    const error = rejection(() => checkChunks(hasher, shape, withChunks(unchained)));
    expect(error.rule).toBe('chunks');
    expect(error.message).toMatch(/chunks do not chain: chunks\[1\]\.oldRoot 99 is not chunks\[0\]\.newRoot/);
    const wrongPost = await submission({ postRoot: '8' });
    expect(rejection(() => checkChunks(hasher, shape, wrongPost)).message).toMatch(
      /the last chunk ends at root \d+, not at the batch postRoot 8/,
    );
  });

  it('wants no chunks only for an unchanged root', async () => {
    const empty = await submission({ chunks: [], preRoot: String(genesis), postRoot: String(genesis) });
    expect(checkChunks(hasher, shape, empty).size).toBe(0);
    const moved = await submission({ chunks: [], preRoot: String(genesis), postRoot: '1' });
    expect(rejection(() => checkChunks(hasher, shape, moved)).message).toMatch(/no chunks, so its postRoot must equal its preRoot/);
  });

  it('wants 1..K updates per chunk, inside the tree', async () => {
    const tooMany = structuredClone(batch.chunks);
    tooMany[0].updates.push(tooMany[1].updates[0]);
    expect(rejection(() => checkChunks(hasher, shape, withChunks(tooMany))).message).toMatch(
      /chunks\[0\] has 3 updates; a chunk holds 1 to 2/,
    );
    const none = structuredClone(batch.chunks);
    none[1].updates = [];
    expect(rejection(() => checkChunks(hasher, shape, withChunks(none))).rule).toBe('updates');
    const outside = structuredClone(batch.chunks);
    outside[1].updates[0].index = 64;
    expect(rejection(() => checkChunks(hasher, shape, withChunks(outside))).message).toMatch(/leaf index 64, outside the tree of depth 6/);
  });

  it('rejects updates that do not match the diff hash', () => {
    const tampered = structuredClone(batch.chunks);
    tampered[1].updates[0].newValue = '4';
    const error = rejection(() => checkChunks(hasher, shape, withChunks(tampered)));
    expect(error.rule).toBe('diffHash');
    expect(error.message).toMatch(/the updates of chunks\[1\] do not match its diffHash: they hash to \d+, the statement says \d+/);
  });

  it('rejects one leaf index for two keys, or two indexes for one key, within the batch', () => {
    const reused = structuredClone(batch.chunks);
    reused[0].updates[1].index = 0;
    expect(rejection(() => checkChunks(hasher, shape, withChunks(reused))).message).toMatch(
      /uses leaf index 0 for key 12, but the batch already uses it for key 11/,
    );
    const moved = structuredClone(batch.chunks);
    moved[0].updates[1].key = '11';
    expect(rejection(() => checkChunks(hasher, shape, withChunks(moved))).message).toMatch(
      /gives key 11 leaf index 1, but the batch already gives it index 0/,
    );
  });
});

describe('checkSettledLeaves', () => {
  const batchLeaves = new Map([
    [0, 11n],
    [1, 12n],
  ]);

  it('returns the new assignments and accepts known ones', () => {
    expect(checkSettledLeaves(batchLeaves, [{ index: 0, key: 11n }])).toEqual([{ index: 1, key: 12n }]);
    expect(checkSettledLeaves(batchLeaves, [])).toHaveLength(2);
  });

  it('rejects an index settled for another key, and a key settled at another index', () => {
    expect(() => checkSettledLeaves(batchLeaves, [{ index: 1, key: 99n }])).toThrow(
      /leaf index 1 belongs to key 99 \(settled before\); the batch uses it for key 12/,
    );
    expect(() => checkSettledLeaves(batchLeaves, [{ index: 5, key: 12n }])).toThrow(
      /key 12 has leaf index 5 \(settled before\); the batch gives it index 1/,
    );
  });
});
