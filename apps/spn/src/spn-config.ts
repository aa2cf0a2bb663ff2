import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import Joi from 'joi';
import { ConfigError, MeshError } from '@mesh/core';
import { devGenesisAlloc, parseGenesisAlloc, spnIdentityEnvKeys, type GenesisAlloc, type SpnIdentityEnv } from '@mesh/spn-node';
import { nodeEnvKeys, parseEnv, SECRET, toNodeConfig, type NodeConfig, type NodeEnv } from '@mesh/persistence';
import { mainnetTransportEnvKeys, toMainnetTransportConfig, type MainnetTransportConfig, type MainnetTransportEnv } from '@mesh/transport';

/** Hardhat's well-known account #0: the devnet operator when OPERATOR_KEY is unset. Never for real funds. */
export const DEV_OPERATOR_KEY = '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80';

export interface SpnConfig extends NodeConfig {
  /** Id of the SPN this node runs; keys its rows and its local files. */
  spnId: string;
  /** Execution engine: `wasm` (plugins, REST ingress) or `evm` (Ethereum JSON-RPC). */
  vm: 'wasm' | 'evm';
  /** EVM settings (VM=evm only). */
  evm?: EvmSettings;
  /** Mesh chain id, part of every signature's domain. */
  chainId: number;
  /** Circuit profile (circuits/circuits.json) this SPN proves with. */
  circuitProfile: string;
  /** Operator key that signs settlements (0x + 64 hex). */
  operatorKey: string;
  /** True when operatorKey is the well-known development key. */
  devOperatorKey: boolean;
  /** URL this node is reachable at, registered on the mainnet; http://HOST:PORT by default. */
  publicUrl?: string;
  /**
   * What the SPN asks the mainnet for before it is active (SPN_MIN_OPERATORS, SPN_MIN_RESTAKE):
   * operators with at least minRestake restaked on it, this node's operator among them. With
   * minOperators 0 (the default) it is active at once.
   */
  requirements: { minOperators: number; minRestake: string };
  /** How the mainnet is reached (MAINNET_TRANSPORT, MAINNET_TCP_HOST/PORT, NATS_URL). */
  mainnet: MainnetTransportConfig;
  blockTimeMs: number;
  maxBlockTxs: number;
  batchBlocks: number;
  batchMaxMs: number;
  /** Proving workers in this process (PROVERS; 0: none, prover processes of apps/prover prove the SPN's batches). */
  provers: number;
  /** Execution worker threads of the parallel executor (EXECUTOR_WORKERS; 0 = serial execution). */
  executorWorkers: number;
  /**
   * PARALLEL_ADAPTIVE (default true): once the workers are warm, blocks run serially when serial
   * execution was measured faster per tx (the workers are re-probed every 16 blocks); false
   * keeps every block of PARALLEL_MIN_TXS or more in the workers.
   */
  parallelAdaptive: boolean;
  /** Blocks with fewer txs run serially (PARALLEL_MIN_TXS). */
  parallelMinTxs: number;
}

export interface EvmSettings {
  /** Genesis allocation (GENESIS_ALLOC); the test mnemonic's accounts when unset. */
  genesis: GenesisAlloc;
  /** True when GENESIS_ALLOC is unset and the devnet default is used. */
  devGenesis: boolean;
  /** Gas limit of every block (BLOCK_GAS_LIMIT). */
  blockGasLimit: bigint;
  /** EVM chain id (EVM_CHAIN_ID; default CHAIN_ID): what Ethereum txs sign over. Give every EVM SPN of a mesh its own. */
  chainId: bigint;
}

interface SpnEnv extends NodeEnv, MainnetTransportEnv, SpnIdentityEnv {
  VM: 'wasm' | 'evm';
  GENESIS_ALLOC?: string;
  BLOCK_GAS_LIMIT?: number;
  EVM_CHAIN_ID?: number;
  CHAIN_ID: number;
  OPERATOR_KEY?: string;
  PUBLIC_URL?: string;
  SPN_MIN_OPERATORS: number;
  SPN_MIN_RESTAKE?: string;
  BLOCK_TIME_MS: number;
  MAX_BLOCK_TXS: number;
  BATCH_BLOCKS: number;
  BATCH_MAX_MS: number;
  PROVERS: number;
  EXECUTOR_WORKERS: number;
  PARALLEL_MIN_TXS: number;
  PARALLEL_ADAPTIVE: boolean;
}

const int = (min: number, max: number, fallback: number) =>
  Joi.number()
    .integer()
    .min(min)
    .max(max)
    .empty('')
    .default(fallback)
    .messages({ '*': `{#label} must be an integer from ${min} to ${max}` });

