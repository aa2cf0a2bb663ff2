import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { credentials, loadPackageDefinition } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import type { AddressInfo, Server } from 'node:net';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { MicroserviceOptions } from '@nestjs/microservices';
import { Wallet } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  chunksHash,
  messageLeaf,
  messageResultsHash,
  messagesRoot,
  signBatchHeader,
  signStakeOperation,
  txDataHash,
  verifyMessageProof,
  type BatchHeader,
  type CrossMessage,
  type StakeOperation,
} from '@mesh/core';
import { findFreePort } from '@mesh/persistence';
import {
  MainnetAdminClient,
  mainnetAdminGrpcServerOptions,
  MainnetClient,
  MainnetRejectedError,
  mainnetTransportOptions,
  MainnetUnavailableError,
} from '@mesh/transport';
import { buildCircuitArtifacts, releaseCurve } from '@mesh/zk';
import { selfSignedCert, type TestCert } from '../../../test/support/tls-cert';
import { createTestDatabase, type TestDatabase } from '../../../test/support/test-database';
import { loadMainnetConfig } from './mainnet-config';
import { MainnetModule } from './mainnet.module';
import { setupOpenApi } from './openapi';

/** The mainnet app as main.ts wires it (HTTP + TCP microservice + gRPC admin API) on a test database. */
let testDb: TestDatabase;
let app: INestApplication;
let base: string;
let client: MainnetClient;
let admin: MainnetAdminClient;
let grpcAddress: string;
let grpcTlsAddress: string;
let tlsCert: TestCert;
let verificationKey: Record<string, unknown>;
const operator = Wallet.createRandom();
const stranger = Wallet.createRandom();
const CHAIN_ID = 4242;

/** The app runs with MAINNET_ADMIN_TOKEN; `http` sends it unless told otherwise. */
const ADMIN_TOKEN = 'test-admin-token-0123456789';

