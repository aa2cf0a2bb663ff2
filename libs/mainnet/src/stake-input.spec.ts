import { describe, expect, it } from 'vitest';
import { StakingRejectedError } from './errors';
import { parseGenesisBalances, parseStakeOperation } from './stake-input';

const OPERATOR = '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266';
const SIGNATURE = '0x' + '11'.repeat(65);
const base = { kind: 'bond', operator: OPERATOR, amount: '5', nonce: 0, signature: SIGNATURE };

describe('parseStakeOperation', () => {
  it('reads each kind; the operator comes back lowercase and spnId defaults to ""', () => {
    expect(parseStakeOperation(base)).toEqual({
      op: { kind: 'bond', operator: OPERATOR.toLowerCase(), spnId: '', amount: '5', nonce: 0, signature: SIGNATURE },
      value: 5n,
    });
    expect(parseStakeOperation({ ...base, kind: 'restake', spnId: 'spn-1', amount: '007' }).op).toMatchObject({
      spnId: 'spn-1',
      amount: '7',
    });
    expect(parseStakeOperation({ ...base, kind: 'withdraw', amount: undefined }).op.amount).toBe('0');
  });

  it.each([
    [{ ...base, extra: 1 }, 'unknown field(s): extra'],
    [{ ...base, kind: 'delegate' }, 'kind must be one of bond, unbond, restake, unrestake, withdraw'],
    [{ ...base, operator: '0x12' }, 'operator must be a 0x-prefixed 20-byte hex address'],
    [{ ...base, kind: 'restake' }, 'restake needs spnId: 1 to 32 characters a-z, 0-9 or -'],
    [{ ...base, spnId: 'spn-1' }, 'bond takes no spnId'],
    [{ ...base, amount: '0' }, 'bond needs an amount above 0'],
    [{ ...base, amount: '1.5' }, 'amount must be a decimal string of base units'],
    [{ ...base, amount: String(1n << 256n) }, 'amount must be below 2^256'],
    [{ ...base, kind: 'withdraw', amount: '3' }, 'withdraw takes amount "0"'],
    [{ ...base, nonce: -1 }, 'nonce must be a non-negative integer'],
    [{ ...base, signature: '0x12' }, 'signature must be a 0x-prefixed 65-byte hex signature'],
    [[], 'a stake operation must be an object'],
  ])('refuses %j as malformed: %s', (value, reason) => {
    const error = (() => {
      try {
        parseStakeOperation(value);
      } catch (err) {
        return err;
      }
    })();
    expect(error).toBeInstanceOf(StakingRejectedError);
    expect(error).toMatchObject({ rule: 'malformed', message: expect.stringContaining(reason) });
  });
});

describe('parseGenesisBalances', () => {
  it('reads address=amount pairs (spaces and empty parts ignored), addresses lowercase', () => {
    expect(parseGenesisBalances(` ${OPERATOR} = 10 ,, 0x70997970C51812dc3A010C7d01b50e0d17dc79C8=0`)).toEqual(
      new Map([
        [OPERATOR.toLowerCase(), 10n],
        ['0x70997970c51812dc3a010c7d01b50e0d17dc79c8', 0n],
      ]),
    );
    expect(parseGenesisBalances('')).toEqual(new Map());
  });

  it('refuses malformed pairs and repeated addresses', () => {
    expect(() => parseGenesisBalances(`${OPERATOR}:10`)).toThrow('is not 0xaddress=amount');
    expect(() => parseGenesisBalances(`${OPERATOR}=10=2`)).toThrow('is not 0xaddress=amount');
    expect(() => parseGenesisBalances(`0x12=10`)).toThrow('must be a 0x-prefixed 20-byte hex address');
    expect(() => parseGenesisBalances(`${OPERATOR}=-1`)).toThrow('must be a decimal string of base units');
    expect(() => parseGenesisBalances(`${OPERATOR}=1,${OPERATOR.toLowerCase()}=2`)).toThrow('appears twice');
  });
});
