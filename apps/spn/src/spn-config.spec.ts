import { availableParallelism } from 'node:os';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { devGenesisAccounts } from '@mesh/spn-node';
import { DEV_OPERATOR_KEY, loadSpnConfig } from './spn-config';

describe('loadSpnConfig', () => {
  it('has working defaults', () => {
    expect(loadSpnConfig({})).toEqual({
      port: 8081,
      host: '127.0.0.1',
      databaseUrl: undefined,
      dataDir: '.mesh',
      logLevel: 'log',
      spnId: 'spn-1',
      vm: 'wasm',
      chainId: 4242,
      circuitProfile: 'dev',
      operatorKey: DEV_OPERATOR_KEY,
      devOperatorKey: true,
      publicUrl: undefined,
      requirements: { minOperators: 0, minRestake: '0' },
      mainnet: { kind: 'tcp', host: '127.0.0.1', port: 7070, natsUrl: 'nats://127.0.0.1:4222' },
      blockTimeMs: 500,
      maxBlockTxs: 200,
      batchBlocks: 10,
      batchMaxMs: 5000,
      provers: 1,
      executorWorkers: availableParallelism(),
      parallelMinTxs: 64,
      parallelAdaptive: true,
    });
  });

  it('reads its own variables next to the shared ones', () => {
    const key = '0x' + '11'.repeat(32);
    const config = loadSpnConfig({ PORT: '9101', SPN_ID: 'payments-eu', MAINNET_TCP_PORT: '7171', OPERATOR_KEY: key, PROVERS: '2' });

    expect(config).toMatchObject({
      port: 9101,
      spnId: 'payments-eu',
      mainnet: { port: 7171 },
      operatorKey: key,
      devOperatorKey: false,
      provers: 2,
    });
    // 0: the node proves nothing itself; prover processes (apps/prover) do.
    expect(loadSpnConfig({ PROVERS: '0' }).provers).toBe(0);
    expect(loadSpnConfig({ SPN_MIN_OPERATORS: '2', SPN_MIN_RESTAKE: '0100' }).requirements).toEqual({ minOperators: 2, minRestake: '100' });
    expect(() => loadSpnConfig({ SPN_MIN_RESTAKE: '5' })).toThrow(
      'Invalid configuration: SPN_MIN_RESTAKE needs SPN_MIN_OPERATORS of 1 or more',
    );
  });

  it.each([
    ['PORT', 'abc', 'PORT must be a port number (got "abc")'],
    ['SPN_ID', 'Payments_EU', 'SPN_ID must be 1 to 32 characters a-z, 0-9 or - (got "Payments_EU")'],
    ['SPN_ID', 'a'.repeat(33), `SPN_ID must be 1 to 32 characters a-z, 0-9 or - (got "${'a'.repeat(33)}")`],
    ['VM', 'move', 'VM must be wasm or evm (got "move")'],
    ['MAINNET_TCP_PORT', '70000', 'MAINNET_TCP_PORT must be a port number (got "70000")'],
    ['BLOCK_TIME_MS', '5', 'BLOCK_TIME_MS must be an integer from 10 to 60000 (got "5")'],
    ['PUBLIC_URL', 'ftp://spn', 'PUBLIC_URL must be an http(s) URL (got "ftp://spn")'],
    ['PROVERS', '-1', 'PROVERS must be an integer from 0 to 16 (got "-1")'],
    ['PROVERS', '17', 'PROVERS must be an integer from 0 to 16 (got "17")'],
    ['SPN_MIN_OPERATORS', '101', 'SPN_MIN_OPERATORS must be an integer from 0 to 100 (got "101")'],
    ['SPN_MIN_RESTAKE', '1e3', 'SPN_MIN_RESTAKE must be a decimal string of base units (got "1e3")'],
  ])('rejects a bad %s, naming it', (variable, value, problem) => {
    expect(() => loadSpnConfig({ [variable]: value })).toThrow(
      expect.objectContaining({ name: 'ConfigError', message: `Invalid configuration: ${problem}` }),
    );
  });

  it('does not echo a bad OPERATOR_KEY', () => {
    expect(() => loadSpnConfig({ OPERATOR_KEY: '0xsecret' })).toThrow(
      /OPERATOR_KEY must be a 0x-prefixed 32-byte hex private key \(value hidden\)$/,
    );
  });
});

