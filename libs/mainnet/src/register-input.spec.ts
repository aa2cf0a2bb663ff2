import { describe, expect, it } from 'vitest';
import type { CircuitsManifest } from '@mesh/zk';
import { parseRegisterSpnInput } from './register-input';

const manifest: CircuitsManifest = {
  dir: '/nowhere',
  template: 't.circom',
  entry: 'T',
  profiles: { dev: { name: 'dev', depth: 12, chunkSize: 2, description: '' } },
};
const point = ['1', '2', '1'];
const pair = ['1', '0'];
const vk = {
  protocol: 'groth16',
  curve: 'bn128',
  nPublic: 4,
  vk_alpha_1: point,
  vk_beta_2: [pair, pair, pair],
  vk_gamma_2: [pair, pair, pair],
  vk_delta_2: [pair, pair, pair],
  IC: [point, point, point, point, point],
};
const input = () => ({
  spnId: 'spn-1',
  vmKind: 'wasm',
  profile: 'dev',
  verificationKey: vk,
  operator: '0x5E1EC7ED00000000000000000000000000000001',
  endpoint: 'http://127.0.0.1:8081',
});

describe('parseRegisterSpnInput', () => {
  it('accepts a registration, lowercasing the operator', () => {
    const { input: parsed, profile } = parseRegisterSpnInput(input(), manifest);
    expect(parsed.operator).toBe('0x5e1ec7ed00000000000000000000000000000001');
    expect(profile.depth).toBe(12);
    expect(parsed.requirements).toEqual({ minOperators: 0, minRestake: '0' });
    const required = parseRegisterSpnInput({ ...input(), requirements: { minOperators: 3, minRestake: '0500' } }, manifest).input;
    expect(required.requirements).toEqual({ minOperators: 3, minRestake: '500' });
  });

  it.each([
    [{ extra: 1 }, 'registration has unknown field(s): extra'],
    [{ requirements: [] }, 'requirements must be an object { minOperators, minRestake }'],
    [{ requirements: { minOperators: 1, other: 1 } }, 'requirements has unknown field(s): other'],
    [{ requirements: { minOperators: 101 } }, 'requirements.minOperators must be an integer from 0 to 100'],
    [{ requirements: { minOperators: 1, minRestake: '-5' } }, 'requirements.minRestake must be a decimal string of base units'],
    [{ requirements: { minOperators: 0, minRestake: '5' } }, 'requirements.minRestake needs minOperators of 1 or more'],
    [{ spnId: 'Spn_1' }, 'spnId must be 1 to 32 characters a-z, 0-9 or -'],
    [{ vmKind: 'jvm' }, 'vmKind must be one of wasm, evm'],
    [{ profile: 'huge' }, 'profile must be a circuit profile of circuits.json (dev), got "huge"'],
    [{ profile: 'toString' }, 'profile must be a circuit profile of circuits.json (dev), got "toString"'],
    [
      { verificationKey: { ...vk, nPublic: 3 } },
      'verificationKey.nPublic must be 4 (oldRoot, newRoot, diffHash, chunkIndex), got 3: not a StateTransition key',
    ],
    [{ verificationKey: { ...vk, IC: [point] } }, 'verificationKey.IC must hold nPublic + 1 = 5 points'],
    [{ verificationKey: { ...vk, protocol: 'plonk' } }, 'verificationKey.protocol must be "groth16"'],
    [{ operator: '0x1234' }, 'operator must be a 0x-prefixed 20-byte hex address'],
    [{ endpoint: 'ftp://x' }, 'endpoint must be an http(s) URL, got "ftp://x"'],
    [{ endpoint: 'http://u:p@x' }, 'endpoint must not carry credentials'],
  ])('rejects %j', (change, message) => {
    expect(() => parseRegisterSpnInput({ ...input(), ...change }, manifest)).toThrow(
      expect.objectContaining({ code: 'INVALID_INPUT', message }),
    );
  });
});
