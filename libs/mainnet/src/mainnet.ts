import { InvalidInputError } from '@mesh/core';
import { poseidonHasher, type Hasher } from '@mesh/state';
import { loadCircuitsManifest, type CircuitsManifest } from '@mesh/zk';
import type { DataSource } from 'typeorm';
import { Ledger } from './ledger';
import { MessageRelay } from './message-relay';
import { MainnetQueries } from './queries';
import { SettlementService } from './settlement';
import { SpnRegistry } from './spn-registry';
import { Staking } from './staking';

export interface MainnetOptions {
  /** Chain id of the signing domain of batch headers (CHAIN_ID). */
  chainId: number;
  /** Circuit profiles; circuits/circuits.json by default. */
  manifest?: CircuitsManifest;
  /** Poseidon; the shared circomlibjs one by default. */
  hasher?: Hasher;
  /** Clock of block timestamps and unbonding delays (ms); Date.now by default. */
  now?: () => number;
  /** How long unbonding stake waits before it can be withdrawn (ms); 7 days by default. */
  unbondingMs?: number;
  /** Share of an operator's slashable stake a proven fault burns, in basis points; 5000 (half) by default. */
  slashBps?: number;
  /** Balances credited once, by the first start that gives them (MAINNET_GENESIS_BALANCES). */
  genesisBalances?: ReadonlyMap<string, bigint>;
}

export const DEFAULT_UNBONDING_MS = 7 * 24 * 3600 * 1000;
export const DEFAULT_SLASH_BPS = 5000;

/** The mainnet's parts over one migrated database. */
export interface Mainnet {
  registry: SpnRegistry;
  settlement: SettlementService;
  ledger: Ledger;
  staking: Staking;
  queries: MainnetQueries;
  messages: MessageRelay;
}

export async function createMainnet(db: DataSource, options: MainnetOptions): Promise<Mainnet> {
  if (!Number.isSafeInteger(options.chainId) || options.chainId < 1) throw new InvalidInputError('chainId must be a positive integer');
  const hasher = options.hasher ?? (await poseidonHasher());
  const manifest = options.manifest ?? loadCircuitsManifest();
  const unbondingMs = options.unbondingMs ?? DEFAULT_UNBONDING_MS;
  if (!Number.isSafeInteger(unbondingMs) || unbondingMs < 0) throw new InvalidInputError('unbondingMs must be a non-negative integer');
  const slashBps = options.slashBps ?? DEFAULT_SLASH_BPS;
  if (!Number.isInteger(slashBps) || slashBps < 0 || slashBps > 10_000)
    throw new InvalidInputError('slashBps must be an integer from 0 to 10000');
  const now = options.now ?? Date.now;
  const ledger = new Ledger(db, now);
  const registry = new SpnRegistry(db, ledger, hasher, manifest);
  const settlement = new SettlementService(db, registry, ledger, { chainId: options.chainId, hasher });
  const staking = new Staking(db, ledger, registry, { chainId: options.chainId, unbondingMs, slashBps, now });
  await staking.applyGenesis(options.genesisBalances ?? new Map());
  return { registry, settlement, ledger, staking, queries: new MainnetQueries(db), messages: new MessageRelay(db) };
}
