import { readFileSync } from 'node:fs';
import { Wallet, type Signer } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, signStakeOperation, type StakeOperation } from '@mesh/core';
import { openDatabase, type DatabaseHandle } from '@mesh/persistence';
import { MemoryNodeStore, poseidonHasher, StateTree, type Hasher } from '@mesh/state';
import { buildCircuitArtifacts, Prover, releaseCurve, type CircuitArtifacts } from '@mesh/zk';
import { createTestDatabase, type TestDatabase } from '../../../test/support/test-database';
import { EvidenceRejectedError, SpnNotActiveError, StakingRejectedError, type EvidenceRule, type StakingRule } from './errors';
import { createMainnet, type Mainnet } from './mainnet';
import { provenChunks, signedSubmission, type BatchFixture } from './testing/batch-fixtures';

/**
 * Staking, the SPN lifecycle and slashing against a real Postgres, with real Groth16 proofs of the
 * `dev` profile (one batch of two chunks). The mainnet's clock is a variable the tests move.
 */
const CHAIN_ID = 4242;
const SPN = 'spn-staked';
const UNBONDING_MS = 60_000;
const TABLES = [
  'mainnet_account',
  'mainnet_restake',
  'mainnet_unbonding',
  'mainnet_slash',
  'mainnet_spn',
  'mainnet_batch',
  'mainnet_event',
];

let testDb: TestDatabase;
let db: DatabaseHandle;
let artifacts: CircuitArtifacts;
let hasher: Hasher;
let mainnet: Mainnet;
let verificationKey: Record<string, unknown>;
let batch: BatchFixture;
let clock = Date.parse('2026-12-01T00:00:00Z');
const operator = Wallet.createRandom();
const second = Wallet.createRandom();
const poor = Wallet.createRandom();
const nonces = new Map<string, number>();

const genesis = () =>
  new Map([
    [operator.address.toLowerCase(), 1_000n],
    [second.address.toLowerCase(), 500n],
  ]);

async function counts(): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const table of TABLES) out[table] = Number((await db.dataSource.query(`SELECT count(*) AS n FROM ${table}`))[0].n);
  return out;
}

/** Signs an operation with the wallet's next nonce (tracked here), submits it, and counts the nonce on success. */
async function stake(wallet: Signer & { address: string }, kind: StakeOperation['kind'], amount: string, spnId = '') {
  const address = wallet.address.toLowerCase();
  const nonce = nonces.get(address) ?? 0;
  const account = await mainnet.staking.submit(
    await signStakeOperation(wallet, CHAIN_ID, { kind, operator: address, spnId, amount, nonce }),
  );
  nonces.set(address, nonce + 1);
  return account;
}

/** Expects a refusal of `rule` and no change in any table. */
async function expectRefused<E extends StakingRejectedError | EvidenceRejectedError>(
  run: () => Promise<unknown>,
  type: new (...args: any[]) => E,
  rule: StakingRule | EvidenceRule,
  message: RegExp,
): Promise<void> {
  const before = await counts();
  const error = await run().then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(error).toBeInstanceOf(type);
  expect({ rule: (error as E).rule, message: (error as E).message }).toEqual({ rule, message: expect.stringMatching(message) });
  expect(await counts()).toEqual(before);
}

beforeAll(async () => {
  testDb = await createTestDatabase();
  [db, artifacts, hasher] = await Promise.all([openDatabase({ url: testDb.url }), buildCircuitArtifacts('dev'), poseidonHasher()]);
  verificationKey = JSON.parse(readFileSync(artifacts.verificationKeyPath, 'utf8'));
  mainnet = await createMainnet(db.dataSource, {
    chainId: CHAIN_ID,
    hasher,
    now: () => clock,
    unbondingMs: UNBONDING_MS,
    slashBps: 5000,
    genesisBalances: genesis(),
  });
  const prover = await Prover.start(artifacts);
  try {
    const tree = await StateTree.open(new MemoryNodeStore(), { depth: artifacts.profile.depth, hasher });
    const plan = await tree.plan([
      { key: 11n, value: 1n },
      { key: 12n, value: 2n },
      { key: 13n, value: 3n },
    ]);
    const chunks = await provenChunks(prover, hasher, plan, artifacts.profile.chunkSize);
    batch = { spnId: SPN, batchNo: 1, preRoot: plan.oldRoot, postRoot: plan.newRoot, firstBlock: 0, lastBlock: 1, chunks, txData: [] };
  } finally {
    await prover.close();
  }
}, 600_000);

