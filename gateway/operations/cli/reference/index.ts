import { SCHEMA_FILES } from '../../schemas.ts';
import { buildProgram } from '../program.ts';
import { cliReference } from './cli.ts';
import { configurationReference } from './configuration.ts';

/** The reference pages made from the code, by path in the repository. */
export const REFERENCE_FILES: Record<string, () => Promise<string>> = {
  'docs/cli.md': async () => cliReference(await buildProgram()),
  'docs/configuration.md': async () =>
    configurationReference(
      SCHEMA_FILES['docs/schema/gateway.schema.json']!() as Parameters<typeof configurationReference>[0],
    ),
};