async function http(
  method: string,
  path: string,
  body?: unknown,
  authorization: string | null = `Bearer ${ADMIN_TOKEN}`,
): Promise<{ status: number; body: any }> {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: {
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(authorization === null ? {} : { authorization }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // html
  }
  return { status: response.status, body: parsed };
}

const registration = () => ({
  spnId: 'spn-app',
  vmKind: 'wasm',
  profile: 'dev',
  verificationKey,
  operator: operator.address,
  endpoint: 'http://127.0.0.1:8081',
});

beforeAll(async () => {
  testDb = await createTestDatabase();
  const artifacts = await buildCircuitArtifacts('dev');
  verificationKey = JSON.parse(readFileSync(artifacts.verificationKeyPath, 'utf8'));
  const config = loadMainnetConfig({
    DATABASE_URL: testDb.url,
    PORT: '0',
    MAINNET_TCP_PORT: '0',
    MAINNET_BLOCK_MS: '50',
    LOG_LEVEL: 'error',
    MAINNET_GENESIS_BALANCES: `${operator.address}=1000`,
    MAINNET_ADMIN_TOKEN: ADMIN_TOKEN,
  });
  app = await NestFactory.create(MainnetModule.forRoot(config), { logger: ['error'] });
  setupOpenApi(app);
  const microservice = app.connectMicroservice<MicroserviceOptions>(mainnetTransportOptions(config.transport));
  grpcAddress = `127.0.0.1:${await findFreePort('127.0.0.1')}`;
  app.connectMicroservice<MicroserviceOptions>(mainnetAdminGrpcServerOptions(grpcAddress));
  // The same API over TLS (MAINNET_GRPC_TLS_CERT / _KEY), with a throwaway certificate for 127.0.0.1.
  tlsCert = selfSignedCert();
  grpcTlsAddress = `127.0.0.1:${await findFreePort('127.0.0.1')}`;
  app.connectMicroservice<MicroserviceOptions>(
    mainnetAdminGrpcServerOptions(grpcTlsAddress, { certChain: tlsCert.cert, privateKey: tlsCert.key }),
  );
  await app.init();
  await app.startAllMicroservices();
  await app.listen(0, '127.0.0.1');
  base = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  const tcpPort = (microservice.unwrap<Server>().address() as AddressInfo).port;
  client = new MainnetClient({ ...config.transport, port: tcpPort }, { timeoutMs: 10_000 });
  admin = new MainnetAdminClient(grpcAddress, { timeoutMs: 10_000, adminToken: ADMIN_TOKEN });
});

afterAll(async () => {
  admin?.close();
  await client?.close();
  await app?.close();
  await testDb?.drop();
  await releaseCurve();
});

describe('mainnet REST API', () => {
  it('keeps GET /health and serves the OpenAPI UI at /docs and its JSON at /docs-json', async () => {
    expect((await http('GET', '/health')).body).toMatchObject({ status: 'ok' });
    const ui = await fetch(`${base}/docs`);
    expect(ui.status).toBe(200);
    expect(ui.headers.get('content-type')).toMatch(/text\/html/);
    const doc = (await http('GET', '/docs-json')).body;
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/spns', '/spns/{id}', '/spns/{id}/batches', '/spns/{id}/batches/{n}', '/blocks', '/blocks/{n}']),
    );
    expect(doc.components.schemas.RegisterSpnDto.required).toEqual(expect.arrayContaining(['spnId', 'verificationKey', 'operator']));
  });

  it('answers unknown or malformed fields with 400 and the reason', async () => {
    expect(await http('GET', '/spns?foo=1')).toEqual({
      status: 400,
      body: { statusCode: 400, error: 'Bad Request', message: 'property foo should not exist' },
    });
    expect((await http('GET', '/spns?limit=101')).body.message).toBe('limit must not be greater than 100');
    expect((await http('GET', '/blocks?before=x')).body.message).toMatch(/before must be an integer number/);
    expect((await http('GET', '/spns/Not_An_Id')).body).toMatchObject({
      statusCode: 400,
      message: 'id must be 1 to 32 characters a-z, 0-9 or -',
    });
    expect((await http('GET', '/blocks/abc')).status).toBe(400);
    const unknownField = await http('POST', '/spns', { ...registration(), genesisRoot: '1' });
    expect(unknownField).toEqual({
      status: 400,
      body: { statusCode: 400, error: 'Bad Request', message: 'property genesisRoot should not exist' },
    });
    const badAddress = await http('POST', '/spns', { ...registration(), operator: '0x12' });
    expect(badAddress.body.message).toBe('operator must be a 0x-prefixed 20-byte hex address');
    const badKey = await http('POST', '/spns', { ...registration(), verificationKey: { ...verificationKey, nPublic: 3 } });
    expect(badKey).toMatchObject({ status: 400, body: { code: 'INVALID_INPUT', message: expect.stringMatching(/nPublic must be 4/) } });
  });

  it('registers an SPN idempotently and answers a conflicting registration with 409', async () => {
    const created = await http('POST', '/spns', registration());
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ spnId: 'spn-app', status: 'active', lastBatchNo: 0, operator: operator.address.toLowerCase() });
    expect((await http('POST', '/spns', registration())).body).toEqual(created.body);
    const conflict = await http('POST', '/spns', { ...registration(), endpoint: 'http://elsewhere:1' });
    expect(conflict).toEqual({
      status: 409,
      body: {
        statusCode: 409,
        error: 'Conflict',
        code: 'SPN_CONFLICT',
        message: 'SPN "spn-app" is already registered with another endpoint',
      },
    });
    expect((await http('GET', '/spns')).body).toEqual({ items: [created.body], nextOffset: null });
    expect((await http('GET', '/spns/spn-app')).body).toEqual({ ...created.body, verificationKey, operators: [] });
    expect(await http('GET', '/spns/nobody')).toEqual({
      status: 404,
      body: { statusCode: 404, error: 'Not Found', code: 'NOT_FOUND', message: 'SPN "nobody" is not registered' },
    });
  });

  it('registers SPNs only with the admin token (MAINNET_ADMIN_TOKEN): 401 with the reason otherwise; reads stay open', async () => {
    const without = await http('POST', '/spns', { ...registration(), spnId: 'spn-noauth' }, null);
    expect(without).toEqual({
      status: 401,
      body: {
        statusCode: 401,
        error: 'Unauthorized',
        code: 'UNAUTHORIZED',
        message: 'this operation needs the admin token: send "Authorization: Bearer <MAINNET_ADMIN_TOKEN>"',
      },
    });
    for (const wrong of [`Bearer ${ADMIN_TOKEN}x`, ADMIN_TOKEN, 'Basic abc']) {
      expect(await http('POST', '/spns', { ...registration(), spnId: 'spn-noauth' }, wrong)).toMatchObject({
        status: 401,
        body: { message: 'the admin token is not valid' },
      });
    }
    expect((await http('GET', '/spns/spn-noauth', undefined, null)).status).toBe(404);
    expect((await http('GET', '/spns', undefined, null)).status).toBe(200);
    const stranger = new MainnetAdminClient(grpcAddress, { timeoutMs: 10_000 });
    try {
      const refused = await stranger.registerSpn({ ...registration(), spnId: 'spn-noauth' } as never).catch((err: unknown) => err);
      expect(refused).toBeInstanceOf(MainnetRejectedError);
      expect(refused).toMatchObject({ mainnetCode: 'UNAUTHORIZED' });
      expect((await stranger.listSpns()).items.map((s) => s.spnId)).not.toContain('spn-noauth');
    } finally {
      stranger.close();
    }
  });

  it('registers an SPN with requirements as proposed; bad requirements are a 400 with the reason', async () => {
    const required = { ...registration(), spnId: 'spn-req', requirements: { minOperators: 2, minRestake: '500' } };
    const created = await http('POST', '/spns', required);
    expect(created).toMatchObject({ status: 201, body: { status: 'proposed', requirements: { minOperators: 2, minRestake: '500' } } });
    expect(await http('POST', '/spns', { ...required, requirements: { minOperators: 1 } })).toMatchObject({
      status: 409,
      body: { message: 'SPN "spn-req" is already registered with another requirements' },
    });
    const bad = { ...registration(), spnId: 'spn-bad-req' };
    expect(await http('POST', '/spns', { ...bad, requirements: { minOperators: -1 } })).toMatchObject({
      status: 400,
      body: { message: 'requirements.minOperators must be an integer from 0 to 100' },
    });
    expect(await http('POST', '/spns', { ...bad, requirements: { minOperators: 1, minRestake: 'x' } })).toMatchObject({
      status: 400,
      body: { message: 'requirements.minRestake must be a decimal string of base units' },
    });
    expect(await http('POST', '/spns', { ...bad, requirements: { minOperators: 0, minRestake: '5' } })).toMatchObject({
      status: 400,
      body: { code: 'INVALID_INPUT', message: 'requirements.minRestake needs minOperators of 1 or more' },
    });
    expect((await http('GET', '/spns/spn-bad-req')).status).toBe(404);
  });
});

