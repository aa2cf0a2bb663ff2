import { Wallet } from 'ethers';
import { describe, expect, it } from 'vitest';
import { signWasmCall, signWasmDeploy, verifySignedWasmCall, verifySignedWasmDeploy, wasmCallHash } from './wasm-tx';

const domain = { chainId: 4242, spnId: 'wasm-1' };
const alice = new Wallet('0x' + '11'.repeat(32));
const mallory = new Wallet('0x' + '22'.repeat(32));
const call = {
  from: alice.address.toLowerCase(),
  nonce: 3n,
  plugin: 'token',
  method: 'transfer',
  args: ['0x' + 'ab'.repeat(20), '5'],
  gasLimit: 100_000n,
};

describe('signed Wasm calls', () => {
  it('verifies a call signed by its sender and hashes it with the domain', async () => {
    const signed = await signWasmCall(alice, domain, call);
    const verified = verifySignedWasmCall(JSON.parse(JSON.stringify(signed)), domain);
    expect(verified.call).toEqual(call);
    expect(verified.hash).toBe(wasmCallHash(domain, call));
    expect(verified.hash).not.toBe(wasmCallHash({ ...domain, spnId: 'other' }, call));
  });

  it.each([
    ['another chain', { chainId: 1 }, /wrong chain id: the transaction is for chain 1, this SPN is on chain 4242/],
    ['another SPN', { spnId: 'wasm-2' }, /wrong SPN id: the transaction is for SPN "wasm-2", this is SPN "wasm-1"/],
  ])('refuses a call for %s', async (_, change, reason) => {
    const signed = { ...(await signWasmCall(alice, domain, call)), ...change };
    expect(() => verifySignedWasmCall(signed, domain)).toThrow(reason);
  });

  it('refuses a call signed for another SPN even when the body claims this one (domain separation)', async () => {
    const signed = { ...(await signWasmCall(alice, { ...domain, spnId: 'wasm-2' }, call)), spnId: 'wasm-1' };
    expect(() => verifySignedWasmCall(signed, domain)).toThrow(/bad signature: signed by 0x[0-9a-f]{40}, not by from/);
  });

  it('refuses a signature by someone else, a changed field and a malformed signature', async () => {
    const byMallory = await signWasmCall(mallory, domain, call);
    expect(() => verifySignedWasmCall(byMallory, domain)).toThrow(/bad signature/);
    const signed = await signWasmCall(alice, domain, call);
    expect(() => verifySignedWasmCall({ ...signed, call: { ...signed.call, nonce: '4' } }, domain)).toThrow(/bad signature/);
    expect(() => verifySignedWasmCall({ ...signed, signature: '0x1234' }, domain)).toThrow(/65-byte hex signature/);
  });

  it.each([
    [{ extra: 1 }, /request body has unknown field\(s\): extra/],
    [{ call: 'x' }, /call must be an object/],
    [{ call: { ...call, nonce: '-1' } }, /call.nonce must be a decimal string/],
    [{ call: { ...call, nonce: '3', gasLimit: '1', args: [1] } }, /call.args must be an array of strings/],
    [{ call: { ...call, nonce: '3', gasLimit: '1', from: 'alice' } }, /call.from must be a 0x-prefixed 20-byte hex address/],
    [{ call: { ...call, nonce: '3', gasLimit: '1', plugin: 'Bad Name' } }, /call.plugin must be a plugin name/],
  ])('refuses malformed input with the reason (%#)', async (change, reason) => {
    const signed = await signWasmCall(alice, domain, call);
    expect(() => verifySignedWasmCall({ ...signed, ...change }, domain)).toThrow(reason);
  });
});

describe('signed Wasm calls that declare their keys', () => {
  const declared = { ...call, reads: ['owner'], writes: ['bal:' + call.from, 'bal:' + call.args[0]] };

  it('signs the declaration with the call (type DeclaredCall): verified, hashed apart from the same call without one', async () => {
    const signed = await signWasmCall(alice, domain, declared);
    expect(signed.call.writes).toEqual(declared.writes);
    const verified = verifySignedWasmCall(JSON.parse(JSON.stringify(signed)), domain);
    expect(verified.call).toEqual(declared);
    expect(verified.hash).toBe(wasmCallHash(domain, declared));
    expect(verified.hash).not.toBe(wasmCallHash(domain, call));
    // One list alone is a declaration too (the other is empty).
    const writesOnly = verifySignedWasmCall(await signWasmCall(alice, domain, { ...call, writes: ['k'] }), domain);
    expect(writesOnly.call).toEqual({ ...call, reads: [], writes: ['k'] });
  });

  it('refuses a declaration changed after signing, added or dropped', async () => {
    const signed = await signWasmCall(alice, domain, declared);
    expect(() => verifySignedWasmCall({ ...signed, call: { ...signed.call, writes: ['bal:x'] } }, domain)).toThrow(/bad signature/);
    const { reads: _r, writes: _w, ...plain } = signed.call;
    expect(() => verifySignedWasmCall({ ...signed, call: plain }, domain)).toThrow(/bad signature/);
    const undeclared = await signWasmCall(alice, domain, call);
    expect(() => verifySignedWasmCall({ ...undeclared, call: { ...undeclared.call, reads: [] } }, domain)).toThrow(/bad signature/);
  });

  it.each([
    [{ reads: 'owner' }, /call.reads must be an array of storage keys/],
    [{ writes: [1] }, /call.writes must be an array of storage keys/],
    [{ writes: [''] }, /call.writes: a storage key must be 1 to 64 bytes, got 0/],
    [{ reads: ['x'.repeat(65)] }, /call.reads: a storage key must be 1 to 64 bytes, got 65/],
    [{ writes: Array.from({ length: 65 }, (_, i) => `k${i}`) }, /call declares 65 storage keys, the limit is 64/],
  ])('refuses a malformed declaration with the reason (%#)', async (change, reason) => {
    const signed = await signWasmCall(alice, domain, call);
    expect(() => verifySignedWasmCall({ ...signed, call: { ...signed.call, ...change } }, domain)).toThrow(reason);
  });
});

describe('signed Wasm deployments', () => {
  it('verifies a deployment whose code matches the signed hash, and refuses other code', async () => {
    const code = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]);
    const signed = await signWasmDeploy(
      alice,
      domain,
      { from: alice.address.toLowerCase(), nonce: 0n, name: 'token', gasLimit: 1_000_000n },
      code,
    );
    expect(verifySignedWasmDeploy(signed, domain).code).toEqual(code);
    const other = Buffer.from([0, 97, 115, 109, 1, 0, 0, 1]).toString('base64');
    expect(() => verifySignedWasmDeploy({ ...signed, code: other }, domain)).toThrow(/code does not match deploy.codeHash/);
  });
});
