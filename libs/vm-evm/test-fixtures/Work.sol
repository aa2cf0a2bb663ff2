// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// A compute-heavy call for benchmarks: `rounds` keccak rounds (in scratch memory: the cost per
/// round stays the same), the result stored in the caller's own slot (callers with different
/// keys never touch the same state).
contract Work {
    mapping(uint256 => bytes32) public results;

    function work(uint256 rounds, uint256 key) external {
        bytes32 h = bytes32(key);
        for (uint256 i = 0; i < rounds; i++) {
            assembly {
                mstore(0, h)
                mstore(32, i)
                h := keccak256(0, 64)
            }
        }
        results[key] = h;
    }
}
