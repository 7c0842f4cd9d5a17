import { createPublicKey, type KeyObject } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { derFingerprint, headSignedBy, SignedHeadSchema, type SignedHead } from '../../4-records/audit/index.ts';

/** A gateway's audit key as the fleet tools check heads with it. */
export interface AuditKey {
  key: KeyObject;
  /** sha256 of its SPKI DER, as a signed head names its key */
  fingerprint: string;
}

/** What every Ed25519 SPKI DER holds before its 32 bytes of key (RFC 8410). */
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

/**
 * A gateway's audit key (PEM), or null when it cannot be read. Read from the DER inside the PEM, and
 * the fingerprint hashed from that: a view of 1,000 gateways reads 1,000 keys, and parsing PEM and
 * exporting the DER again cost more than checking the signatures. An Ed25519 key (every gateway's)
 * is made from its 32 bytes as a JWK: OpenSSL's DER decoder took ten times as long.
 */
export function readAuditKey(pem: string | null | undefined): AuditKey | null {
  if (!pem) return null;
  try {
    const der = Buffer.from(pem.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, ''), 'base64');
    const ed25519 = der.length === 44 && der.subarray(0, 12).equals(ED25519_SPKI_PREFIX);
    const key = ed25519
      ? createPublicKey({
          key: { kty: 'OKP', crv: 'Ed25519', x: der.subarray(12).toString('base64url') },
          format: 'jwk',
        })
      : createPublicKey({ key: der, format: 'der', type: 'spki' });
    return { key, fingerprint: derFingerprint(der) };
  } catch {
    return null;
  }
}

/**
 * The agency's archive of audit heads: a folder of `{gatewayId}.jsonl`, the audit-heads payloads as
 * received, one a line. Throws when the folder cannot be read.
 */
export async function readHeadArchives(dir: string): Promise<Map<string, string[]>> {
  const archives = new Map<string, string[]>();
  for (const n of (await readdir(dir)).filter((f) => f.endsWith('.jsonl'))) {
    const text = await readFile(join(dir, n), 'utf8');
    archives.set(
      n.slice(0, -'.jsonl'.length),
      text.split('\n').filter((l) => l.trim()),
    );
  }
  return archives;
}

export interface ArchiveCheck {
  heads: number;
  /** each archived head signed by the gateway's key and later than the one before; the retained head not behind */
  continuous: boolean;
  problem: string | null;
}

/**
 * Whether the heads the agency archived for one gateway (its audit-heads, one JSON object a line, in the
 * order received) hold together: each signed by the gateway's audit key, seqs rising, no entry with two
 * hashes, and the head it retains now at or past the last one archived. A gateway whose log was cut or
 * rewritten, or a forged head, breaks one of these.
 */
export function checkHeadArchive(lines: string[], key: AuditKey | null, latest: SignedHead | undefined): ArchiveCheck {
  const heads: SignedHead[] = [];
  const fail = (problem: string): ArchiveCheck => ({ heads: heads.length, continuous: false, problem });
  for (const [i, line] of lines.entries()) {
    let head: SignedHead;
    try {
      head = SignedHeadSchema.parse(JSON.parse(line));
    } catch {
      return fail(`archived head ${i + 1} is not a signed audit head`);
    }
    if (!key) return fail('no audit key retained for it: the heads cannot be checked');
    if (!headSignedBy(head, key.key, key.fingerprint))
      return fail(`the archived head for entry #${head.seq} is not signed by its audit key`);
    const before = heads.at(-1);
    if (before && head.seq < before.seq)
      return fail(`the archived head for entry #${head.seq} comes after #${before.seq}`);
    if (before && head.seq === before.seq && head.hash !== before.hash)
      return fail(`entry #${head.seq} was archived with two different hashes: the log was rewritten`);
    heads.push(head);
  }
  const last = heads.at(-1);
  if (last && latest) {
    if (latest.seq < last.seq)
      return fail(`its head is at entry #${latest.seq}, behind the archived #${last.seq}: entries were removed`);
    if (latest.seq === last.seq && latest.hash !== last.hash)
      return fail(`its head for entry #${latest.seq} differs from the archived one: the log was rewritten`);
  }
  return { heads: heads.length, continuous: true, problem: null };
}
