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

/**
 * Deploys the example token (owner: `owner`) unless it is there, and mints `amount` to every
 * account whose balance is 0. Idempotent: a devnet restarted on its data does nothing again.
 */
export async function setupDevToken(
  client: SpnClient,
  owner: HDNodeWallet,
  accounts: readonly HDNodeWallet[],
  amount: bigint,
): Promise<void> {
  let nonce = await client.nextNonce(owner.address);
  if (!(await client.plugins()).some((p) => p.name === TOKEN_PLUGIN)) {
    const hash = await client.deploy(owner, TOKEN_PLUGIN, new Uint8Array(readFileSync(TOKEN_WASM)), nonce++);
    const deployed = await client.waitFor(hash, ['included', 'settled', 'failed']);
    if (deployed.status === 'failed') throw new Error(`deploying the token failed: ${deployed.receipt?.error}`);
  }
  const mints: string[] = [];
  for (const account of accounts) {
    if ((await tokenBalance(client, account.address)) > 0n) continue;
    mints.push(
      await client.call(owner, {
        plugin: TOKEN_PLUGIN,
        method: 'mint',
        args: [account.address.toLowerCase(), String(amount)],
        nonce: nonce++,
      }),
    );
  }
  for (const hash of mints) {
    const minted = await client.waitFor(hash, ['included', 'settled', 'failed']);
    if (minted.status === 'failed') throw new Error(`minting failed: ${minted.receipt?.error}`);
  }
}
