import { InitStateTree1732449600000 } from './1732449600000-init-state-tree';
import { Mainnet1764000000000 } from './1764000000000-mainnet';
import { SpnNode1764000001000 } from './1764000001000-spn-node';
import { SpnEvm1764000002000 } from './1764000002000-spn-evm';
import { ProofJobProvers1764000003000 } from './1764000003000-proof-job-provers';
import { MainnetStaking1764000004000 } from './1764000004000-mainnet-staking';
import { Messages1764000005000 } from './1764000005000-messages';

/** Every migration, oldest first. Listed as classes (not globs) so TS sources and dist both work. */
export const migrations = [
  InitStateTree1732449600000,
  Mainnet1764000000000,
  SpnNode1764000001000,
  SpnEvm1764000002000,
  ProofJobProvers1764000003000,
  MainnetStaking1764000004000,
  Messages1764000005000,
];
