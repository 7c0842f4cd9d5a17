// Compares `veilgate redact` output from two machines: the same files, counts, classes and
// redactions, and scores and boxes equal to 1e-4 (SIMD code differs between x64 and arm64 in the last bits).
import { readFileSync } from 'node:fs';

type Result = {
  file: string;
  counts: Record<string, number>;
  redactions: Record<string, number>;
  detections: Array<{ cls: string; score: number; box: Record<string, number> }>;
};
const [a, b] = process.argv.slice(2).map((f) => JSON.parse(readFileSync(f!, 'utf8')) as Result[]);
const problems: string[] = [];
if (a!.length !== b!.length) problems.push(`${a!.length} results against ${b!.length}`);
a!.forEach((x, i) => {
  const y = b![i];
  if (!y || x.file !== y.file) return problems.push(`result ${i}: ${x.file} against ${y?.file}`);
  if (JSON.stringify(x.counts) !== JSON.stringify(y.counts))
    problems.push(`${x.file}: counts ${JSON.stringify(x.counts)} against ${JSON.stringify(y.counts)}`);
  if (JSON.stringify(x.redactions) !== JSON.stringify(y.redactions)) problems.push(`${x.file}: redactions differ`);
  if (x.detections.length !== y.detections.length)
    return problems.push(`${x.file}: ${x.detections.length} detections against ${y.detections.length}`);
  x.detections.forEach((d, j) => {
    const e = y.detections[j]!;
    const far = Math.max(
      Math.abs(d.score - e.score),
      ...Object.keys(d.box).map((k) => Math.abs(d.box[k]! - e.box[k]!)),
    );
    if (d.cls !== e.cls || far > 1e-4)
      problems.push(`${x.file} detection ${j}: ${d.cls} ${d.score} against ${e.cls} ${e.score} (difference ${far})`);
  });
});
const n = a!.reduce((s, x) => s + x.detections.length, 0);
if (problems.length) {
  console.error(`x64 and arm64 disagree:\n${problems.join('\n')}`);
  process.exit(1);
}
console.log(`x64 and arm64 agree: ${a!.length} photos, ${n} detections (scores and boxes within 1e-4)`);