describe('mainnet TCP transport (MainnetClient)', () => {
  it('registers, reads and settles over TCP; a refusal comes back as MainnetRejectedError with its reason', async () => {
    const spn = await client.registerSpn(registration() as never);
    expect(spn.spnId).toBe('spn-app');
    expect(await client.getSpn('spn-app')).toEqual(spn);
    expect(await client.getSpn('nobody')).toBeUndefined();

    // A batch without state changes (no chunks, preRoot = postRoot) is valid: it settles blocks 0..1.
    const header: BatchHeader = {
      spnId: 'spn-app',
      batchNo: 1,
      preRoot: spn.genesisRoot,
      postRoot: spn.genesisRoot,
      firstBlock: 0,
      lastBlock: 1,
      chunksHash: chunksHash([]),
      txDataHash: txDataHash([{ note: 'empty block' }]),
      messagesRoot: messagesRoot([]),
      resultsHash: messageResultsHash([]),
    };
    const submission = {
      header,
      chunks: [],
      txData: [{ note: 'empty block' }],
      messages: [],
      results: [],
      signature: await signBatchHeader(operator, CHAIN_ID, header),
    };
    const forged = { ...submission, signature: await signBatchHeader(stranger, CHAIN_ID, header) };
    const refused = await client.submitBatch(forged).catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(MainnetRejectedError);
    expect(refused).toMatchObject({ mainnetCode: 'SETTLEMENT_REJECTED', details: expect.objectContaining({ rule: 'signature' }) });
    expect((refused as Error).message).toMatch(
      /^settlement rejected: the header is signed by 0x[0-9a-f]{40}, not by the operator of SPN "spn-app"/,
    );

    expect(await client.submitBatch(submission)).toEqual({ accepted: true, duplicate: false, batchNo: 1, postRoot: spn.genesisRoot });
    expect(await client.submitBatch(submission)).toEqual({ accepted: true, duplicate: true, batchNo: 1, postRoot: spn.genesisRoot });
  });

  it('shows the settled batch and the blocks that finalized it over REST', async () => {
    let batches = (await http('GET', '/spns/spn-app/batches')).body;
    for (let i = 0; i < 100 && batches.items[0]?.mainnetBlock === null; i++) {
      await new Promise((wait) => setTimeout(wait, 50));
      batches = (await http('GET', '/spns/spn-app/batches')).body;
    }
    expect(batches).toMatchObject({
      items: [{ spnId: 'spn-app', batchNo: 1, chunkCount: 0, txCount: 1, mainnetBlock: expect.any(Number) }],
      nextBefore: null,
    });
    const full = (await http('GET', '/spns/spn-app/batches/1')).body;
    expect(full).toMatchObject({ batchNo: 1, chunks: [], txData: [{ note: 'empty block' }], header: { batchNo: 1 } });
    expect((await http('GET', '/spns/spn-app/batches/2')).status).toBe(404);

    const blocks = (await http('GET', '/blocks')).body;
    expect(blocks.items.length).toBeGreaterThanOrEqual(1);
    expect(blocks.items.at(-1)).toMatchObject({ number: 0, parentHash: '0x' + '00'.repeat(32) });
    const block = (await http('GET', `/blocks/${batches.items[0].mainnetBlock}`)).body;
    expect(block.events).toEqual(
      expect.arrayContaining([expect.objectContaining({ kind: 'batch_settled', spnId: 'spn-app', batchNo: 1 })]),
    );
    expect((await http('GET', '/blocks/999999')).status).toBe(404);
  });
});

