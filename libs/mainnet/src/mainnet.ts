import { InvalidInputError } from '@mesh/core';
import { poseidonHasher, type Hasher } from '@mesh/state';
import { loadCircuitsManifest, type CircuitsManifest } from '@mesh/zk';
import type { DataSource } from 'typeorm';
import { Ledger } from './ledger';
import { MainnetQueries } from './queries';
import { SettlementService } from './settlement';
import { SpnRegistry } from './spn-registry';

export interface MainnetOptions {
  /** Chain id of the signing domain of batch headers (CHAIN_ID). */
  chainId: number;
  /** Circuit profiles; circuits/circuits.json by default. */
  manifest?: CircuitsManifest;
  /** Poseidon; the shared circomlibjs one by default. */
  hasher?: Hasher;
  /** Clock of block timestamps (ms); Date.now by default. */
  now?: () => number;
}

/** The mainnet's parts over one migrated database. */
export interface Mainnet {
  registry: SpnRegistry;
  settlement: SettlementService;
  ledger: Ledger;
  queries: MainnetQueries;
}

export async function createMainnet(db: DataSource, options: MainnetOptions): Promise<Mainnet> {
  if (!Number.isSafeInteger(options.chainId) || options.chainId < 1) throw new InvalidInputError('chainId must be a positive integer');
  const hasher = options.hasher ?? (await poseidonHasher());
  const manifest = options.manifest ?? loadCircuitsManifest();
  const ledger = new Ledger(db, options.now);
  const registry = new SpnRegistry(db, ledger, hasher, manifest);
  const settlement = new SettlementService(db, registry, ledger, { chainId: options.chainId, hasher });
  return { registry, settlement, ledger, queries: new MainnetQueries(db) };
}
