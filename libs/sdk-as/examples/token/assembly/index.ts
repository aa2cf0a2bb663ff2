// Example plugin: a fungible token.
//   init()                  the deployer becomes the owner
//   mint(to, amount)        owner only
//   transfer(to, amount)    from the caller; reverts "insufficient balance"
//   balanceOf(addr)         returns the balance (decimal string)
// Balances live under "bal:<address>" as u64; every mint and transfer emits a Transfer event.
import { Args, Context, emit, revert, setReturnU64, Storage } from "../../../assembly";

const ZERO_ADDRESS = "0x0000000000000000000000000000000000000000";

function balanceKey(address: string): string {
  return "bal:" + address;
}

function transferEvent(from: string, to: string, amount: u64): void {
  emit("Transfer", '{"from":"' + from + '","to":"' + to + '","amount":"' + amount.toString() + '"}');
}

function setBalance(address: string, amount: u64): void {
  if (amount == 0) Storage.delete(balanceKey(address));
  else Storage.setU64(balanceKey(address), amount);
}

export function init(): void {
  Storage.setAddress("owner", Context.caller());
}

export function mint(): void {
  const to = Args.nextAddress();
  const amount = Args.nextU64();
  const owner = Storage.getAddress("owner");
  if (owner == null || owner != Context.caller()) revert("only the owner can mint");
  const balance = Storage.getU64(balanceKey(to));
  if (balance > u64.MAX_VALUE - amount) revert("balance overflow");
  setBalance(to, balance + amount);
  transferEvent(ZERO_ADDRESS, to, amount);
}

export function transfer(): void {
  const to = Args.nextAddress();
  const amount = Args.nextU64();
  const from = Context.caller();
  const fromBalance = Storage.getU64(balanceKey(from));
  if (fromBalance < amount) revert("insufficient balance");
  if (from != to) {
    const toBalance = Storage.getU64(balanceKey(to));
    if (toBalance > u64.MAX_VALUE - amount) revert("balance overflow");
    setBalance(from, fromBalance - amount);
    setBalance(to, toBalance + amount);
  }
  transferEvent(from, to, amount);
}

export function balanceOf(): void {
  setReturnU64(Storage.getU64(balanceKey(Args.nextAddress())));
}
