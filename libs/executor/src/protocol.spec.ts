import { describe, expect, it } from 'vitest';
import { decodeExecuted, encodeExecuted, txsFromWire, wireTxs, type ExecutedTx } from './protocol';

describe('ExecutedBatch encoding', () => {
  it('gives back every execution as it was: reads, writes in order, outputs, shared data and serialOnly', () => {
    const list: ExecutedTx[] = [
      { tx: 3, incarnation: 0, reads: [1n, 10n, 2n ** 255n, 0n], writes: new Map([[5n, 50n]]), output: { gas: '21000', logs: [] } },
      { tx: 4, incarnation: 2, reads: [], writes: new Map(), output: undefined, shared: { code: new Uint8Array([1, 2]) } },
      {
        tx: 5,
        incarnation: 1,
        reads: [7n, 70n],
        writes: new Map([
          [9n, 0n],
          [8n, 80n],
        ]),
        output: 'x',
        serialOnly: 'touches the fee recipient',
      },
    ];
    const batch = encodeExecuted(list);
    expect(batch.meta).toBeInstanceOf(Int32Array);
    const back = decodeExecuted(structuredClone(batch));
    expect(back).toEqual(list);
    expect([...back[2].writes.keys()]).toEqual([9n, 8n]);
  });

  it("with the engine's TxOutputCodec: outputs go as its text, and come back through it; without the codec on this side, a clear error", () => {
    const codec = { encode: (o: readonly unknown[]) => JSON.stringify(o), decode: (t: string) => JSON.parse(t) as unknown[] };
    const list: ExecutedTx[] = [
      { tx: 0, incarnation: 0, reads: [], writes: new Map([[1n, 2n]]), output: { status: 'success', gasUsed: '7' } },
      { tx: 1, incarnation: 0, reads: [3n, 4n], writes: new Map(), output: { status: 'reverted', gasUsed: '0', error: 'no' } },
    ];
    const batch = structuredClone(encodeExecuted(list, codec));
    expect(batch.outputs).toBeUndefined();
    expect(typeof batch.encodedOutputs).toBe('string');
    expect(decodeExecuted(batch, codec)).toEqual(list);
    expect(() => decodeExecuted(batch)).toThrow(
      'the workers encode tx outputs (their engine module exports txOutputCodec) but the executor has no outputCodec',
    );
  });

  it('an empty task', () => {
    expect(decodeExecuted(encodeExecuted([]))).toEqual([]);
  });
});

describe('tx payloads on the wire', () => {
  const txs = [
    { to: 'a', gas: 5n },
    { to: 'b', gas: 6n },
  ];
  const codec = {
    encode: (list: readonly unknown[]) => JSON.stringify((list as typeof txs).map((t) => [t.to, String(t.gas)])),
    decode: (text: string) => (JSON.parse(text) as [string, string][]).map(([to, gas]) => ({ to, gas: BigInt(gas) })),
  };

  it('without a codec: the txs themselves (cloned by postMessage)', () => {
    expect(wireTxs(txs, undefined)).toBe(txs);
    expect(txsFromWire(structuredClone(txs), codec)).toEqual(txs);
  });

  it("with the VM's TxPayloadCodec: its text, back through it; without the codec in the worker, a clear error", () => {
    const wire = structuredClone(wireTxs(txs, codec));
    expect(wire).toEqual({ encoded: '[["a","5"],["b","6"]]' });
    expect(txsFromWire(wire, codec)).toEqual(txs);
    expect(() => txsFromWire(wire, undefined)).toThrow(
      'the executor encodes tx payloads (it has a payloadCodec) but the engine module exports no txPayloadCodec',
    );
  });
});
