import { MESSAGE_LIMITS, METHOD_NAME, PLUGIN_NAME, SPN_ID_PATTERN, type OutboundMessage } from '@mesh/core';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Reads what a plugin passes to `mesh.send_message`: strings encoded as `encodeArgs` encodes call
 * arguments (per string a u32 little-endian byte length, then its UTF-8 bytes), in the order
 * destination SPN id, plugin name, method name, then the args. Returns the message, or the reason
 * it is not one (the call then reverts with it).
 */
export function parseOutboundMessage(bytes: Uint8Array): OutboundMessage | string {
  const strings: string[] = [];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let at = 0; at < bytes.length;) {
    if (at + 4 > bytes.length) return 'send_message: truncated length prefix';
    const n = view.getUint32(at, true);
    if (at + 4 + n > bytes.length) return 'send_message: a string runs past the end of the message';
    try {
      strings.push(utf8.decode(bytes.subarray(at + 4, at + 4 + n)));
    } catch {
      return 'send_message: a string is not valid UTF-8';
    }
    at += 4 + n;
  }
  if (strings.length < 3) return 'send_message: a message names its destination SPN, plugin and method';
  const [dstSpn, plugin, method, ...args] = strings;
  if (!SPN_ID_PATTERN.test(dstSpn)) return `send_message: "${dstSpn}" is not an SPN id (1 to 32 characters a-z, 0-9 or -)`;
  if (!PLUGIN_NAME.test(plugin)) return `send_message: "${plugin}" is not a plugin name`;
  if (!METHOD_NAME.test(method)) return `send_message: "${method}" is not a method name`;
  if (args.length > MESSAGE_LIMITS.args) return `send_message: ${args.length} args, the limit is ${MESSAGE_LIMITS.args}`;
  return { dstSpn, plugin, method, args };
}
