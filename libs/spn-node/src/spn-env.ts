import Joi from 'joi';

/** The variables naming an SPN and its circuit, shared by the SPN node and prover processes. */
export interface SpnIdentityEnv {
  SPN_ID: string;
  CIRCUIT_PROFILE: string;
}

/** Joi keys of SpnIdentityEnv (defaults: SPN `spn-1`, profile `dev`); an empty variable counts as unset. */
export function spnIdentityEnvKeys(): Joi.PartialSchemaMap<SpnIdentityEnv> {
  return {
    SPN_ID: Joi.string()
      .pattern(/^[a-z0-9-]{1,32}$/)
      .empty('')
      .default('spn-1')
      .messages({ '*': '{#label} must be 1 to 32 characters a-z, 0-9 or -' }),
    CIRCUIT_PROFILE: Joi.string()
      .pattern(/^[a-z0-9-]{1,32}$/)
      .empty('')
      .default('dev')
      .messages({ '*': '{#label} must be a profile name from circuits/circuits.json' }),
  };
}
