import { reach } from './reach.ts';
import type { Policy } from './schema.ts';
import { situations, type Situation } from './situations.ts';
import { formatPath, positionOf, type SourceError } from './yaml-source.ts';

/**
 * What a valid policy says that it does not do: a field a rule allows that never leaves because
 * an overlapping rule refuses it, and an `extends` between rules that never apply together.
 * Positioned in the file like errors, for `policy check`.
 */
export function policyWarnings(policy: Policy, text: string, file: string): SourceError[] {
  const out: SourceError[] = [];
  const at = (path: (string | number)[], message: string, hint?: string) =>
    out.push({ file, ...positionOf(text, path), path: formatPath(path), message, ...(hint ? { hint } : {}) });
  const all = situations([policy]);
  reach(policy).forEach(({ rule, types }, i) => {
    for (const t of types)
      for (const f of t.allowed) {
        if (f.ways.length > 0 || f.blocked.length === 0) continue;
        const refusing = [...new Set(f.blocked.flatMap((b) => b.refusedBy))];
        at(
          ['rules', i, 'allow', rule.allow.indexOf(f.name)],
          `rule ${rule.id} allows ${f.name}, but ${refusing.join(' and ')} also ${refusing.length === 1 ? 'matches' : 'match'} ${example(f.blocked[0]!.example)} and ${refusing.length === 1 ? 'does' : 'do'} not allow it: ${f.name} never leaves ${t.recordType} records`,
          `to let ${f.name} out where ${rule.id} applies, add "extends: [${refusing.join(', ')}]" to ${rule.id}; or remove ${f.name} from its allow list`,
        );
      }
    rule.extends?.forEach((target, j) => {
      if (all.some((s) => s.rules[0]!.includes(rule) && s.rules[0]!.some((r) => r.id === target))) return;
      at(
        ['rules', i, 'extends', j],
        `rule ${rule.id} extends ${target}, but they never apply to the same record, so this has no effect`,
      );
    });
  });
  return out;
}

function example(s: Situation): string {
  return `${s.deviceId}${s.zone === undefined ? '' : ` in zone ${s.zone}`}`;
}
