import { readFileSync } from 'node:fs';
import { Wallet } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  chunksHash,
  messageResultsHash,
  messagesRoot,
  signBatchHeader,
  signWasmCall,
  signWasmDeploy,
  txDataHash,
  type BatchHeader,
  type SettlementChunkJson,
  type SettlementSubmission,
} from '@mesh/core';
import { HttpError, type SpnClient } from '@mesh/client';
import { TOKEN_PLUGIN } from '@mesh/devnet';
import type { SpnDetails } from '@mesh/mainnet';
import { MemoryNodeStore, poseidonHasher, StateTree } from '@mesh/state';
import { MainnetClient, MainnetRejectedError } from '@mesh/transport';
import { buildCircuitArtifacts, chunkSteps, Prover } from '@mesh/zk';
import { startWasmDevnet, type WasmDevnetFixture } from '../support/wasm-devnet';

let fx: WasmDevnetFixture;

beforeAll(async () => {
  fx = await startWasmDevnet(1_000n);
});

afterAll(async () => {
  await fx?.stop();
});

/** Everything a bad request must leave untouched. */
async function snapshot(spn: SpnClient, address: string) {
  const { height, stateRoot, pending, lastBatch } = await spn.status();
  return {
    height,
    stateRoot,
    pending,
    lastBatch,
    nonce: await spn.nextNonce(address),
    balance: (await spn.state(TOKEN_PLUGIN, `bal:${address.toLowerCase()}`)).u64,
  };
}

async function rejection(request: Promise<unknown>): Promise<{ status: number; message: string }> {
  try {
    await request;
  } catch (err) {
    if (err instanceof HttpError) return { status: err.status, message: String((err.body as { message?: unknown })?.message ?? err.body) };
    throw err;
  }
  throw new Error('the request was accepted');
}

