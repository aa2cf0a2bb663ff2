/** Injection token of the app's `Mainnet` (libs/mainnet createMainnet). */
export const MAINNET = Symbol('MAINNET');
/** Injection token of the MainnetConfig. */
export const MAINNET_CONFIG = Symbol('MAINNET_CONFIG');