const schema = Joi.object<SpnEnv>({
  ...nodeEnvKeys({ port: 8081 }),
  ...spnIdentityEnvKeys(),
  VM: Joi.string().valid('wasm', 'evm').empty('').default('wasm').messages({ '*': '{#label} must be wasm or evm' }),
  GENESIS_ALLOC: Joi.string().empty(''),
  BLOCK_GAS_LIMIT: Joi.number()
    .integer()
    .min(1_000_000)
    .max(1_000_000_000)
    .empty('')
    .messages({ '*': '{#label} must be an integer from 1000000 to 1000000000' }),
  CHAIN_ID: int(1, 2 ** 31 - 1, 4242),
  EVM_CHAIN_ID: Joi.number()
    .integer()
    .min(1)
    .max(Number.MAX_SAFE_INTEGER)
    .empty('')
    .messages({ '*': `{#label} must be an integer from 1 to ${Number.MAX_SAFE_INTEGER}` }),
  OPERATOR_KEY: Joi.string()
    .pattern(/^0x[0-9a-fA-F]{64}$/)
    .empty('')
    .meta(SECRET)
    .messages({ '*': '{#label} must be a 0x-prefixed 32-byte hex private key' }),
  PUBLIC_URL: Joi.string()
    .uri({ scheme: ['http', 'https'] })
    .empty('')
    .messages({ '*': '{#label} must be an http(s) URL' }),
  SPN_MIN_OPERATORS: int(0, 100, 0),
  SPN_MIN_RESTAKE: Joi.string()
    .pattern(/^[0-9]{1,78}$/)
    .empty('')
    .messages({ '*': '{#label} must be a decimal string of base units' }),
  ...mainnetTransportEnvKeys(),
  BLOCK_TIME_MS: int(10, 60_000, 500),
  MAX_BLOCK_TXS: int(1, 10_000, 200),
  BATCH_BLOCKS: int(1, 1_000, 10),
  BATCH_MAX_MS: int(0, 3_600_000, 5_000),
  PROVERS: int(0, 16, 1),
  EXECUTOR_WORKERS: int(0, 64, availableParallelism()),
  PARALLEL_MIN_TXS: int(1, 100_000, 64),
  PARALLEL_ADAPTIVE: Joi.boolean().truthy('1').falsy('0').empty('').default(true).messages({ '*': '{#label} must be true or false' }),
});

/** The SPN node's settings from its environment; throws a ConfigError naming every bad variable. */
export function loadSpnConfig(env: NodeJS.ProcessEnv): SpnConfig {
  const vars = parseEnv(schema, env);
  if (vars.SPN_MIN_OPERATORS === 0 && BigInt(vars.SPN_MIN_RESTAKE ?? '0') > 0n)
    throw new ConfigError('Invalid configuration: SPN_MIN_RESTAKE needs SPN_MIN_OPERATORS of 1 or more', {
      variables: ['SPN_MIN_RESTAKE', 'SPN_MIN_OPERATORS'],
    });
  if (vars.VM !== 'evm') {
    const evmOnly = (['GENESIS_ALLOC', 'BLOCK_GAS_LIMIT', 'EVM_CHAIN_ID'] as const).filter((name) => vars[name] !== undefined);
    if (evmOnly.length)
      throw new ConfigError(`Invalid configuration: ${evmOnly.join(', ')} only appl${evmOnly.length > 1 ? 'y' : 'ies'} to VM=evm`, {
        variables: [...evmOnly],
      });
  }
  return {
    ...toNodeConfig(vars),
    spnId: vars.SPN_ID,
    vm: vars.VM,
    ...(vars.VM === 'evm'
      ? {
          evm: {
            genesis: vars.GENESIS_ALLOC === undefined ? devGenesisAlloc() : loadGenesisAlloc(vars.GENESIS_ALLOC),
            devGenesis: vars.GENESIS_ALLOC === undefined,
            blockGasLimit: BigInt(vars.BLOCK_GAS_LIMIT ?? 30_000_000),
            chainId: BigInt(vars.EVM_CHAIN_ID ?? vars.CHAIN_ID),
          },
        }
      : {}),
    chainId: vars.CHAIN_ID,
    circuitProfile: vars.CIRCUIT_PROFILE,
    operatorKey: vars.OPERATOR_KEY ?? DEV_OPERATOR_KEY,
    devOperatorKey: vars.OPERATOR_KEY === undefined,
    publicUrl: vars.PUBLIC_URL,
    requirements: { minOperators: vars.SPN_MIN_OPERATORS, minRestake: BigInt(vars.SPN_MIN_RESTAKE ?? '0').toString() },
    mainnet: toMainnetTransportConfig(vars),
    blockTimeMs: vars.BLOCK_TIME_MS,
    maxBlockTxs: vars.MAX_BLOCK_TXS,
    batchBlocks: vars.BATCH_BLOCKS,
    batchMaxMs: vars.BATCH_MAX_MS,
    provers: vars.PROVERS,
    executorWorkers: vars.EXECUTOR_WORKERS,
    parallelMinTxs: vars.PARALLEL_MIN_TXS,
    parallelAdaptive: vars.PARALLEL_ADAPTIVE,
  };
}

/** GENESIS_ALLOC: inline JSON (starting with `{`) or the path of a JSON file (geth's `alloc`, or a whole genesis file). */
function loadGenesisAlloc(value: string): GenesisAlloc {
  const problem = (message: string) => new ConfigError(`Invalid configuration: GENESIS_ALLOC ${message}`, { variables: ['GENESIS_ALLOC'] });
  let text = value;
  if (!value.trimStart().startsWith('{')) {
    try {
      text = readFileSync(value, 'utf8');
    } catch (err) {
      throw problem(
        `must be a JSON object or the path of a JSON file (cannot read ${JSON.stringify(value)}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
      );
    }
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw problem(`is not valid JSON: ${(err as Error).message}`);
  }
  try {
    return parseGenesisAlloc(json);
  } catch (err) {
    if (err instanceof MeshError) throw problem(`is not a genesis allocation: ${err.message}`);
    throw err;
  }
}
