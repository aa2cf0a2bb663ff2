pragma circom 2.1.0;

/*
 * StateTransition(depth, K): one settlement chunk of Rollup Mesh.
 *
 * Statement: applying the enabled updates (index, key, oldValue, newValue), in slot order,
 * to the fixed-depth binary Poseidon Merkle tree whose root is `oldRoot` gives `newRoot`, and
 * `diffHash` is the Poseidon hash chain of those updates seeded with `chunkIndex`.
 *
 * Tree (identical to libs/state):
 *   leaf(key, value)  = 0 when value == 0, else Poseidon(key, value)
 *   node(left, right) = Poseidon(left, right); empty subtrees hash up from leaf 0
 *   bit i of `index` (LSB first) is 1 when the node at level i is a right child.
 * Diff hash chain (identical to libs/state diffHashChain):
 *   h_0 = chunkIndex; h_{j+1} = Poseidon(h_j, index_j, key_j, oldValue_j, newValue_j)
 *   for every enabled slot j; a disabled slot leaves h unchanged. diffHash = h_K.
 *
 * Signals
 *   public  oldRoot        root before the chunk
 *   public  newRoot        root after the chunk
 *   public  diffHash       hash chain of the chunk's enabled updates (above)
 *   public  chunkIndex     position of the chunk in its batch (seeds the chain)
 *   private enabled[K]     1 = slot holds an update, 0 = no-op slot (must be boolean)
 *   private index[K]       leaf index, < 2^depth (range-checked by Num2Bits)
 *   private key[K]         state key (field element)
 *   private oldValue[K]    value before this update (0 = absent)
 *   private newValue[K]    value after this update (0 = delete)
 *   private siblings[K][depth]  Merkle path of slot j against the root after slots 0..j-1
 *
 * What callers must enforce outside the circuit
 *   - The key -> index assignment is the SPN's: the circuit does not prove that a key occupies
 *     a single index or that index i holds the same key over time. The diff is public, so the
 *     mainnet (or a watcher) checks index uniqueness when it replays the posted diff.
 *   - The mainnet recomputes diffHash from the posted diff and chunkIndex from the chunk's
 *     position, and checks that chunk roots chain from the batch preRoot to its postRoot.
 *   - Keys and values are field elements (< BN254 scalar field); larger words must be split
 *     or hashed by the caller before they reach the tree.
 */

include "circomlib/circuits/poseidon.circom";
include "circomlib/circuits/bitify.circom";
include "circomlib/circuits/comparators.circom";

// leaf(key, value) = value == 0 ? 0 : Poseidon(key, value)
template LeafHash() {
    signal input key;
    signal input value;
    signal output out;

    component isZero = IsZero();
    isZero.in <== value;
    component h = Poseidon(2);
    h.inputs[0] <== key;
    h.inputs[1] <== value;
    out <== h.out * (1 - isZero.out);
}

// Root of the tree from a leaf, its path bits (LSB = level 0) and the siblings on its path.
template PathRoot(depth) {
    signal input leaf;
    signal input pathBits[depth];
    signal input siblings[depth];
    signal output root;

    signal cur[depth + 1];
    signal swap[depth];
    component h[depth];
    cur[0] <== leaf;
    for (var i = 0; i < depth; i++) {
        // bit = 1: the current node is the right child, so (left, right) = (sibling, cur)
        swap[i] <== pathBits[i] * (siblings[i] - cur[i]);
        h[i] = Poseidon(2);
        h[i].inputs[0] <== cur[i] + swap[i];
        h[i].inputs[1] <== siblings[i] - swap[i];
        cur[i + 1] <== h[i].out;
    }
    root <== cur[depth];
}

// One update slot: checks the old leaf against prevRoot and yields the root after the update.
template UpdateSlot(depth) {
    signal input enabled;
    signal input index;
    signal input key;
    signal input oldValue;
    signal input newValue;
    signal input siblings[depth];
    signal input prevRoot;
    signal input prevHash;
    signal output nextRoot;
    signal output nextHash;

    enabled * (enabled - 1) === 0;

    component bits = Num2Bits(depth);
    bits.in <== index;

    component oldLeaf = LeafHash();
    oldLeaf.key <== key;
    oldLeaf.value <== oldValue;
    component newLeaf = LeafHash();
    newLeaf.key <== key;
    newLeaf.value <== newValue;

    component oldPath = PathRoot(depth);
    component newPath = PathRoot(depth);
    oldPath.leaf <== oldLeaf.out;
    newPath.leaf <== newLeaf.out;
    for (var i = 0; i < depth; i++) {
        oldPath.pathBits[i] <== bits.out[i];
        oldPath.siblings[i] <== siblings[i];
        newPath.pathBits[i] <== bits.out[i];
        newPath.siblings[i] <== siblings[i];
    }

    // An enabled slot must start from the running root.
    enabled * (oldPath.root - prevRoot) === 0;
    nextRoot <== prevRoot + enabled * (newPath.root - prevRoot);

    component chain = Poseidon(5);
    chain.inputs[0] <== prevHash;
    chain.inputs[1] <== index;
    chain.inputs[2] <== key;
    chain.inputs[3] <== oldValue;
    chain.inputs[4] <== newValue;
    nextHash <== prevHash + enabled * (chain.out - prevHash);
}

template StateTransition(depth, K) {
    signal input oldRoot;
    signal input newRoot;
    signal input diffHash;
    signal input chunkIndex;

    signal input enabled[K];
    signal input index[K];
    signal input key[K];
    signal input oldValue[K];
    signal input newValue[K];
    signal input siblings[K][depth];

    component slot[K];
    for (var j = 0; j < K; j++) {
        slot[j] = UpdateSlot(depth);
        slot[j].enabled <== enabled[j];
        slot[j].index <== index[j];
        slot[j].key <== key[j];
        slot[j].oldValue <== oldValue[j];
        slot[j].newValue <== newValue[j];
        for (var i = 0; i < depth; i++) {
            slot[j].siblings[i] <== siblings[j][i];
        }
        if (j == 0) {
            slot[j].prevRoot <== oldRoot;
            slot[j].prevHash <== chunkIndex;
        } else {
            slot[j].prevRoot <== slot[j - 1].nextRoot;
            slot[j].prevHash <== slot[j - 1].nextHash;
        }
    }
    newRoot === slot[K - 1].nextRoot;
    diffHash === slot[K - 1].nextHash;
}