afterAll(async () => {
  await db?.close();
  await testDb?.drop();
  await releaseCurve();
});

describe('genesis balances', () => {
  it('credits the allocation once, and refuses a start with another one', async () => {
    expect((await mainnet.staking.account(operator.address.toLowerCase())).balance).toBe('1000');
    expect((await mainnet.staking.account(second.address.toLowerCase())).balance).toBe('500');
    expect((await mainnet.staking.account(second.address)).address).toBe(second.address.toLowerCase()); // checksummed: the same account
    await expect(mainnet.staking.account('0x12')).rejects.toThrow('address must be a 0x-prefixed 20-byte hex address');
    // A second start with the same allocation (or none) changes nothing.
    await createMainnet(db.dataSource, { chainId: CHAIN_ID, hasher, genesisBalances: genesis() });
    await createMainnet(db.dataSource, { chainId: CHAIN_ID, hasher });
    expect((await mainnet.staking.account(operator.address.toLowerCase())).balance).toBe('1000');
    const other = new Map([[operator.address.toLowerCase(), 2_000n]]);
    await expect(createMainnet(db.dataSource, { chainId: CHAIN_ID, hasher, genesisBalances: other })).rejects.toThrow(ConfigError);
    const events = await db.dataSource.query("SELECT count(*) AS n FROM mainnet_event WHERE kind = 'genesis_balances'");
    expect(Number(events[0].n)).toBe(1);
  });
});