describe('staking and slashing over REST and gRPC', () => {
  const address = operator.address.toLowerCase();
  const op = (kind: StakeOperation['kind'], amount: string, nonce: number, spnId = '') =>
    signStakeOperation(operator, CHAIN_ID, { kind, operator: address, spnId, amount, nonce });
  /** A signed batch of SPN spn-app without chunks: nothing to prove wrong. */
  const honestBatch = async () => {
    const spn = await admin.getSpn('spn-app');
    const header: BatchHeader = {
      spnId: 'spn-app',
      batchNo: 7,
      preRoot: spn.genesisRoot,
      postRoot: spn.genesisRoot,
      firstBlock: 10,
      lastBlock: 11,
      chunksHash: chunksHash([]),
      txDataHash: txDataHash([]),
      messagesRoot: messagesRoot([]),
      resultsHash: messageResultsHash([]),
    };
    return { header, chunks: [], txData: [], messages: [], results: [], signature: await signBatchHeader(operator, CHAIN_ID, header) };
  };

  it('credits the genesis balance, applies signed operations, and refuses a replay with 422 and the reason', async () => {
    expect((await http('GET', `/accounts/${operator.address}`)).body).toEqual({
      address,
      balance: '1000',
      bonded: '0',
      nonce: 0,
      restakes: [],
      unbonding: [],
    });
    const bond = await op('bond', '100', 0);
    const bonded = await http('POST', '/staking/operations', bond);
    expect(bonded).toMatchObject({ status: 200, body: { balance: '900', bonded: '100', nonce: 1 } });
    expect(await http('POST', '/staking/operations', bond)).toMatchObject({
      status: 422,
      body: { code: 'STAKING_REJECTED', message: "stake operation rejected: nonce must be 1 (the account's next), got 0" },
    });
    expect(await http('POST', '/staking/operations', { ...(await op('bond', '1', 1)), amount: 'lots' })).toMatchObject({
      status: 400,
      body: { message: 'amount must be a decimal string of base units' },
    });
    expect(await http('POST', '/staking/operations', { ...(await op('bond', '1', 1)), extra: true })).toMatchObject({
      status: 400,
      body: { message: 'property extra should not exist' },
    });
    expect((await http('GET', '/accounts/0x1234')).status).toBe(400);
    expect((await http('GET', `/accounts/${operator.address}`)).body).toMatchObject({ balance: '900', nonce: 1 });
  });

  it('restakes over gRPC with the same records as REST; a refusal keeps its mesh code', async () => {
    const params = (await http('GET', '/staking')).body;
    expect(params).toEqual({ chainId: CHAIN_ID, unbondingMs: 604_800_000, slashBps: 5000 });
    expect(await admin.getStakingParams()).toEqual(params);
    const account = await admin.submitStakeOperation(await op('restake', '60', 1, 'spn-app'));
    expect(account).toMatchObject({ bonded: '40', nonce: 2, restakes: [{ spnId: 'spn-app', amount: '60' }] });
    expect(await admin.getAccount(operator.address)).toEqual((await http('GET', `/accounts/${address}`)).body);
    expect((await http('GET', '/spns/spn-app')).body).toMatchObject({
      status: 'active',
      requirements: { minOperators: 0, minRestake: '0' },
      operators: [{ operator: address, restake: '60', qualifies: true }],
    });
    const tooMuch = await admin.submitStakeOperation(await op('unbond', '41', 2)).catch((err: unknown) => err);
    expect(tooMuch).toBeInstanceOf(MainnetRejectedError);
    expect(tooMuch).toMatchObject({ mainnetCode: 'STAKING_REJECTED', message: expect.stringMatching(/has 40 bonded stake not restaked/) });
  });

  it('refuses evidence that proves no fault (REST 422, gRPC EVIDENCE_REJECTED), slashing nothing', async () => {
    const evidence = await honestBatch();
    expect(await http('POST', '/slashes', evidence)).toMatchObject({
      status: 422,
      body: { code: 'EVIDENCE_REJECTED', message: expect.stringMatching(/every chunk proof verifies.*no fault/) },
    });
    expect(await admin.submitEvidence(evidence).catch((err: unknown) => err)).toMatchObject({ mainnetCode: 'EVIDENCE_REJECTED' });
    expect(await http('POST', '/slashes', { ...evidence, chunks: 'none' })).toMatchObject({ status: 400 });
    expect((await http('GET', '/spns/spn-app/slashes')).body).toEqual([]);
    expect(await admin.listSlashes('spn-app')).toEqual([]);
    expect((await http('GET', '/spns/nobody/slashes')).status).toBe(404);
  });
});

