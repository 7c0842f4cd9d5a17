import { SCHEMA_FILES } from '../../schemas.ts';
import { buildProgram } from '../program.ts';
import { cliReference } from './cli.ts';
import { configurationReference } from './configuration.ts';

/** The reference pages made from the code, by path in the repository. */
export const REFERENCE_FILES: Record<string, () => string> = {
  'docs/cli.md': () => cliReference(buildProgram()),
  'docs/configuration.md': () =>
    configurationReference(
      SCHEMA_FILES['docs/schema/gateway.schema.json']!() as Parameters<typeof configurationReference>[0],
    ),
};
