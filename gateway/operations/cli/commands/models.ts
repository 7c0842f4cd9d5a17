import type { Command } from 'commander';
import { CATALOGUE, ensureBuilt, modelPath, readVerifiedModel } from '../../../../models/index.ts';
import { EXIT } from '../exit.ts';

export function registerModels(program: Command): void {
  const models = program
    .command('models')
    .description('the detection models: where each comes from, its licence, and whether it is in place');
  models
    .command('list')
    .description('every model in the catalogue with its source package, licence, sha256 and state')
    .option('--json', 'as JSON')
    .action(async (o: { json?: boolean }) => {
      const rows = await Promise.all(
        Object.values(CATALOGUE).map(async (m) => {
          const state = await readVerifiedModel(m).then(
            () => 'verified',
            (e: Error) => `not usable: ${e.message}`,
          );
          return {
            id: m.id,
            task: m.task,
            source: `${m.source.package}@${m.source.version} ${m.source.file}`,
            licence: m.licence,
            sha256: m.sha256,
            file: modelPath(m),
            state,
          };
        }),
      );
      if (o.json) console.log(JSON.stringify(rows, null, 2));
      else
        for (const r of rows)
          console.log(
            `${r.id}  ${r.task}\n  from ${r.source} (${r.licence})\n  ${r.file}\n  sha256 ${r.sha256}: ${r.state}`,
          );
      process.exitCode = rows.every((r) => r.state === 'verified') ? EXIT.OK : EXIT.CHECK_FAILED;
    });
  models
    .command('build')
    .description(
      'convert the models that ship as weights (SSD MobileNetV2 from its TF.js graph, then its int8 build) into ONNX files under models/build; run once at install (a first start does it otherwise)',
    )
    .option('--force', 'build again even if the file exists')
    .action(async (o: { force?: boolean }) => {
      for (const m of Object.values(CATALOGUE)) {
        if (m.location.kind !== 'build') continue;
        const started = Date.now();
        const result = await ensureBuilt(m, { force: o.force ?? false });
        console.log(
          `${m.id}: ${result === 'built' ? `built in ${Date.now() - started} ms` : 'already present'}, ${modelPath(m)}`,
        );
        await readVerifiedModel(m);
      }
    });
}