describe('mainnet gRPC admin API (MainnetAdminClient)', () => {
  const rejected = (promise: Promise<unknown>) =>
    promise.then(
      () => undefined,
      (err: unknown) => err,
    );

  it('answers with the same records as REST, and refusals with their gRPC status and reason', async () => {
    const rest = async (path: string) => (await http('GET', path)).body;
    expect(await admin.getSpn('spn-app')).toEqual(await rest('/spns/spn-app'));
    expect(await admin.listSpns()).toEqual(await rest('/spns'));
    expect(await admin.listBatches('spn-app')).toEqual(await rest('/spns/spn-app/batches'));
    const batch = await admin.getBatch('spn-app', 1);
    expect(batch).toEqual(await rest('/spns/spn-app/batches/1'));
    expect(batch).toMatchObject({ batchNo: 1, txData: [{ note: 'empty block' }], header: { spnId: 'spn-app', batchNo: 1 } });
    const blocks = await admin.listBlocks({ limit: 2 });
    expect(blocks).toEqual(await rest('/blocks?limit=2'));
    expect(await admin.getBlock(0)).toEqual(await rest('/blocks/0'));
    const settledIn = batch.mainnetBlock!;
    expect((await admin.getBlock(settledIn)).events).toEqual(
      expect.arrayContaining([expect.objectContaining({ kind: 'batch_settled', spnId: 'spn-app', batchNo: 1 })]),
    );

    const notFound = await rejected(admin.getSpn('nobody'));
    expect(notFound).toBeInstanceOf(MainnetRejectedError);
    expect(notFound).toMatchObject({ mainnetCode: 'NOT_FOUND', message: 'SPN "nobody" is not registered' });
    expect(await rejected(admin.getBatch('spn-app', 2))).toMatchObject({
      mainnetCode: 'NOT_FOUND',
      message: 'SPN "spn-app" has no settled batch 2',
    });
    expect(await rejected(admin.getBlock(999_999))).toMatchObject({ mainnetCode: 'NOT_FOUND' });
    expect(await rejected(admin.getSpn('Not_An_Id'))).toMatchObject({
      mainnetCode: 'INVALID_INPUT',
      message: 'spnId must be 1 to 32 characters a-z, 0-9 or -',
    });
    expect(await rejected(admin.getBatch('spn-app', 0))).toMatchObject({
      mainnetCode: 'INVALID_INPUT',
      message: 'batchNo must be a positive integer',
    });
    expect(await rejected(admin.listSpns({ limit: 101 }))).toMatchObject({
      mainnetCode: 'INVALID_INPUT',
      message: 'limit must be an integer from 1 to 100',
    });
  });

  it('registers an SPN idempotently; a conflict or bad input is refused and stores nothing', async () => {
    const spnsBefore = await admin.listSpns();
    expect(await admin.registerSpn(registration() as never)).toEqual(spnsBefore.items.find((s) => s.spnId === 'spn-app'));
    const conflict = await rejected(admin.registerSpn({ ...registration(), endpoint: 'http://elsewhere:1' } as never));
    expect(conflict).toMatchObject({ mainnetCode: 'SPN_CONFLICT', message: 'SPN "spn-app" is already registered with another endpoint' });
    const badKey = await rejected(
      admin.registerSpn({ ...registration(), spnId: 'spn-bad', verificationKey: { ...verificationKey, nPublic: 3 } } as never),
    );
    expect(badKey).toMatchObject({ mainnetCode: 'INVALID_INPUT', message: expect.stringMatching(/nPublic must be 4/) });
    const badKind = await rejected(admin.registerSpn({ ...registration(), spnId: 'spn-bad', vmKind: 'jvm' } as never));
    expect(badKind).toMatchObject({ mainnetCode: 'INVALID_INPUT', message: 'vmKind must be one of wasm, evm' });
    expect(await admin.listSpns()).toEqual(spnsBefore);
    const events = async () =>
      (await Promise.all((await admin.listBlocks({ limit: 100 })).items.map((b) => admin.getBlock(b.number)))).flatMap((b) => b.events);
    expect((await events()).filter((e) => e.spnId === 'spn-bad')).toEqual([]);

    const created = await admin.registerSpn({ ...registration(), spnId: 'spn-grpc' } as never);
    expect(created).toMatchObject({
      spnId: 'spn-grpc',
      status: 'active',
      lastBatchNo: 0,
      lastBlock: null,
      operator: operator.address.toLowerCase(),
    });
    expect((await http('GET', '/spns/spn-grpc')).body).toEqual({ ...created, verificationKey, operators: [] });
  });

  it('serves gRPC server reflection (as grpcurl uses it): the service is found without the proto file', async () => {
    const reflectionProto = join(dirname(require.resolve('@grpc/reflection')), '../proto/grpc/reflection/v1/reflection.proto');
    const pkg = loadPackageDefinition(loadSync(reflectionProto, { keepCase: true, defaults: true, oneofs: true })) as any;
    const reflection = new pkg.grpc.reflection.v1.ServerReflection(grpcAddress, credentials.createInsecure());
    try {
      const ask = (request: Record<string, unknown>) =>
        new Promise<any>((resolve, reject) => {
          const call = reflection.ServerReflectionInfo();
          call.on('data', (answer: unknown) => {
            resolve(answer);
            call.end();
          });
          call.on('error', reject);
          call.write(request);
        });
      const services = await ask({ list_services: '' });
      expect(services.list_services_response.service.map((s: { name: string }) => s.name)).toContain('mesh.mainnet.v1.MainnetAdmin');
      const file = await ask({ file_containing_symbol: 'mesh.mainnet.v1.MainnetAdmin' });
      expect(file.file_descriptor_response.file_descriptor_proto.length).toBeGreaterThan(0);
      expect(Buffer.from(file.file_descriptor_response.file_descriptor_proto[0]).toString('latin1')).toContain('RegisterSpn');
    } finally {
      reflection.close();
    }
  });

  it('serves the same API over TLS to a client that trusts its certificate, and to no other', async () => {
    const trusting = new MainnetAdminClient(grpcTlsAddress, { timeoutMs: 10_000, tls: { ca: tlsCert.cert } });
    const plaintext = new MainnetAdminClient(grpcTlsAddress, { timeoutMs: 3_000 });
    const systemRoots = new MainnetAdminClient(grpcTlsAddress, { timeoutMs: 3_000, tls: {} });
    try {
      expect(await trusting.listSpns()).toEqual(await admin.listSpns());
      // A plaintext client, or one that does not trust the certificate, gets no answer.
      for (const client of [plaintext, systemRoots]) expect(await rejected(client.listSpns())).toBeInstanceOf(MainnetUnavailableError);
    } finally {
      for (const client of [trusting, plaintext, systemRoots]) client.close();
    }
  });

  it('a mainnet that does not answer is MainnetUnavailableError', async () => {
    const nowhere = new MainnetAdminClient(`127.0.0.1:${await findFreePort('127.0.0.1')}`, { timeoutMs: 2_000 });
    try {
      const err = await rejected(nowhere.listSpns());
      expect(err).toBeInstanceOf(MainnetUnavailableError);
      expect((err as Error).message).toMatch(/^mainnet gRPC admin 127\.0\.0\.1:\d+ listSpns: /);
    } finally {
      nowhere.close();
    }
  });
});

