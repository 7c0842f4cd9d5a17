// `veilgate fleet ...` in the bundle (dist/fleet.js): the agency's tools, without the image, model and
// broker libraries the gateway's bundle loads at its start, so the fleet view is not kept waiting.
import { registerFleet } from './commands/fleet.ts';
import { baseProgram } from './program-base.ts';
import { runProgram } from './run-program.ts';

const program = baseProgram();
registerFleet(program);
await runProgram(program, process.argv);
