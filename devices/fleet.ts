import { z } from 'zod';
import { PolicyRef, UPSTREAM_SCHEMA_VERSION } from './upstream.ts';

const Sha256 = z.string().regex(/^[0-9a-f]{64}$/);

/**
 * Which gateways a published policy is for: a gateway id, or a pattern with `*` (any characters).
 * The same characters as a gateway id, so a target is also one topic level.
 */
export const GatewayTarget = z
  .string()
  .regex(
    /^[A-Za-z0-9_.*-]{1,64}$/,
    'a target is a gateway id, or a pattern of A-Z a-z 0-9 _ . - and * (any characters)',
  );

/**
 * A privacy officer's signature of one policy file (`veilgate policy sign`): Ed25519 over the
 * file's sha256 and the time of signing. The file itself travels beside it, byte for byte.
 */
export const PolicySignature = z.strictObject({
  schemaVersion: z.literal(1),
  algorithm: z.literal('ed25519'),
  key: Sha256.describe('sha256 of the signing public key (SPKI DER), hex: which trusted key signed'),
  sha256: Sha256.describe('sha256 of the policy file bytes'),
  policy: z
    .strictObject({ id: z.string().min(1), version: z.number().int().min(1) })
    .describe('what the file says of itself'),
  signedAt: z.iso
    .datetime()
    .describe('when it was signed (UTC): of two policies with different ids, the later signed is newer'),
  signature: z.string().min(1).max(200).describe('Ed25519, base64, over JSON ["veilgate-policy", sha256, signedAt]'),
});
export type PolicySignature = z.infer<typeof PolicySignature>;

/** Retained on `{prefix}/fleet/policies/{to}`: a signed policy for the gateways `to` names. */
export const FleetPolicyMessage = z.strictObject({
  schemaVersion: z.literal(UPSTREAM_SCHEMA_VERSION),
  to: GatewayTarget.describe(
    'the gateways it is for (not signed: the signature approves the policy, the target picks boxes)',
  ),
  publishedAt: z.iso.datetime(),
  policy: z
    .string()
    .min(1)
    .max(1024 * 1024)
    .describe('the policy file, exactly as signed (YAML)'),
  signature: PolicySignature,
});
export type FleetPolicyMessage = z.infer<typeof FleetPolicyMessage>;

const PolicyInForce = PolicyRef.extend({
  source: z.enum(['fleet', 'file']).describe('published through the agency broker, or the local policy file'),
  signedBy: Sha256.optional().describe('the key that signed it, for a fleet policy'),
  signedAt: z.iso.datetime().optional(),
});

/** Retained on `{prefix}/{gatewayId}/policy-status`: what a gateway did with the last fleet policy offered to it. */
export const PolicyStatus = z.strictObject({
  schemaVersion: z.literal(UPSTREAM_SCHEMA_VERSION),
  gatewayId: z.string().min(1),
  at: z.iso.datetime(),
  outcome: z
    .enum(['activated', 'rejected', 'in-force'])
    .describe(
      'activated the offered policy; rejected it (the one in force stays); or nothing offered yet, or it was already in force',
    ),
  offered: z
    .strictObject({
      id: z.string().optional(),
      version: z.number().int().optional(),
      sha256: Sha256.optional(),
      to: z.string(),
      signedBy: z.string().optional(),
    })
    .nullable()
    .describe('the policy last offered through the fleet topic, as far as it could be read'),
  reason: z.string().nullable().describe('why it was rejected, in words'),
  inForce: PolicyInForce.nullable().describe('the policy deciding now; null: none, nothing is forwarded'),
});
export type PolicyStatus = z.infer<typeof PolicyStatus>;

const Time = z.iso.datetime();

/**
 * Retained on `{prefix}/{gatewayId}/health`, at each connect and every `upstream.healthSeconds`:
 * what the agency's fleet view shows of a gateway besides its status, policy and audit head. Counts
 * and times only, never a device's data.
 */
export const GatewayHealth = z.strictObject({
  schemaVersion: z.literal(UPSTREAM_SCHEMA_VERSION),
  gatewayId: z.string().min(1),
  at: Time.describe('when it was sent'),
  version: z.string().describe('the veilgate version the gateway runs'),
  startedAt: Time.describe('when the gateway started'),
  everySeconds: z.number().int().min(1).describe('how often it is sent: one older than a few of these is stale'),
  outbox: z
    .strictObject({
      depth: z.number().int().min(0).describe('approved records waiting to go upstream'),
      bytes: z.number().int().min(0),
      oldestAt: Time.nullable().describe('when the oldest of them was approved; null: none waits'),
      dropped: z.number().int().min(0).describe('approved records dropped from the outbox since the start'),
    })
    .describe('the backlog'),
  policy: PolicyRef.extend({
    source: z.enum(['fleet', 'file']).describe('published through the agency broker, or the local policy file'),
  })
    .nullable()
    .describe('the policy deciding now; null: none, nothing is forwarded'),
  lastRecordAt: Time.nullable().describe("when the agency's broker last acknowledged a record of it, in this run"),
  devices: z.strictObject({ online: z.number().int().min(0), known: z.number().int().min(0) }),
  warnings: z.array(z.string()).max(50).describe('what its status page warns of, in words'),
});
export type GatewayHealth = z.infer<typeof GatewayHealth>;