describe('SPN lifecycle and stake operations', () => {
  it('registers an SPN with requirements as proposed, and its batches wait (SPN_NOT_ACTIVE) without being stored', async () => {
    const spn = await mainnet.registry.register({
      spnId: SPN,
      vmKind: 'wasm',
      profile: 'dev',
      verificationKey,
      operator: operator.address,
      endpoint: 'http://127.0.0.1:8081',
      requirements: { minOperators: 2, minRestake: '100' },
    });
    expect(spn).toMatchObject({ status: 'proposed', requirements: { minOperators: 2, minRestake: '100' } });
    const before = await counts();
    await expect(mainnet.settlement.submit(await signedSubmission(operator, CHAIN_ID, batch))).rejects.toThrow(SpnNotActiveError);
    expect(await counts()).toEqual(before);
  });

  it('refuses bad operations with the rule they break, changing nothing', async () => {
    const address = operator.address.toLowerCase();
    const op = { kind: 'bond' as const, operator: address, spnId: '', amount: '10', nonce: 0 };
    await expectRefused(
      async () => mainnet.staking.submit(await signStakeOperation(second, CHAIN_ID, op)),
      StakingRejectedError,
      'signature',
      new RegExp(`signed by ${second.address.toLowerCase()}, not by ${address}`),
    );
    await expectRefused(
      async () => mainnet.staking.submit(await signStakeOperation(operator, CHAIN_ID + 1, op)),
      StakingRejectedError,
      'signature',
      /not by/,
    );
    await expectRefused(
      async () => mainnet.staking.submit(await signStakeOperation(operator, CHAIN_ID, { ...op, nonce: 1 })),
      StakingRejectedError,
      'nonce',
      /nonce must be 0/,
    );
    await expectRefused(
      async () => mainnet.staking.submit(await signStakeOperation(operator, CHAIN_ID, { ...op, amount: '1001' })),
      StakingRejectedError,
      'funds',
      /has 1000 mainnet balance, less than the 1001 to bond/,
    );
    await expectRefused(
      async () => mainnet.staking.submit(await signStakeOperation(operator, CHAIN_ID, { ...op, kind: 'restake', spnId: 'spn-nope' })),
      StakingRejectedError,
      'spn',
      /SPN "spn-nope" is not registered/,
    );
    await expectRefused(
      async () => mainnet.staking.submit(await signStakeOperation(poor, CHAIN_ID, { ...op, operator: poor.address.toLowerCase() })),
      StakingRejectedError,
      'funds',
      /has 0 mainnet balance/,
    );
    await expectRefused(
      async () => mainnet.staking.submit({ ...(await signStakeOperation(operator, CHAIN_ID, op)), amount: '-1' }),
      StakingRejectedError,
      'malformed',
      /amount must be a decimal string/,
    );
    await expectRefused(
      async () => mainnet.staking.submit(await signStakeOperation(operator, CHAIN_ID, { ...op, kind: 'withdraw', amount: '0' })),
      StakingRejectedError,
      'nothingReady',
      /has nothing unbonding/,
    );
  });

  it('activates the SPN once enough operators restaked, its own operator among them', async () => {
    expect(await stake(operator, 'bond', '600')).toMatchObject({ balance: '400', bonded: '600', nonce: 1 });
    expect(await stake(operator, 'restake', '300', SPN)).toMatchObject({ bonded: '300', restakes: [{ spnId: SPN, amount: '300' }] });
    expect((await mainnet.registry.get(SPN))?.status).toBe('proposed'); // one operator of two
    await stake(second, 'bond', '100');
    await stake(second, 'restake', '50', SPN);
    expect((await mainnet.registry.get(SPN))?.status).toBe('proposed'); // 50 < minRestake 100
    await stake(second, 'restake', '50', SPN);
    expect((await mainnet.registry.get(SPN))?.status).toBe('active');
    const details = await mainnet.queries.getSpn(SPN);
    expect(details.operators).toEqual([
      { operator: operator.address.toLowerCase(), restake: '300', qualifies: true },
      { operator: second.address.toLowerCase(), restake: '100', qualifies: true },
    ]);
    const settled = await mainnet.settlement.submit(await signedSubmission(operator, CHAIN_ID, batch));
    expect(settled).toMatchObject({ accepted: true, duplicate: false, batchNo: 1 });
  });

  it('pauses the SPN when a restake falls below the requirements, and unbonding waits out its delay', async () => {
    const account = await stake(second, 'unrestake', '1', SPN);
    expect(account.restakes).toEqual([{ spnId: SPN, amount: '99' }]);
    expect(account.unbonding).toEqual([
      { id: expect.any(Number), amount: '1', spnId: SPN, readyAt: new Date(clock + UNBONDING_MS).toISOString() },
    ]);
    expect((await mainnet.registry.get(SPN))?.status).toBe('paused');
    await expectRefused(
      async () =>
        mainnet.staking.submit(
          await signStakeOperation(second, CHAIN_ID, {
            kind: 'withdraw',
            operator: second.address.toLowerCase(),
            spnId: '',
            amount: '0',
            nonce: nonces.get(second.address.toLowerCase())!,
          }),
        ),
      StakingRejectedError,
      'nothingReady',
      /next unbonding entry is ready at/,
    );
    clock += UNBONDING_MS;
    expect(await stake(second, 'withdraw', '0')).toMatchObject({ balance: '401', unbonding: [] });
    await stake(second, 'bond', '1');
    await stake(second, 'restake', '1', SPN);
    expect((await mainnet.registry.get(SPN))?.status).toBe('active');
    const changes = await db.dataSource.query("SELECT data FROM mainnet_event WHERE kind = 'spn_status_changed' ORDER BY id");
    expect(changes.map((e: { data: { from: string; to: string } }) => `${e.data.from}->${e.data.to}`)).toEqual([
      'proposed->active',
      'active->paused',
      'paused->active',
    ]);
  });
});

