import { keccak256, TypedDataEncoder, verifyTypedData, type TypedDataField, type Signer } from 'ethers';
import { parseAddress } from './address';
import { InvalidInputError } from './errors';
import { meshDomain } from './signing-domain';

/** A call of a Wasm plugin method, as its sender signs it. */
export interface WasmCall {
  from: string;
  nonce: bigint;
  plugin: string;
  method: string;
  args: string[];
  gasLimit: bigint;
  /**
   * Optional declaration of the called plugin's storage keys the call touches (UTF-8 strings, as
   * `GET /state/:plugin/:key` takes them): `writes` it may write (and read), `reads` it only reads.
   * Signed with the call (EIP-712 type DeclaredCall). A parallel SPN schedules declared calls from
   * them instead of speculating; a wrong declaration costs time (the call runs again), never a
   * different result.
   */
  reads?: string[];
  writes?: string[];
}

/** Most keys one call may declare (reads and writes together). */
export const MAX_DECLARED_KEYS = 64;

/** A plugin deployment, as its deployer signs it; the code travels next to it. */
export interface WasmDeploy {
  from: string;
  nonce: bigint;
  name: string;
  /** keccak256 of the uploaded wasm bytes, 0x-hex. */
  codeHash: string;
  gasLimit: bigint;
}

export const WASM_CALL_TYPES: Record<string, TypedDataField[]> = {
  Call: [
    { name: 'from', type: 'address' },
    { name: 'nonce', type: 'uint64' },
    { name: 'plugin', type: 'string' },
    { name: 'method', type: 'string' },
    { name: 'args', type: 'string[]' },
    { name: 'gasLimit', type: 'uint64' },
  ],
};

/** The EIP-712 type of a call that declares its keys (WasmCall.reads / writes). */
export const WASM_DECLARED_CALL_TYPES: Record<string, TypedDataField[]> = {
  DeclaredCall: [...WASM_CALL_TYPES.Call, { name: 'reads', type: 'string[]' }, { name: 'writes', type: 'string[]' }],
};

/** Whether a call declares keys (either list present, even empty). */
function declares(call: WasmCall): boolean {
  return call.reads !== undefined || call.writes !== undefined;
}

/** The EIP-712 types and message a call is signed as: Call, or DeclaredCall with both lists. */
function typedCall(call: WasmCall): { types: Record<string, TypedDataField[]>; message: Record<string, unknown> } {
  const { from, nonce, plugin, method, args, gasLimit } = call;
  const message = { from, nonce, plugin, method, args, gasLimit };
  if (!declares(call)) return { types: WASM_CALL_TYPES, message };
  return { types: WASM_DECLARED_CALL_TYPES, message: { ...message, reads: call.reads ?? [], writes: call.writes ?? [] } };
}

export const WASM_DEPLOY_TYPES: Record<string, TypedDataField[]> = {
  Deploy: [
    { name: 'from', type: 'address' },
    { name: 'nonce', type: 'uint64' },
    { name: 'name', type: 'string' },
    { name: 'codeHash', type: 'bytes32' },
    { name: 'gasLimit', type: 'uint64' },
  ],
};

/** Names of plugins (and of their methods): what `plugin` and `method` may hold. */
export const PLUGIN_NAME = /^[a-z][a-z0-9_-]{0,31}$/;
export const METHOD_NAME = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;

/** The JSON a client posts: the signed fields (numbers as decimal strings), the domain it signed for, the signature. */
export interface SignedWasmCallJson {
  chainId: number;
  spnId: string;
  call: {
    from: string;
    nonce: string;
    plugin: string;
    method: string;
    args: string[];
    gasLimit: string;
    reads?: string[];
    writes?: string[];
  };
  signature: string;
}

export interface SignedWasmDeployJson {
  chainId: number;
  spnId: string;
  deploy: { from: string; nonce: string; name: string; codeHash: string; gasLimit: string };
  /** The wasm module, base64. */
  code: string;
  signature: string;
}

export interface WasmDomainOptions {
  chainId: number;
  spnId: string;
}

function object(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new InvalidInputError(`${what} must be an object`);
  return value as Record<string, unknown>;
}

