import { InvalidInputError, parseAddress } from '@mesh/core';
import type { CircuitProfile, CircuitsManifest } from '@mesh/zk';
import { SPN_ID_PATTERN, VM_KINDS, type RegisterSpnInput, type SpnRequirements, type VmKind } from './types';

const INPUT_KEYS = ['spnId', 'vmKind', 'profile', 'verificationKey', 'operator', 'endpoint', 'requirements'] as const;
const REQUIREMENT_KEYS = ['minOperators', 'minRestake'] as const;

/** At most this many operators can be required (a sanity bound, not a protocol limit). */
export const MAX_MIN_OPERATORS = 100;

/** No requirements: the SPN is active from its registration. */
export const NO_REQUIREMENTS: SpnRequirements = { minOperators: 0, minRestake: '0' };
const DECIMAL = /^[0-9]{1,80}$/;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function decimals(value: unknown, length: number, what: string): void {
  if (!Array.isArray(value) || value.length !== length || !value.every((v) => typeof v === 'string' && DECIMAL.test(v))) {
    throw new InvalidInputError(`${what} must be an array of ${length} decimal strings`);
  }
}

/**
 * Shape of a snarkjs Groth16 verification key for the StateTransition statement (4 public
 * signals: oldRoot, newRoot, diffHash, chunkIndex). Whether its points load is checked by the
 * registry with ChunkVerifier.fromKey.
 */
export function checkVerificationKeyShape(vk: unknown): asserts vk is Record<string, unknown> {
  const what = 'verificationKey';
  if (!isObject(vk)) throw new InvalidInputError(`${what} must be a snarkjs verification key object`);
  if (vk.protocol !== 'groth16') throw new InvalidInputError(`${what}.protocol must be "groth16"`);
  if (vk.curve !== 'bn128') throw new InvalidInputError(`${what}.curve must be "bn128"`);
  if (vk.nPublic !== 4) {
    throw new InvalidInputError(
      `${what}.nPublic must be 4 (oldRoot, newRoot, diffHash, chunkIndex), got ${JSON.stringify(vk.nPublic)}: not a StateTransition key`,
    );
  }
  decimals(vk.vk_alpha_1, 3, `${what}.vk_alpha_1`);
  for (const g2 of ['vk_beta_2', 'vk_gamma_2', 'vk_delta_2'] as const) {
    const point = vk[g2];
    if (!Array.isArray(point) || point.length !== 3) throw new InvalidInputError(`${what}.${g2} must be an array of 3 pairs`);
    point.forEach((pair, i) => decimals(pair, 2, `${what}.${g2}[${i}]`));
  }
  if (!Array.isArray(vk.IC) || vk.IC.length !== 5) throw new InvalidInputError(`${what}.IC must hold nPublic + 1 = 5 points`);
  vk.IC.forEach((point, i) => decimals(point, 3, `${what}.IC[${i}]`));
}

function text(value: unknown, what: string): string {
  if (typeof value !== 'string') throw new InvalidInputError(`${what} must be a string`);
  return value;
}

/** An http(s) URL without credentials. */
export function parseEndpoint(value: unknown): string {
  const raw = text(value, 'endpoint');
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new InvalidInputError(`endpoint must be an http(s) URL, got ${JSON.stringify(raw)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InvalidInputError(`endpoint must be an http(s) URL, got ${JSON.stringify(raw)}`);
  }
  if (url.username || url.password) throw new InvalidInputError('endpoint must not carry credentials');
  if (raw.length > 2048) throw new InvalidInputError('endpoint must be at most 2048 characters');
  return raw;
}

/** An amount of base units: a decimal string (or a safe integer) from 0 to 2^256 - 1, returned as a bigint. */
export function parseAmount(value: unknown, what: string): bigint {
  const raw = typeof value === 'number' && Number.isSafeInteger(value) ? String(value) : value;
  if (typeof raw !== 'string' || !/^[0-9]{1,78}$/.test(raw)) throw new InvalidInputError(`${what} must be a decimal string of base units`);
  const amount = BigInt(raw);
  if (amount >= 1n << 256n) throw new InvalidInputError(`${what} must be below 2^256`);
  return amount;
}

function parseRequirements(value: unknown): SpnRequirements {
  if (value === undefined) return NO_REQUIREMENTS;
  if (!isObject(value)) throw new InvalidInputError('requirements must be an object { minOperators, minRestake }');
  const unknown = Object.keys(value).filter((k) => !(REQUIREMENT_KEYS as readonly string[]).includes(k));
  if (unknown.length > 0) throw new InvalidInputError(`requirements has unknown field(s): ${unknown.join(', ')}`);
  const { minOperators } = value;
  if (typeof minOperators !== 'number' || !Number.isInteger(minOperators) || minOperators < 0 || minOperators > MAX_MIN_OPERATORS) {
    throw new InvalidInputError(`requirements.minOperators must be an integer from 0 to ${MAX_MIN_OPERATORS}`);
  }
  const minRestake = value.minRestake === undefined ? 0n : parseAmount(value.minRestake, 'requirements.minRestake');
  if (minOperators === 0 && minRestake > 0n) throw new InvalidInputError('requirements.minRestake needs minOperators of 1 or more');
  return { minOperators, minRestake: String(minRestake) };
}

/**
 * Validates a registration request (from REST or the TCP transport alike): known fields only,
 * an SPN id, a VM kind, a profile that circuits.json declares, a key of the StateTransition
 * shape, an address, an http(s) URL and optional requirements. The operator comes back lowercase.
 */
export function parseRegisterSpnInput(value: unknown, manifest: CircuitsManifest): { input: RegisterSpnInput; profile: CircuitProfile } {
  if (!isObject(value)) throw new InvalidInputError('registration must be an object');
  const unknown = Object.keys(value).filter((k) => !(INPUT_KEYS as readonly string[]).includes(k));
  if (unknown.length > 0) throw new InvalidInputError(`registration has unknown field(s): ${unknown.join(', ')}`);
  const spnId = text(value.spnId, 'spnId');
  if (!SPN_ID_PATTERN.test(spnId)) throw new InvalidInputError('spnId must be 1 to 32 characters a-z, 0-9 or -');
  const vmKind = text(value.vmKind, 'vmKind') as VmKind;
  if (!VM_KINDS.includes(vmKind)) throw new InvalidInputError(`vmKind must be one of ${VM_KINDS.join(', ')}`);
  const profileName = text(value.profile, 'profile');
  const profile = Object.hasOwn(manifest.profiles, profileName) ? manifest.profiles[profileName] : undefined;
  if (!profile) {
    throw new InvalidInputError(
      `profile must be a circuit profile of circuits.json (${Object.keys(manifest.profiles).join(', ')}), got ${JSON.stringify(profileName)}`,
    );
  }
  checkVerificationKeyShape(value.verificationKey);
  const operator = parseAddress(value.operator, 'operator');
  const endpoint = parseEndpoint(value.endpoint);
  const requirements = parseRequirements(value.requirements);
  return {
    input: { spnId, vmKind, profile: profile.name, verificationKey: value.verificationKey, operator, endpoint, requirements },
    profile,
  };
}