describe('SPN ingress refuses bad input with a clear error and no state change', () => {
  it('malformed JSON, bad signature, wrong chain or SPN id, replayed and skipped nonce, oversized tx, unknown plugin or method, invalid wasm', async () => {
    const spn = fx.spn;
    const alice = fx.accounts[1];
    const bob = fx.accounts[2].address.toLowerCase();
    const domain = spn.domain;
    const nonce = await spn.nextNonce(alice.address);
    const transfer = {
      from: alice.address.toLowerCase(),
      nonce,
      plugin: TOKEN_PLUGIN,
      method: 'transfer',
      args: [bob, '1'],
      gasLimit: 200_000n,
    };
    const before = await snapshot(spn, alice.address);

    const raw = await fetch(`${spn.baseUrl}/tx`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"chainId": 4242, "call": ',
    });
    expect(raw.status).toBe(400);
    expect(JSON.stringify(await raw.json())).toMatch(/JSON/i);

    const cases: [string, unknown, RegExp][] = [
      [
        'bad signature',
        { ...(await signWasmCall(fx.accounts[3], domain, transfer)) },
        /bad signature: signed by 0x[0-9a-f]{40}, not by from/,
      ],
      ['wrong chain id', await signWasmCall(alice, { ...domain, chainId: 1 }, transfer), /wrong chain id/],
      ['wrong SPN id', await signWasmCall(alice, { ...domain, spnId: 'other-spn' }, transfer), /wrong SPN id/],
      [
        'skipped nonce',
        await signWasmCall(alice, domain, { ...transfer, nonce: nonce + 5n }),
        /nonce \d+ of 0x[0-9a-f]{40} skips ahead \(next nonce is \d+\)/,
      ],
      [
        'oversized tx',
        await signWasmCall(alice, domain, { ...transfer, args: [bob, '1', 'x'.repeat(20_000)] }),
        /transaction is \d+ bytes, the limit is \d+/,
      ],
      ['unknown plugin', await signWasmCall(alice, domain, { ...transfer, plugin: 'nope' }), /unknown plugin "nope"/],
      ['unknown method', await signWasmCall(alice, domain, { ...transfer, method: 'steal' }), /plugin "token" has no method "steal"/],
      ['gas limit too high', await signWasmCall(alice, domain, { ...transfer, gasLimit: 10n ** 12n }), /gasLimit \d+ exceeds the maximum/],
      [
        'declared key too long',
        await signWasmCall(alice, domain, { ...transfer, writes: ['bal:' + 'x'.repeat(70)] }),
        /call.writes: a storage key must be 1 to 64 bytes, got 74/,
      ],
      ['unknown field', { ...(await signWasmCall(alice, domain, transfer)), admin: true }, /unknown field\(s\): admin/],
    ];
    for (const [name, body, reason] of cases) {
      const { status, message } = await rejection(spn.send(body as never));
      expect(status, name).toBe(400);
      expect(message, name).toMatch(reason);
    }

    // Uploads: bytes that are not wasm, and a module importing something outside the host ABI (env.seed).
    const notWasm = new TextEncoder().encode('this is not a wasm module');
    const importsSeed = new Uint8Array([
      0x00,
      0x61,
      0x73,
      0x6d,
      0x01,
      0x00,
      0x00,
      0x00, // magic, version
      0x01,
      0x05,
      0x01,
      0x60,
      0x00,
      0x01,
      0x7c, // type section: () -> f64
      0x02,
      0x0c,
      0x01,
      0x03,
      0x65,
      0x6e,
      0x76,
      0x04,
      0x73,
      0x65,
      0x65,
      0x64,
      0x00,
      0x00, // import env.seed
    ]);
    for (const [code, reason] of [
      [notWasm, /not a valid WebAssembly module/],
      [importsSeed, /env\.seed/],
    ] as const) {
      const upload = await signWasmDeploy(alice, domain, { from: transfer.from, nonce, name: 'junk', gasLimit: 1_000_000n }, code);
      const refused = await rejection(
        fetch(`${spn.baseUrl}/plugins`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(upload),
        }).then(async (r) => {
          if (!r.ok) throw new HttpError(r.status, await r.json(), r.url);
        }),
      );
      expect(refused.status).toBe(400);
      expect(refused.message).toMatch(reason);
    }

    expect(await snapshot(spn, alice.address)).toEqual(before);

    // A replayed transaction: the first copy is accepted, a different tx with the same nonce is refused.
    const first = await spn.send(await signWasmCall(alice, domain, transfer));
    expect(await spn.send(await signWasmCall(alice, domain, transfer))).toBe(first); // the same tx again: same hash, stored once
    const replay = await rejection(spn.send(await signWasmCall(alice, domain, { ...transfer, args: [bob, '2'] })));
    expect(replay).toEqual({ status: 400, message: expect.stringMatching(/nonce \d+ of 0x[0-9a-f]{40} was already used/) });
    expect((await spn.waitFor(first, ['included', 'settled'])).receipt?.status).toBe('success');
  });

  it('an endless loop runs out of gas: the tx fails with its reason, gas is charged, state is unchanged', async () => {
    const spn = fx.spn;
    const owner = fx.accounts[0];
    let nonce = await spn.nextNonce(owner.address);
    const counterWasm = new Uint8Array(readFileSync('libs/sdk-as/examples/counter/build/plugin.wasm'));
    const deployed = await spn.waitFor(await spn.deploy(owner, 'counter', counterWasm, nonce++), ['included', 'settled', 'failed']);
    expect(deployed.receipt?.status).toBe('success');
    const rootBefore = (await spn.status()).stateRoot;

    const spin = await spn.waitFor(
      await spn.call(owner, { plugin: 'counter', method: 'spin', args: [], nonce: nonce++, gasLimit: 200_000n }),
      ['failed'],
    );
    expect(spin.receipt).toMatchObject({ status: 'out_of_gas', gasUsed: '200000' });
    expect(spin.receipt?.error).toMatch(/gas/i);
    expect((await spn.status()).stateRoot).toBe(rootBefore);
  });
});

