import { InvalidInputError, parseAddress, STAKE_OPERATION_KINDS, type SignedStakeOperation, type StakeOperationKind } from '@mesh/core';
import { parseAmount } from './register-input';
import { StakingRejectedError } from './errors';
import { SPN_ID_PATTERN } from './types';

const KEYS = ['kind', 'operator', 'spnId', 'amount', 'nonce', 'signature'] as const;
const SIGNATURE = /^0x[0-9a-fA-F]{130}$/;
const KINDS_WITH_SPN: readonly StakeOperationKind[] = ['restake', 'unrestake'];

/** A stake operation whose shape has been checked; `value` is the amount as a bigint. */
export interface ParsedStakeOperation {
  op: SignedStakeOperation;
  value: bigint;
}

function malformed(reason: string): StakingRejectedError {
  return new StakingRejectedError('malformed', reason);
}

/**
 * Checks the shape of an untrusted stake operation (REST and gRPC alike). `spnId` names an SPN
 * for `restake` and `unrestake` and is "" (or absent) otherwise; `amount` is above 0, except for
 * `withdraw`, which takes "0" (or none): it withdraws whatever is ready. The operator comes back
 * lowercase.
 */
export function parseStakeOperation(value: unknown): ParsedStakeOperation {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw malformed('a stake operation must be an object');
  const body = value as Record<string, unknown>;
  const unknown = Object.keys(body).filter((k) => !(KEYS as readonly string[]).includes(k));
  if (unknown.length > 0) throw malformed(`unknown field(s): ${unknown.join(', ')}`);
  const kind = body.kind as StakeOperationKind;
  if (!STAKE_OPERATION_KINDS.includes(kind)) throw malformed(`kind must be one of ${STAKE_OPERATION_KINDS.join(', ')}`);
  let operator: string;
  try {
    operator = parseAddress(body.operator, 'operator');
  } catch (err) {
    throw malformed((err as InvalidInputError).message);
  }
  const spnId = body.spnId ?? '';
  if (typeof spnId !== 'string') throw malformed('spnId must be a string');
  if (KINDS_WITH_SPN.includes(kind)) {
    if (!SPN_ID_PATTERN.test(spnId)) throw malformed(`${kind} needs spnId: 1 to 32 characters a-z, 0-9 or -`);
  } else if (spnId !== '') {
    throw malformed(`${kind} takes no spnId`);
  }
  let amount: bigint;
  try {
    amount = kind === 'withdraw' && body.amount === undefined ? 0n : parseAmount(body.amount, 'amount');
  } catch (err) {
    throw malformed((err as InvalidInputError).message);
  }
  if (kind === 'withdraw' && amount !== 0n) throw malformed('withdraw takes amount "0": it withdraws every unbonding entry that is ready');
  if (kind !== 'withdraw' && amount === 0n) throw malformed(`${kind} needs an amount above 0`);
  const nonce = body.nonce;
  if (typeof nonce !== 'number' || !Number.isSafeInteger(nonce) || nonce < 0) throw malformed('nonce must be a non-negative integer');
  if (typeof body.signature !== 'string' || !SIGNATURE.test(body.signature))
    throw malformed('signature must be a 0x-prefixed 65-byte hex signature');
  return { op: { kind, operator, spnId, amount: String(amount), nonce, signature: body.signature }, value: amount };
}

/**
 * MAINNET_GENESIS_BALANCES: `0xaddress=amount` pairs separated by commas (amounts in base units),
 * e.g. `0xf39f...2266=1000000,0x7099...79c8=500`. An address may appear once.
 */
export function parseGenesisBalances(text: string): Map<string, bigint> {
  const balances = new Map<string, bigint>();
  for (const part of text
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '')) {
    const [address, amount, extra] = part.split('=');
    if (amount === undefined || extra !== undefined) throw new InvalidInputError(`"${part}" is not 0xaddress=amount`);
    const key = parseAddress(address.trim(), `address of "${part}"`);
    if (balances.has(key)) throw new InvalidInputError(`${key} appears twice`);
    balances.set(key, parseAmount(amount.trim(), `amount of "${part}"`));
  }
  return balances;
}
