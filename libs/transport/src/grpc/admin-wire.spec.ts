import { status as GrpcStatus } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { InvalidInputError, MeshError, NotFoundError } from '@mesh/core';
import type { AccountRecord, BatchRecord, BlockRecord, SpnDetails } from '@mesh/mainnet';
import {
  fromGrpcBatch,
  fromGrpcBlock,
  fromGrpcSpnDetails,
  fromGrpcSpnPage,
  fromRegisterSpnInput,
  toGrpcBatch,
  toGrpcBlock,
  toGrpcError,
  toGrpcSpnDetails,
  toGrpcSpnPage,
  toRegisterSpnInput,
  fromGrpcAccount,
  MESH_CODE_METADATA,
  toGrpcAccount,
} from './admin-wire';

const spn: SpnDetails = {
  spnId: 'spn-1',
  vmKind: 'evm',
  profile: 'dev',
  depth: 12,
  chunkSize: 2,
  operator: '0x5e1ec7ed00000000000000000000000000000001',
  endpoint: 'http://127.0.0.1:8081',
  status: 'active',
  requirements: { minOperators: 2, minRestake: '100' },
  verificationKeyHash: '0x' + 'ab'.repeat(32),
  genesisRoot: '123',
  lastBatchNo: 0,
  lastRoot: '123',
  lastBlock: null,
  registeredAt: '2026-12-07T15:00:00.000Z',
  verificationKey: { protocol: 'groth16', curve: 'bn128', nPublic: 4 },
  operators: [{ operator: '0x5e1ec7ed00000000000000000000000000000001', restake: '300', qualifies: true }],
};

describe('gRPC admin wire format', () => {
  it('carries SPNs, pages, batches and blocks both ways unchanged; null is an unset optional field', () => {
    const wire = toGrpcSpnDetails(spn);
    expect(wire.spn.lastBlock).toBeUndefined();
    expect(JSON.parse(wire.verificationKeyJson)).toEqual(spn.verificationKey);
    expect(fromGrpcSpnDetails(wire)).toEqual(spn);
    const { verificationKey: _key, operators: _operators, ...record } = spn;
    const settled = { ...record, lastBatchNo: 3, lastBlock: 17 };
    expect(fromGrpcSpnPage(toGrpcSpnPage({ items: [settled], nextOffset: 20 }))).toEqual({ items: [settled], nextOffset: 20 });
    expect(fromGrpcSpnPage(toGrpcSpnPage({ items: [], nextOffset: null }))).toEqual({ items: [], nextOffset: null });

    const batch: BatchRecord = {
      spnId: 'spn-1',
      batchNo: 2,
      preRoot: '1',
      postRoot: '2',
      firstBlock: 5,
      lastBlock: 9,
      chunksHash: '0x01',
      txDataHash: '0x02',
      chunkCount: 1,
      updateCount: 2,
      txCount: 3,
      settledAt: '2026-12-07T15:00:00.000Z',
      mainnetBlock: null,
      header: { spnId: 'spn-1', batchNo: 2 } as BatchRecord['header'],
      signature: '0xsig',
      chunks: [{ index: 0 }] as unknown as BatchRecord['chunks'],
      txData: [{ tx: 1 }, 'raw'],
    };
    expect(fromGrpcBatch(toGrpcBatch(batch))).toEqual(batch);
    expect(fromGrpcBatch(toGrpcBatch({ ...batch, mainnetBlock: 4 }))).toEqual({ ...batch, mainnetBlock: 4 });

    const block: BlockRecord = {
      number: 4,
      parentHash: '0x00',
      hash: '0x01',
      timestamp: 1_796_655_600_000,
      eventCount: 2,
      events: [
        { id: 7, kind: 'spn_registered', spnId: 'spn-1', batchNo: null, data: { operator: spn.operator } },
        { id: 8, kind: 'batch_settled', spnId: 'spn-1', batchNo: 2, data: {} },
      ],
    };
    expect(fromGrpcBlock(toGrpcBlock(block))).toEqual(block);

    const account: AccountRecord = {
      address: spn.operator,
      balance: '700',
      bonded: '0',
      nonce: 3,
      restakes: [{ spnId: 'spn-1', amount: '300' }],
      unbonding: [
        { id: 1, amount: '5', spnId: 'spn-1', readyAt: '2026-12-08T15:00:00.000Z' },
        { id: 2, amount: '6', spnId: null, readyAt: '2026-12-08T16:00:00.000Z' },
      ],
    };
    expect(toGrpcAccount(account).unbonding[1].spnId).toBeUndefined();
    expect(fromGrpcAccount(toGrpcAccount(account))).toEqual(account);
  });

  it('reads a registration; a verification key that is not JSON is refused naming the field', () => {
    const { verificationKey, ...rest } = spn;
    const input = {
      spnId: rest.spnId,
      vmKind: rest.vmKind,
      profile: rest.profile,
      verificationKey,
      operator: rest.operator,
      endpoint: rest.endpoint,
    };
    expect(toRegisterSpnInput(fromRegisterSpnInput(input))).toEqual(input);
    const required = { ...input, requirements: { minOperators: 1, minRestake: '5' } };
    expect(toRegisterSpnInput(fromRegisterSpnInput(required))).toEqual(required);
    expect(() => toRegisterSpnInput({ ...fromRegisterSpnInput(input), verificationKeyJson: '{oops' })).toThrow(
      new InvalidInputError('verification_key_json must be JSON text'),
    );
  });

  it('maps typed errors to gRPC status codes with their reason; anything else is INTERNAL', () => {
    const invalid = toGrpcError(new InvalidInputError('limit must be an integer from 1 to 100'));
    expect(invalid).toMatchObject({ code: GrpcStatus.INVALID_ARGUMENT, message: 'limit must be an integer from 1 to 100' });
    expect(invalid.metadata?.get(MESH_CODE_METADATA)).toEqual(['INVALID_INPUT']);
    // Refusals that share FAILED_PRECONDITION keep their own code in the metadata.
    for (const code of ['SETTLEMENT_REJECTED', 'STAKING_REJECTED', 'EVIDENCE_REJECTED', 'SPN_NOT_ACTIVE']) {
      const error = toGrpcError(new MeshError(code, 'refused'));
      expect([error.code, error.metadata?.get(MESH_CODE_METADATA)]).toEqual([GrpcStatus.FAILED_PRECONDITION, [code]]);
    }
    expect(toGrpcError(new NotFoundError('SPN "x" is not registered')).code).toBe(GrpcStatus.NOT_FOUND);
    // libs/mainnet's SpnConflictError and SettlementRejectedError, libs/persistence's DatabaseError
    expect(toGrpcError(new MeshError('SPN_CONFLICT', 'SPN "x" is already registered with another endpoint')).code).toBe(
      GrpcStatus.ALREADY_EXISTS,
    );
    expect(toGrpcError(new MeshError('SETTLEMENT_REJECTED', 'bad signature')).code).toBe(GrpcStatus.FAILED_PRECONDITION);
    expect(toGrpcError(new MeshError('DATABASE', 'connection refused')).code).toBe(GrpcStatus.UNAVAILABLE);
    expect(toGrpcError(new MeshError('SOMETHING_NEW', 'x')).code).toBe(GrpcStatus.INTERNAL);
    expect(toGrpcError(new TypeError('boom'))).toEqual({ code: GrpcStatus.INTERNAL, message: 'internal mainnet error: boom' });
  });
});