describe('loadSpnConfig with VM=evm', () => {
  it('defaults to the devnet genesis (10 test-mnemonic accounts with 10,000 ETH) and a 30M block gas limit', () => {
    const config = loadSpnConfig({ VM: 'evm', CHAIN_ID: '31337' });
    expect(config.vm).toBe('evm');
    expect(config.chainId).toBe(31337);
    expect(config.evm!.devGenesis).toBe(true);
    expect(config.evm!.blockGasLimit).toBe(30_000_000n);
    expect(config.evm!.chainId).toBe(31337n); // the EVM chain id defaults to CHAIN_ID
    const accounts = devGenesisAccounts(10);
    expect(accounts[0].address).toBe('0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266');
    expect(config.evm!.genesis).toEqual(
      Object.fromEntries(accounts.map((a) => [a.address.toLowerCase(), { balance: 10_000n * 10n ** 18n }])),
    );
  });

  it('reads GENESIS_ALLOC inline or from a file (geth alloc or whole genesis), and BLOCK_GAS_LIMIT', () => {
    const inline = loadSpnConfig({
      VM: 'evm',
      GENESIS_ALLOC:
        '{"0x00000000000000000000000000000000000000AA": {"balance": "0x10", "nonce": 2}, "bb00000000000000000000000000000000000000": {"balance": "5", "code": "0x6000"}}',
      BLOCK_GAS_LIMIT: '15000000',
    });
    expect(inline.evm).toEqual({
      genesis: {
        ['0x' + '00'.repeat(19) + 'aa']: { balance: 16n, nonce: 2n },
        ['0xbb' + '00'.repeat(19)]: { balance: 5n, code: '0x6000' },
      },
      devGenesis: false,
      blockGasLimit: 15_000_000n,
      chainId: 4242n,
    });
    const file = join(mkdtempSync(join(tmpdir(), 'genesis-')), 'genesis.json');
    writeFileSync(file, JSON.stringify({ config: { chainId: 1 }, alloc: { ['0x' + '11'.repeat(20)]: { balance: '1000' } } }));
    expect(loadSpnConfig({ VM: 'evm', GENESIS_ALLOC: file }).evm!.genesis).toEqual({ ['0x' + '11'.repeat(20)]: { balance: 1000n } });
    expect(loadSpnConfig({ VM: 'evm', GENESIS_ALLOC: '{}' }).evm!.genesis).toEqual({});
  });

  it('gives each EVM SPN its own chain id with EVM_CHAIN_ID (settlements keep signing over CHAIN_ID)', () => {
    const config = loadSpnConfig({ VM: 'evm', CHAIN_ID: '4242', EVM_CHAIN_ID: '88001' });
    expect(config.chainId).toBe(4242);
    expect(config.evm!.chainId).toBe(88001n);
  });

  it('takes EXECUTOR_WORKERS (0 = serial) and PARALLEL_MIN_TXS, defaulting to one worker per core and 64', () => {
    expect(loadSpnConfig({})).toMatchObject({ executorWorkers: availableParallelism(), parallelMinTxs: 64 });
    expect(loadSpnConfig({ EXECUTOR_WORKERS: '0', PARALLEL_MIN_TXS: '50' })).toMatchObject({ executorWorkers: 0, parallelMinTxs: 50 });
    expect(loadSpnConfig({})).toMatchObject({ parallelAdaptive: true });
    expect(loadSpnConfig({ PARALLEL_ADAPTIVE: 'false' })).toMatchObject({ parallelAdaptive: false });
  });

  it.each([
    [
      { VM: 'evm', GENESIS_ALLOC: '{"0x12": {"balance": "1"}}' },
      'GENESIS_ALLOC is not a genesis allocation: genesis address "0x12" is not a 20-byte hex address',
    ],
    [
      { VM: 'evm', GENESIS_ALLOC: '{"0x' + '11'.repeat(20) + '": {"balance": "-1"}}' },
      `GENESIS_ALLOC is not a genesis allocation: genesis balance of 0x${'11'.repeat(20)} must be a non-negative integer (decimal or 0x hex) of at most 256 bits`,
    ],
    [
      { VM: 'evm', GENESIS_ALLOC: '{"0x' + '11'.repeat(20) + '": {"balance": "1", "storage": {"0x1": "0x2"}}}' },
      `GENESIS_ALLOC is not a genesis allocation: genesis storage of 0x${'11'.repeat(20)} needs code at that address`,
    ],
    [{ VM: 'evm', GENESIS_ALLOC: '{"a": ' }, /^GENESIS_ALLOC is not valid JSON: /],
    [
      { VM: 'evm', GENESIS_ALLOC: '/no/such/genesis.json' },
      'GENESIS_ALLOC must be a JSON object or the path of a JSON file (cannot read "/no/such/genesis.json": ENOENT)',
    ],
    [{ VM: 'evm', BLOCK_GAS_LIMIT: '5' }, 'BLOCK_GAS_LIMIT must be an integer from 1000000 to 1000000000 (got "5")'],
    [{ GENESIS_ALLOC: '{}' }, 'GENESIS_ALLOC only applies to VM=evm'],
    [{ EVM_CHAIN_ID: '5' }, 'EVM_CHAIN_ID only applies to VM=evm'],
    [{ VM: 'evm', EVM_CHAIN_ID: '0' }, `EVM_CHAIN_ID must be an integer from 1 to ${Number.MAX_SAFE_INTEGER} (got "0")`],
    [{ EXECUTOR_WORKERS: '-1' }, 'EXECUTOR_WORKERS must be an integer from 0 to 64 (got "-1")'],
    [{ PARALLEL_MIN_TXS: 'many' }, 'PARALLEL_MIN_TXS must be an integer from 1 to 100000 (got "many")'],
    [{ PARALLEL_ADAPTIVE: 'sometimes' }, 'PARALLEL_ADAPTIVE must be true or false (got "sometimes")'],
  ] as [Record<string, string>, string | RegExp][])('rejects %j, naming the variable', (env, problem) => {
    let error: Error | undefined;
    try {
      loadSpnConfig(env);
    } catch (err) {
      error = err as Error;
    }
    expect(error?.name).toBe('ConfigError');
    const message = error!.message.replace(/^Invalid configuration: /, '');
    if (typeof problem === 'string') expect(message).toBe(problem);
    else expect(message).toMatch(problem);
  });
});