function onlyKeys(value: Record<string, unknown>, allowed: readonly string[], what: string): void {
  const unknown = Object.keys(value).filter((k) => !allowed.includes(k));
  if (unknown.length > 0) throw new InvalidInputError(`${what} has unknown field(s): ${unknown.join(', ')}`);
}

function uint64(value: unknown, what: string): bigint {
  if (typeof value !== 'string' || !/^(0|[1-9][0-9]{0,19})$/.test(value) || BigInt(value) >= 2n ** 64n) {
    throw new InvalidInputError(`${what} must be a decimal string of an unsigned 64-bit integer`);
  }
  return BigInt(value);
}

function matching(value: unknown, pattern: RegExp, what: string, rule: string): string {
  if (typeof value !== 'string' || !pattern.test(value)) throw new InvalidInputError(`${what} must be ${rule}`);
  return value;
}

/** A declared key list: strings of 1 to 64 bytes (UTF-8), like plugin storage keys. */
function keyList(value: unknown, what: string): string[] {
  if (!Array.isArray(value) || !value.every((k) => typeof k === 'string'))
    throw new InvalidInputError(`${what} must be an array of storage keys (strings)`);
  for (const key of value as string[]) {
    const size = Buffer.byteLength(key);
    if (size < 1 || size > 64) throw new InvalidInputError(`${what}: a storage key must be 1 to 64 bytes, got ${size}`);
  }
  return value as string[];
}

function signatureOf(value: unknown): string {
  return matching(value, /^0x[0-9a-fA-F]{130}$/, 'signature', 'a 0x-prefixed 65-byte hex signature');
}

function checkDomain(body: Record<string, unknown>, domain: WasmDomainOptions): void {
  if (body.chainId !== domain.chainId) {
    throw new InvalidInputError(
      `wrong chain id: the transaction is for chain ${JSON.stringify(body.chainId)}, this SPN is on chain ${domain.chainId}`,
    );
  }
  if (body.spnId !== domain.spnId) {
    throw new InvalidInputError(`wrong SPN id: the transaction is for SPN ${JSON.stringify(body.spnId)}, this is SPN "${domain.spnId}"`);
  }
}

function recoverSigner(
  domain: WasmDomainOptions,
  types: Record<string, TypedDataField[]>,
  message: object,
  signature: string,
  from: string,
): void {
  let signer: string;
  try {
    signer = verifyTypedData(meshDomain(domain.chainId, domain.spnId), types, message, signature).toLowerCase();
  } catch {
    throw new InvalidInputError('bad signature: it is not a valid secp256k1 signature');
  }
  if (signer !== from) throw new InvalidInputError(`bad signature: signed by ${signer}, not by from (${from})`);
}

/** A verified, typed call with its hash (the EIP-712 digest). */
export interface VerifiedWasmCall {
  hash: string;
  call: WasmCall;
}

/** Parses and verifies a posted call: shape, domain (chain and SPN id), then the signature. */
export function verifySignedWasmCall(value: unknown, domain: WasmDomainOptions): VerifiedWasmCall {
  const body = object(value, 'request body');
  onlyKeys(body, ['chainId', 'spnId', 'call', 'signature'], 'request body');
  checkDomain(body, domain);
  const raw = object(body.call, 'call');
  onlyKeys(raw, ['from', 'nonce', 'plugin', 'method', 'args', 'gasLimit', 'reads', 'writes'], 'call');
  if (!Array.isArray(raw.args) || !raw.args.every((a) => typeof a === 'string'))
    throw new InvalidInputError('call.args must be an array of strings');
  const call: WasmCall = {
    from: parseAddress(raw.from, 'call.from'),
    nonce: uint64(raw.nonce, 'call.nonce'),
    plugin: matching(raw.plugin, PLUGIN_NAME, 'call.plugin', 'a plugin name (a-z, 0-9, _ or -, up to 32 characters)'),
    method: matching(raw.method, METHOD_NAME, 'call.method', 'a method name (letters, digits or _, up to 64 characters)'),
    args: raw.args as string[],
    gasLimit: uint64(raw.gasLimit, 'call.gasLimit'),
  };
  if (raw.reads !== undefined || raw.writes !== undefined) {
    call.reads = raw.reads === undefined ? [] : keyList(raw.reads, 'call.reads');
    call.writes = raw.writes === undefined ? [] : keyList(raw.writes, 'call.writes');
    const count = call.reads.length + call.writes.length;
    if (count > MAX_DECLARED_KEYS) throw new InvalidInputError(`call declares ${count} storage keys, the limit is ${MAX_DECLARED_KEYS}`);
  }
  const signature = signatureOf(body.signature);
  const typed = typedCall(call);
  recoverSigner(domain, typed.types, typed.message, signature, call.from);
  return { hash: wasmCallHash(domain, call), call };
}

