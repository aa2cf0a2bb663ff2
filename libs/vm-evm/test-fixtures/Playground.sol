// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// Exercises what the differential test compares: storage set / clear (both 128-bit halves),
/// logs, reverts with reasons and panics, gas burning, CREATE / CREATE2, SELFDESTRUCT of a
/// same-transaction contract, calls between contracts, value transfers, transient storage.
contract Playground {
    mapping(uint256 => uint256) public slots;
    uint256 public counter;

    event Stored(uint256 indexed key, uint256 value);
    event Note(address indexed from, bytes data);

    function store(uint256 key, uint256 value) external {
        slots[key] = value;
        emit Stored(key, value);
    }

    function clear(uint256 key) external {
        delete slots[key];
    }

    function bump() external payable returns (uint256) {
        emit Note(msg.sender, abi.encode(msg.value));
        return ++counter;
    }

    function fail(string calldata reason) external pure {
        revert(reason);
    }

    function divide(uint256 a, uint256 b) external pure returns (uint256) {
        return a / b;
    }

    function burn(uint256 rounds) external {
        for (uint256 i = 0; i < rounds; i++) slots[i + 1000] = i + 1;
    }

    function spawn(uint256 salt) external returns (address) {
        Child c = new Child{salt: bytes32(salt)}();
        return address(c);
    }

    function spawnAndKill() external payable {
        Child c = new Child{value: msg.value}();
        c.kill(payable(msg.sender));
    }

    function storeAndFail(uint256 key) external {
        slots[key] = 1;
        this.fail("inner");
    }

    function tryStoreAndFail(uint256 key) external returns (bool ok) {
        slots[key + 1] = 2;
        (ok, ) = address(this).call(abi.encodeCall(this.storeAndFail, (key)));
    }

    function callOther(address other, bytes calldata data) external payable returns (bool ok, bytes memory ret) {
        (ok, ret) = other.call{value: msg.value}(data);
    }

    function pay(address payable to) external payable {
        to.transfer(msg.value);
    }

    function transientSum(uint256 a) external returns (uint256 s) {
        assembly {
            tstore(1, add(tload(1), a))
            s := tload(1)
        }
        slots[7] = s;
    }

    receive() external payable {}
}

contract Child {
    uint256 public x = 7;

    constructor() payable {}

    function kill(address payable to) external {
        selfdestruct(to);
    }
}
