// Example plugin: a token that moves between SPNs with cross-SPN messages. Deploy it as "bridge"
// on every SPN it should reach.
//   init()                          the deployer becomes the owner
//   mint(to, amount)                owner only
//   transfer(to, amount)            from the caller; reverts "insufficient balance"
//   balanceOf(addr)                 returns the balance (decimal string)
//   send(spn, to, amount)           burns the caller's amount here and sends it to `to` on SPN `spn`
//   receive(srcSpn, srcPlugin, to, amount)
//                                   a relayed message only (caller MESSAGE_CALLER), from a plugin
//                                   named "bridge": credits `to`
// Balances live under "bal:<address>" as u64; every balance change emits a Transfer event (send
// and receive also emit Sent / Received).
import { Args, Context, emit, isRelayedMessage, revert, sendMessage, setReturnU64, Storage } from "../../../assembly";

const ZERO_ADDRESS = "0x0000000000000000000000000000000000000000";
const PLUGIN_NAME = "bridge";

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

function credit(to: string, amount: u64): void {
  const balance = Storage.getU64(balanceKey(to));
  if (balance > u64.MAX_VALUE - amount) revert("balance overflow");
  setBalance(to, balance + amount);
}

function debit(from: string, amount: u64): void {
  const balance = Storage.getU64(balanceKey(from));
  if (balance < amount) revert("insufficient balance");
  setBalance(from, balance - amount);
}

export function init(): void {
  Storage.setAddress("owner", Context.caller());
}

export function mint(): void {
  const to = Args.nextAddress();
  const amount = Args.nextU64();
  const owner = Storage.getAddress("owner");
  if (owner == null || owner != Context.caller()) revert("only the owner can mint");
  credit(to, amount);
  transferEvent(ZERO_ADDRESS, to, amount);
}

export function transfer(): void {
  const to = Args.nextAddress();
  const amount = Args.nextU64();
  const from = Context.caller();
  if (from != to) {
    debit(from, amount);
    credit(to, amount);
  } else if (Storage.getU64(balanceKey(from)) < amount) revert("insufficient balance");
  transferEvent(from, to, amount);
}

export function balanceOf(): void {
  setReturnU64(Storage.getU64(balanceKey(Args.nextAddress())));
}

export function send(): void {
  const spn = Args.nextString();
  const to = Args.nextAddress();
  const amount = Args.nextU64();
  if (amount == 0) revert("nothing to send");
  const from = Context.caller();
  debit(from, amount);
  transferEvent(from, ZERO_ADDRESS, amount);
  sendMessage(spn, PLUGIN_NAME, "receive", [to, amount.toString()]);
  emit("Sent", '{"spn":"' + spn + '","from":"' + from + '","to":"' + to + '","amount":"' + amount.toString() + '"}');
}

export function receive(): void {
  if (!isRelayedMessage()) revert("receive takes relayed messages only");
  const srcSpn = Args.nextString();
  const srcPlugin = Args.nextString();
  if (srcPlugin != PLUGIN_NAME) revert("messages from plugin '" + srcPlugin + "' are not accepted");
  const to = Args.nextAddress();
  const amount = Args.nextU64();
  credit(to, amount);
  transferEvent(ZERO_ADDRESS, to, amount);
  emit("Received", '{"spn":"' + srcSpn + '","to":"' + to + '","amount":"' + amount.toString() + '"}');
}
