export { readPolicyFile, type PolicyFileResult } from './file.ts';
export { ActivePolicy, type PolicyInForce, type LoadOutcome } from './active.ts';
export { deploymentSalt } from './salt.ts';
export { readCaseFile, readInputs, formatErrors } from './inputs-file.ts';
export { FleetPolicy, fleetPolicyFile } from './fleet.ts';
export { makeSigningKeys, readSigningKey, readTrustedKeys, signPolicy, signatureProblem } from './signature.ts';
export { PolicyPart, type ReloadTrigger } from './start-policy.ts';
