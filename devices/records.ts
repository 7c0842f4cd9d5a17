/**
 * The fields each record type can carry before a policy looks at it, and what kind of value each
 * is. Policies are checked against this vocabulary, so a misspelled field or a transform that
 * cannot apply (rounding a count as a time) is an error when the policy is written, not a silent
 * drop when it runs.
 */
export const FIELD_KINDS = {
  time: 'an ISO 8601 timestamp',
  count: 'a whole number of objects or people',
  number: 'a measured number',
  boolean: 'true or false',
  label: 'a word from a fixed list',
  location: 'a position {lat, lon}',
  identifier: 'a value that identifies a person (a badge or staff number)',
  detections: 'boxes of detected objects with class and score',
  image: 'a redacted JPEG, base64',
} as const;
export type FieldKind = keyof typeof FIELD_KINDS;

/** Every record may carry the zone its device is registered in. */
const common = { zone: 'label' } as const satisfies Record<string, FieldKind>;
const classCounts = { person: 'count', vehicle: 'count', face: 'count', text: 'count' } as const;

export const RECORD_FIELDS = {
  counts: { ...common, windowStart: 'time', windowEnd: 'time', frames: 'count', ...classCounts },
  observation: { ...common, at: 'time', width: 'number', height: 'number', boxes: 'detections', ...classCounts },
  snapshot: { ...common, at: 'time', width: 'number', height: 'number', jpeg: 'image' },
  motion: { ...common, type: 'label', at: 'time', active: 'boolean' },
  door: { ...common, type: 'label', at: 'time', open: 'boolean' },
  panic: { ...common, type: 'label', at: 'time', action: 'label', location: 'location' },
  sound_level: { ...common, type: 'label', at: 'time', dbA: 'number' },
  incident: { ...common, type: 'label', at: 'time', category: 'label', location: 'location', officer: 'identifier' },
} as const satisfies Record<string, Record<string, FieldKind>>;
export type RecordType = keyof typeof RECORD_FIELDS;

/** The kind of `field` in `recordType`, or undefined when that record never has it. */
export function fieldKind(recordType: string, field: string): FieldKind | undefined {
  const fields = (RECORD_FIELDS as Record<string, Record<string, FieldKind>>)[recordType];
  return fields && Object.hasOwn(fields, field) ? fields[field] : undefined;
}