describe('cross-SPN messages over REST, gRPC and the SPN transport', () => {
  const rejected = (promise: Promise<unknown>) =>
    promise.then(
      () => undefined,
      (err: unknown) => err,
    );
  const sent: CrossMessage = {
    srcSpn: 'spn-app',
    nonce: 1,
    srcPlugin: 'bridge',
    txHash: '0x' + '42'.repeat(32),
    dstSpn: 'spn-app', // to itself: the simplest destination that takes messages
    plugin: 'bridge',
    method: 'receive',
    args: ['0x' + '11'.repeat(20), '5'],
  };

  it('settles a message with its batch and shows it by trace id and in lists, the same over REST and gRPC', async () => {
    const spn = await admin.getSpn('spn-app');
    const header: BatchHeader = {
      spnId: 'spn-app',
      batchNo: spn.lastBatchNo + 1,
      preRoot: spn.lastRoot,
      postRoot: spn.lastRoot,
      firstBlock: spn.lastBlock! + 1,
      lastBlock: spn.lastBlock! + 1,
      chunksHash: chunksHash([]),
      txDataHash: txDataHash([]),
      messagesRoot: messagesRoot([messageLeaf(sent)]),
      resultsHash: messageResultsHash([]),
    };
    const submission = {
      header,
      chunks: [],
      txData: [],
      messages: [sent],
      results: [],
      signature: await signBatchHeader(operator, CHAIN_ID, header),
    };
    expect(await client.submitBatch(submission)).toMatchObject({ accepted: true, duplicate: false });

    const traceId = messageLeaf(sent);
    const byRest = await http('GET', `/messages/${traceId}`);
    expect(byRest).toMatchObject({ status: 200, body: { traceId, message: sent, status: 'relaying', error: null, retryable: null } });
    expect(await admin.getMessage(traceId)).toEqual(byRest.body);
    const out = (await http('GET', '/spns/spn-app/messages')).body;
    expect(out).toEqual({ items: [byRest.body], nextBefore: null });
    expect((await http('GET', '/spns/spn-app/messages?direction=in&limit=1')).body).toEqual(out);
    expect(await admin.listMessages('spn-app', { direction: 'in' })).toEqual(out);

    // What the SPN transport relays: the message with a proof against the root its batch signed.
    const [relayed] = await client.pendingMessages('spn-app', 0);
    expect(relayed).toMatchObject({ message: sent, traceId, messagesRoot: header.messagesRoot, srcBatchNo: header.batchNo });
    expect(verifyMessageProof(relayed.messagesRoot, relayed.traceId, relayed.proof)).toBe(true);
    expect(await client.pendingMessages('spn-app', relayed.seq)).toEqual([]);
  });

  it('answers a malformed trace id, SPN id or direction with 400 and an unknown one with 404, storing nothing', async () => {
    expect(await http('GET', '/messages/0x1234')).toMatchObject({
      status: 400,
      body: { message: 'traceId must be 0x and 64 hex digits' },
    });
    expect(await http('GET', `/messages/0x${'00'.repeat(32)}`)).toMatchObject({ status: 404, body: { code: 'NOT_FOUND' } });
    expect((await http('GET', '/spns/spn-app/messages?direction=sideways')).body.message).toBe('direction must be "out" or "in"');
    expect((await http('GET', '/spns/nobody/messages')).status).toBe(404);
    expect(await rejected(admin.getMessage('nope'))).toMatchObject({ mainnetCode: 'INVALID_INPUT' });
    expect(await rejected(client.pendingMessages('Not An Id', 0))).toMatchObject({ mainnetCode: 'INVALID_INPUT' });
  });
});
