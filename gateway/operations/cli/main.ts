import { buildProgram } from './program.ts';
import { runProgram } from './run-program.ts';

await runProgram(await buildProgram(process.argv), process.argv);
