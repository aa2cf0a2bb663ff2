/** Message patterns of the SPN -> mainnet traffic (NestJS microservices, request/response). */
export const MAINNET_PATTERNS = {
  registerSpn: 'mainnet.registerSpn',
  submitBatch: 'mainnet.submitBatch',
  getSpn: 'mainnet.getSpn',
  pendingMessages: 'mainnet.pendingMessages',
} as const;

export type MainnetPattern = (typeof MAINNET_PATTERNS)[keyof typeof MAINNET_PATTERNS];