export interface VerifiedWasmDeploy {
  hash: string;
  deploy: WasmDeploy;
  code: Uint8Array;
}

/** Parses and verifies a posted deployment; the code must hash to the signed codeHash. */
export function verifySignedWasmDeploy(value: unknown, domain: WasmDomainOptions): VerifiedWasmDeploy {
  const body = object(value, 'request body');
  onlyKeys(body, ['chainId', 'spnId', 'deploy', 'code', 'signature'], 'request body');
  checkDomain(body, domain);
  const raw = object(body.deploy, 'deploy');
  onlyKeys(raw, ['from', 'nonce', 'name', 'codeHash', 'gasLimit'], 'deploy');
  const deploy: WasmDeploy = {
    from: parseAddress(raw.from, 'deploy.from'),
    nonce: uint64(raw.nonce, 'deploy.nonce'),
    name: matching(raw.name, PLUGIN_NAME, 'deploy.name', 'a plugin name (a-z, 0-9, _ or -, up to 32 characters)'),
    codeHash: matching(raw.codeHash, /^0x[0-9a-fA-F]{64}$/, 'deploy.codeHash', 'a 0x-prefixed 32-byte hex hash').toLowerCase(),
    gasLimit: uint64(raw.gasLimit, 'deploy.gasLimit'),
  };
  const codeText = matching(body.code, /^[A-Za-z0-9+/]+={0,2}$/, 'code', 'the wasm module in base64');
  const code = new Uint8Array(Buffer.from(codeText, 'base64'));
  if (wasmCodeHash(code) !== deploy.codeHash) throw new InvalidInputError('code does not match deploy.codeHash');
  const signature = signatureOf(body.signature);
  recoverSigner(domain, WASM_DEPLOY_TYPES, deploy, signature, deploy.from);
  return { hash: TypedDataEncoder.hash(meshDomain(domain.chainId, domain.spnId), WASM_DEPLOY_TYPES, deploy), deploy, code };
}

/** keccak256 of a wasm module's bytes, the `codeHash` a deployment signs. */
export function wasmCodeHash(code: Uint8Array): string {
  return keccak256(code);
}

export function wasmCallHash(domain: WasmDomainOptions, call: WasmCall): string {
  const typed = typedCall(call);
  return TypedDataEncoder.hash(meshDomain(domain.chainId, domain.spnId), typed.types, typed.message);
}

/** Client side: signs a call and gives the JSON to post. */
export async function signWasmCall(signer: Signer, domain: WasmDomainOptions, call: WasmCall): Promise<SignedWasmCallJson> {
  const typed = typedCall(call);
  const signature = await signer.signTypedData(meshDomain(domain.chainId, domain.spnId), typed.types, typed.message);
  const { reads, writes, ...plain } = call;
  return {
    chainId: domain.chainId,
    spnId: domain.spnId,
    call: {
      ...plain,
      nonce: String(call.nonce),
      gasLimit: String(call.gasLimit),
      ...(declares(call) ? { reads: reads ?? [], writes: writes ?? [] } : {}),
    },
    signature,
  };
}

/** Client side: signs a deployment of `code` and gives the JSON to post. */
export async function signWasmDeploy(
  signer: Signer,
  domain: WasmDomainOptions,
  deploy: Omit<WasmDeploy, 'codeHash'>,
  code: Uint8Array,
): Promise<SignedWasmDeployJson> {
  const full: WasmDeploy = { ...deploy, codeHash: wasmCodeHash(code) };
  const signature = await signer.signTypedData(meshDomain(domain.chainId, domain.spnId), WASM_DEPLOY_TYPES, full);
  return {
    chainId: domain.chainId,
    spnId: domain.spnId,
    deploy: { ...full, nonce: String(full.nonce), gasLimit: String(full.gasLimit) },
    code: Buffer.from(code).toString('base64'),
    signature,
  };
}