describe('slashing', () => {
  /** The batch with its two chunk proofs swapped, signed by the operator: both proofs fail. */
  const swapped = () =>
    signedSubmission(operator, CHAIN_ID, {
      ...batch,
      batchNo: 2,
      chunks: [
        { ...batch.chunks[0], proof: batch.chunks[1].proof },
        { ...batch.chunks[1], proof: batch.chunks[0].proof },
      ],
    });

  it('refuses evidence that proves no fault, changing nothing', async () => {
    await expectRefused(
      async () => mainnet.staking.slash(await signedSubmission(operator, CHAIN_ID, batch)),
      EvidenceRejectedError,
      'noFault',
      /every chunk proof verifies/,
    );
    const bad = await swapped();
    await expectRefused(
      async () => mainnet.staking.slash(await signedSubmission(second, CHAIN_ID, { ...batch, chunks: bad.chunks })),
      EvidenceRejectedError,
      'signature',
      /not signed by the operator of SPN "spn-staked"/,
    );
    await expectRefused(
      async () => mainnet.staking.slash({ ...bad, chunks: batch.chunks }),
      EvidenceRejectedError,
      'chunksHash',
      /not to the signed header.chunksHash/,
    );
    await expectRefused(() => mainnet.staking.slash({ ...bad, extra: 1 }), EvidenceRejectedError, 'malformed', /unknown field\(s\): extra/);
    await expectRefused(
      async () => mainnet.staking.slash({ ...bad, header: { ...bad.header, spnId: 'spn-nope' } }),
      EvidenceRejectedError,
      'spn',
      /SPN "spn-nope" is not registered/,
    );
  });

  it("burns half of the operator's restake and unbonding stake on the SPN, once per signed header, and pauses the SPN", async () => {
    await stake(operator, 'unrestake', '250', SPN); // restake 50, unbonding 250 (still slashable for the SPN)
    const evidence = await swapped();
    const slash = await mainnet.staking.slash(evidence);
    expect(slash).toMatchObject({
      spnId: SPN,
      operator: operator.address.toLowerCase(),
      batchNo: 2,
      failedChunks: [0, 1],
      amount: '150',
    });
    const account = await mainnet.staking.account(operator.address.toLowerCase());
    expect(account.restakes).toEqual([]); // 50 taken first
    expect(account.unbonding.map((u) => u.amount)).toEqual(['150']); // then 100 of the 250
    expect((await mainnet.registry.get(SPN))?.status).toBe('paused'); // its own operator no longer qualifies
    expect(await mainnet.staking.slashesOf(SPN)).toEqual([slash]);
    await expectRefused(() => mainnet.staking.slash(evidence), EvidenceRejectedError, 'duplicate', /already used as evidence/);
    const events = await db.dataSource.query("SELECT data FROM mainnet_event WHERE kind = 'operator_slashed'");
    expect(events).toEqual([{ data: expect.objectContaining({ slashId: slash.id, amount: '150', failedChunks: [0, 1] }) }]);
  });
});

describe('concurrent operations', () => {
  it('applies one of two operations signed with the same nonce and refuses the other', async () => {
    const address = second.address.toLowerCase();
    const nonce = nonces.get(address)!;
    const before = await mainnet.staking.account(address);
    const ops = await Promise.all(
      ['1', '2'].map((amount) => signStakeOperation(second, CHAIN_ID, { kind: 'bond', operator: address, spnId: '', amount, nonce })),
    );
    const results = await Promise.allSettled(ops.map((op) => mainnet.staking.submit(op)));
    const applied = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    const refused = results.flatMap((r) => (r.status === 'rejected' ? [r.reason] : []));
    expect(applied).toHaveLength(1);
    expect(refused).toHaveLength(1);
    expect(refused[0]).toBeInstanceOf(StakingRejectedError);
    expect(refused[0]).toMatchObject({ rule: 'nonce' });
    const after = await mainnet.staking.account(address);
    expect(after).toEqual(applied[0]);
    expect(after.nonce).toBe(before.nonce + 1);
    const moved = BigInt(after.bonded) - BigInt(before.bonded);
    expect([1n, 2n]).toContain(moved);
    expect(BigInt(before.balance) - BigInt(after.balance)).toBe(moved);
  });
});