describe('mainnet settlement refuses bad batches over the transport, storing nothing', () => {
  it('tampered proof, batch number gap, wrong preRoot, diff not matching its diffHash, non-operator signature', async () => {
    const artifacts = await buildCircuitArtifacts('dev', { buildIfMissing: false });
    const operator = Wallet.createRandom();
    const client = new MainnetClient({ kind: 'tcp', host: '127.0.0.1', port: fx.devnet.mainnetTcpPort, natsUrl: '' });
    const prover = await Prover.start(artifacts);
    try {
      const spnId = 'e2e-shadow';
      await client.registerSpn({
        spnId,
        vmKind: 'wasm',
        profile: 'dev',
        verificationKey: JSON.parse(readFileSync(artifacts.verificationKeyPath, 'utf8')),
        operator: operator.address.toLowerCase(),
        endpoint: 'http://127.0.0.1:1',
      });
      const hasher = await poseidonHasher();
      const tree = await StateTree.open(new MemoryNodeStore(), { depth: artifacts.profile.depth, hasher });
      const plan = await tree.plan([
        { key: 11n, value: 1n },
        { key: 12n, value: 2n },
        { key: 13n, value: 3n },
      ]);
      const chunks: SettlementChunkJson[] = [];
      for (const chunk of chunkSteps(hasher, plan.steps, artifacts.profile.chunkSize, plan.oldRoot)) {
        const { proof } = await prover.proveChunk(chunk);
        const s = chunk.statement;
        chunks.push({
          statement: { oldRoot: String(s.oldRoot), newRoot: String(s.newRoot), diffHash: String(s.diffHash), chunkIndex: s.chunkIndex },
          proof,
          updates: chunk.steps.map((u) => ({
            index: u.index,
            key: String(u.key),
            oldValue: String(u.oldValue),
            newValue: String(u.newValue),
          })),
        });
      }
      const txData = [{ note: 'shadow batch' }];
      const header = (c: SettlementChunkJson[], over: Partial<BatchHeader> = {}): BatchHeader => ({
        spnId,
        batchNo: 1,
        preRoot: String(plan.oldRoot),
        postRoot: String(plan.newRoot),
        firstBlock: 1,
        lastBlock: 1,
        chunksHash: chunksHash(c),
        txDataHash: txDataHash(txData),
        messagesRoot: messagesRoot([]),
        resultsHash: messageResultsHash([]),
        ...over,
      });
      const submission = async (
        c: SettlementChunkJson[],
        over: Partial<BatchHeader> = {},
        signer = operator,
      ): Promise<SettlementSubmission> => {
        const h = header(c, over);
        return { header: h, chunks: c, txData, messages: [], results: [], signature: await signBatchHeader(signer, fx.devnet.chainId, h) };
      };
      const tamperedProof = structuredClone(chunks);
      (tamperedProof[0].proof as { pi_a: string[] }).pi_a[0] = String(BigInt((chunks[0].proof as { pi_a: string[] }).pi_a[0]) + 1n);
      const wrongDiff = structuredClone(chunks);
      wrongDiff[0].updates[0].newValue = '999';

      const cases: [string, SettlementSubmission, RegExp][] = [
        ['tampered proof', await submission(tamperedProof), /proof/i],
        ['batch number gap', await submission(chunks, { batchNo: 2 }), /batch/i],
        ['wrong preRoot', await submission(chunks, { preRoot: '12345' }), /preRoot/i],
        ['diff not matching its diffHash', await submission(wrongDiff), /diff/i],
        ['signed by a non-operator', await submission(chunks, {}, Wallet.createRandom()), /operator/i],
      ];
      for (const [name, bad, reason] of cases) {
        const err = await client.submitBatch(bad).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(err, name).toBeInstanceOf(MainnetRejectedError);
        expect((err as Error).message, name).toMatch(reason);
        const record = await fx.mainnet.spn<SpnDetails>(spnId);
        expect(record.lastBatchNo, name).toBe(0);
        expect(record.lastRoot, name).toBe(record.genesisRoot);
      }
      expect(await client.submitBatch(await submission(chunks))).toMatchObject({ accepted: true, duplicate: false });
      expect(await client.submitBatch(await submission(chunks))).toMatchObject({ accepted: true, duplicate: true });
      expect((await fx.mainnet.spn<SpnDetails>(spnId)).lastRoot).toBe(String(plan.newRoot));
    } finally {
      await prover.close();
      await client.close();
    }
  });
});
