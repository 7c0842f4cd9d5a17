import { fieldKind, FIELD_KINDS, RECORD_FIELDS, type FieldKind } from '../devices/index.ts';
import { closest } from './spelling.ts';

/** Which field kinds each transform can apply to. */
const TRANSFORM_KINDS: Record<string, readonly FieldKind[]> = {
  roundTo: ['time'],
  coarsenMeters: ['location'],
  suppressBelow: ['count'],
  bucket: ['count'],
  hash: ['identifier', 'label'],
};

interface RuleFields {
  match: { recordTypes: readonly string[] };
  allow: readonly string[];
  transforms?: Readonly<Record<string, Readonly<Record<string, unknown>>>> | undefined;
}

/**
 * Checks a rule's fields against the record vocabulary: every allowed field must exist in one of
 * the rule's record types, and every transform must suit the kind of value it transforms.
 * Paths are relative to the rule.
 */
export function checkRuleFields(rule: RuleFields): Array<{ path: (string | number)[]; message: string }> {
  const issues: Array<{ path: (string | number)[]; message: string }> = [];
  const types = rule.match.recordTypes.filter((t) => Object.hasOwn(RECORD_FIELDS, t));
  if (types.length === 0) return issues; // the record type itself is reported by the schema
  const known = [...new Set(types.flatMap((t) => Object.keys(RECORD_FIELDS[t as keyof typeof RECORD_FIELDS])))];
  rule.allow.forEach((field, i) => {
    if (types.some((t) => fieldKind(t, field))) return;
    const near = closest(field, known);
    issues.push({
      path: ['allow', i],
      message: `${types.join('/')} records have no field "${field}"${near ? `: did you mean "${near}"?` : ''} (fields: ${known.join(', ')})`,
    });
  });
  for (const [field, transform] of Object.entries(rule.transforms ?? {})) {
    if (!rule.allow.includes(field)) {
      issues.push({
        path: ['transforms', field],
        message: `"${field}" is not in this rule's allow list, so transforming it has no effect; allow it or remove the transform`,
      });
      continue;
    }
    const kinds = new Set(types.map((t) => fieldKind(t, field)).filter((k): k is FieldKind => k !== undefined));
    for (const key of Object.keys(transform)) {
      const fits = TRANSFORM_KINDS[key] ?? [];
      for (const kind of kinds) {
        if (fits.includes(kind)) continue;
        issues.push({
          path: ['transforms', field, key],
          message: `${key} does not apply to "${field}", which is ${FIELD_KINDS[kind]}; ${key} applies to ${fits.map((k) => FIELD_KINDS[k]).join(' or ')}`,
        });
      }
    }
  }
  return issues;
}
