import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { HDNodeWallet } from 'ethers';
import { SpnClient } from '@mesh/client';
import { REPO_ROOT } from './node-process';

export const TOKEN_PLUGIN = 'token';
export const TOKEN_WASM = resolve(REPO_ROOT, 'libs/sdk-as/examples/token/build/plugin.wasm');

/** Token balance of an address as the SPN's state holds it (0 when absent). */
export async function tokenBalance(client: SpnClient, address: string): Promise<bigint> {
  const { u64 } = await client.state(TOKEN_PLUGIN, `bal:${address.toLowerCase()}`);
  return BigInt(u64 ?? 0);
}

/** An example plugin with a token's `mint(to, amount)` (owner only) and balances under `bal:<address>`. */
export interface DevTokenPlugin {
  name: string;
  wasmPath: string;
}

export const DEV_TOKEN: DevTokenPlugin = { name: TOKEN_PLUGIN, wasmPath: TOKEN_WASM };
/** The example bridge: a token that moves between SPNs with cross-SPN messages. */
export const DEV_BRIDGE: DevTokenPlugin = { name: 'bridge', wasmPath: resolve(REPO_ROOT, 'libs/sdk-as/examples/bridge/build/plugin.wasm') };

/**
 * Deploys the example token (owner: `owner`) unless it is there, and mints `amount` to every
 * account whose balance is 0. Idempotent: a devnet restarted on its data does nothing again.
 */
export function setupDevToken(client: SpnClient, owner: HDNodeWallet, accounts: readonly HDNodeWallet[], amount: bigint): Promise<void> {
  return setupDevPlugin(client, DEV_TOKEN, owner, accounts, amount);
}

/** `setupDevToken` for any token-like example plugin (the bridge: `DEV_BRIDGE`); `amount` 0 mints nothing. */
export async function setupDevPlugin(
  client: SpnClient,
  plugin: DevTokenPlugin,
  owner: HDNodeWallet,
  accounts: readonly HDNodeWallet[],
  amount: bigint,
): Promise<void> {
  let nonce = await client.nextNonce(owner.address);
  if (!(await client.plugins()).some((p) => p.name === plugin.name)) {
    const hash = await client.deploy(owner, plugin.name, new Uint8Array(readFileSync(plugin.wasmPath)), nonce++);
    const deployed = await client.waitFor(hash, ['included', 'settled', 'failed']);
    if (deployed.status === 'failed') throw new Error(`deploying ${plugin.name} failed: ${deployed.receipt?.error}`);
  }
  if (amount === 0n) return;
  const mints: string[] = [];
  for (const account of accounts) {
    const { u64 } = await client.state(plugin.name, `bal:${account.address.toLowerCase()}`);
    if (BigInt(u64 ?? 0) > 0n) continue;
    mints.push(
      await client.call(owner, {
        plugin: plugin.name,
        method: 'mint',
        args: [account.address.toLowerCase(), String(amount)],
        nonce: nonce++,
      }),
    );
  }
  for (const hash of mints) {
    const minted = await client.waitFor(hash, ['included', 'settled', 'failed']);
    if (minted.status === 'failed') throw new Error(`minting ${plugin.name} failed: ${minted.receipt?.error}`);
  }
}
