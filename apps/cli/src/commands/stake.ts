import { MainnetRestClient } from '@mesh/client';
import { parseAddress, signStakeOperation, STAKE_OPERATION_KINDS, type StakeOperationKind } from '@mesh/core';
import type { AccountRecord, StakingParams } from '@mesh/mainnet';
import { UsageError, type CliIo } from '../cli-io';
import { COMMON_OPTIONS, mainnetUrl, NODE_OPTIONS, parseCommand, SIGNER_OPTIONS, signer } from '../options';

export const STAKE_USAGE = `mesh stake bond|unbond <amount> [--dev-account N] [--mainnet URL] [--json]
mesh stake restake|unrestake <spn-id> <amount> [--dev-account N] [--mainnet URL] [--json]
mesh stake withdraw [--dev-account N] [--mainnet URL] [--json]
  Moves the signer's stake on the mainnet (amounts in base units): bond takes mainnet balance,
  restake puts bonded stake on an SPN, unrestake and unbond start unbonding (withdraw takes what
  has waited out the mainnet's unbonding delay). Signed with MESH_KEY, or --dev-account N; the
  chain id and the account's nonce are read from the mainnet first.`;

export const ACCOUNT_USAGE = `mesh account [0xADDRESS] [--dev-account N] [--mainnet URL] [--json]
  An account's mainnet balance, bonded stake, restakes and unbonding entries; without an address,
  the signer's (MESH_KEY or --dev-account N).`;

const WITH_SPN: readonly StakeOperationKind[] = ['restake', 'unrestake'];

export async function stakeCommand(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommand('stake', argv, { ...COMMON_OPTIONS, ...SIGNER_OPTIONS, mainnet: NODE_OPTIONS.mainnet });
  const [kind, ...args] = positionals as [StakeOperationKind | undefined, ...string[]];
  if (kind === undefined || !STAKE_OPERATION_KINDS.includes(kind))
    throw new UsageError(kind ? `unknown command: stake ${kind}` : `stake needs one of ${STAKE_OPERATION_KINDS.join(', ')}`, 'stake');
  const wanted = kind === 'withdraw' ? 0 : WITH_SPN.includes(kind) ? 2 : 1;
  if (args.length !== wanted)
    throw new UsageError(
      `stake ${kind} takes ${wanted === 0 ? 'no argument' : WITH_SPN.includes(kind) ? '<spn-id> <amount>' : '<amount>'}`,
      'stake',
    );
  const spnId = WITH_SPN.includes(kind) ? args[0] : '';
  const amount = kind === 'withdraw' ? '0' : args[args.length - 1];
  if (!/^[0-9]{1,78}$/.test(amount))
    throw new UsageError(`<amount> must be a whole number of base units (got ${JSON.stringify(amount)})`, 'stake');

  const wallet = signer(values, io, 'stake');
  const operator = wallet.address.toLowerCase();
  const mainnet = new MainnetRestClient(mainnetUrl(values, io));
  const [{ chainId }, { nonce }] = await Promise.all([mainnet.stakingParams<StakingParams>(), mainnet.account<AccountRecord>(operator)]);
  const op = await signStakeOperation(wallet, chainId, { kind, operator, spnId, amount, nonce });
  const account = await mainnet.stakeOperation<AccountRecord>(op);
  if (values.json) io.out(JSON.stringify(account, null, 2) + '\n');
  else {
    io.out(`${kind}${spnId ? ` ${spnId}` : ''}${kind === 'withdraw' ? '' : ` ${amount}`}: done (nonce ${nonce})\n`);
    printAccount(account, io);
  }
  return 0;
}

export async function accountCommand(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommand('account', argv, { ...COMMON_OPTIONS, ...SIGNER_OPTIONS, mainnet: NODE_OPTIONS.mainnet });
  if (positionals.length > 1) throw new UsageError('account takes at most one address', 'account');
  let address: string;
  if (positionals[0] !== undefined) {
    try {
      address = parseAddress(positionals[0]);
    } catch (err) {
      throw new UsageError((err as Error).message, 'account');
    }
  } else address = signer(values, io, 'account').address.toLowerCase();
  const account = await new MainnetRestClient(mainnetUrl(values, io)).account<AccountRecord>(address);
  if (values.json) io.out(JSON.stringify(account, null, 2) + '\n');
  else printAccount(account, io);
  return 0;
}

function printAccount(account: AccountRecord, io: CliIo): void {
  io.out(`account ${account.address}: balance ${account.balance}, bonded ${account.bonded}, next nonce ${account.nonce}\n`);
  for (const r of account.restakes) io.out(`  restaked on ${r.spnId}: ${r.amount}\n`);
  for (const u of account.unbonding) io.out(`  unbonding ${u.amount}${u.spnId ? ` from ${u.spnId}` : ''}: ready at ${u.readyAt}\n`);
}
