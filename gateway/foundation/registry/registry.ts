import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { JSONFilePreset } from 'lowdb/node';
import type { Low } from 'lowdb';
import { z } from 'zod';
import { DeviceKind } from '../../../devices/index.ts';
import { readStateFile } from '../storage/state-file.ts';
import { DeviceCertificateSchema, type DeviceCertificate } from './certificate.ts';
import { hashSecret, newSecret, secretMatches, StoredSecretSchema, type StoredSecret } from './secret.ts';

/** A device, or a local consumer: a read-only identity for the derived local/... topics. */
export type PrincipalKind = DeviceKind | 'consumer';

export interface DeviceRecord {
  id: string;
  kind: PrincipalKind;
  /** where the device is, as policies name it (e.g. "market-square"); rules may match on it */
  zone?: string;
  secret: StoredSecret;
  createdAt: string;
  rotatedAt?: string;
  /** the one client certificate this device may log in with; any other, even from the same CA, is refused */
  certificate?: DeviceCertificate;
}

const RegistrySchema = z.strictObject({
  devices: z.array(
    z.strictObject({
      id: z.string().min(1),
      kind: z.union([DeviceKind, z.literal('consumer')]),
      zone: z.string().optional(),
      secret: StoredSecretSchema,
      createdAt: z.string(),
      rotatedAt: z.string().optional(),
      certificate: DeviceCertificateSchema.optional(),
    }),
  ),
});
type RegistryData = z.infer<typeof RegistrySchema>;

const DAMAGED_TODO =
  'Restore it from a backup. Without one, move it aside and provision the devices again with `veilgate devices add` (their secrets cannot be recovered from anywhere else).';

/**
 * Provisioned devices, in lowdb (a small JSON file rewritten on each change: fine for a registry
 * edited by hand a few times a year, not for anything per message). Only secret hashes are stored.
 */
export class DeviceRegistry {
  /** changes this process has made: a reload checks none came while it read the file */
  private changes = 0;
  /** writes started and not yet finished */
  private readonly writing = new Set<Promise<void>>();

  private constructor(
    private readonly db: Low<RegistryData>,
    readonly file: string,
  ) {}

  static async open(dataDir: string): Promise<DeviceRegistry> {
    await mkdir(dataDir, { recursive: true });
    const file = join(dataDir, 'devices.json');
    // checked first: lowdb would take a damaged file for data and fail later, somewhere else
    await readStateFile(file, RegistrySchema, DAMAGED_TODO);
    const db = await JSONFilePreset<RegistryData>(file, { devices: [] });
    return new DeviceRegistry(db, file);
  }

  /**
   * Re-reads the file: the CLI may have changed it while the gateway runs. A damaged file is
   * refused (DamagedFileError) and the devices read before stay in force.
   */
  async reload(): Promise<void> {
    for (let attempt = 0; attempt < 5; attempt++) {
      // a change written but not yet on disk would be missing from the read too: wait for it
      await Promise.allSettled(this.writing);
      if (this.writing.size > 0) continue; // another began meanwhile
      const changes = this.changes;
      const data = (await readStateFile(this.file, RegistrySchema, DAMAGED_TODO)) ?? { devices: [] };
      // a change made here while the file was being read is not in what was read: read again
      if (this.changes === changes) {
        this.db.data = data;
        return;
      }
    }
    // changed here on every read: what is in memory is what this process last wrote
  }

  /** Writes the registry; counted first, so a reload that read the file before this change drops its read. */
  private save(): Promise<void> {
    this.changes++;
    const w = this.db.write();
    this.writing.add(w);
    void w.then(
      () => this.writing.delete(w),
      () => this.writing.delete(w),
    );
    return w;
  }

  list(): readonly DeviceRecord[] {
    return this.db.data.devices;
  }

  get(id: string): DeviceRecord | undefined {
    return this.db.data.devices.find((d) => d.id === id);
  }

  /** Adds a device and returns its secret; the secret is not stored and cannot be shown again. */
  async add(id: string, kind: PrincipalKind, opts: { zone?: string | undefined; now?: Date } = {}): Promise<string> {
    if (this.get(id)) throw Object.assign(new Error(`device ${id} already exists`), { code: 'DEVICE_EXISTS' });
    const secret = newSecret();
    const now = opts.now ?? new Date();
    // hash first: a reload during the (slow) hash replaces db.data, and a push onto the array read
    // before it would be lost, and the write would then drop the device
    const stored = await hashSecret(secret);
    if (this.get(id)) throw Object.assign(new Error(`device ${id} already exists`), { code: 'DEVICE_EXISTS' });
    this.db.data.devices.push({
      id,
      kind,
      ...(opts.zone ? { zone: opts.zone } : {}),
      secret: stored,
      createdAt: now.toISOString(),
    });
    await this.save();
    return secret;
  }

  async rotate(id: string, now = new Date()): Promise<string> {
    if (!this.get(id)) throw Object.assign(new Error(`no device ${id}`), { code: 'DEVICE_UNKNOWN' });
    const secret = newSecret();
    const stored = await hashSecret(secret);
    // looked up again after the hash: a reload meanwhile replaced the records
    const d = this.get(id);
    if (!d) throw Object.assign(new Error(`no device ${id}`), { code: 'DEVICE_UNKNOWN' });
    d.secret = stored;
    d.rotatedAt = now.toISOString();
    // a rotation answers a leaked credential: the certificate, if any, ends with the secret
    delete d.certificate;
    await this.save();
    return secret;
  }

  /** Records the device's certificate; whichever it had before is refused from now on. */
  async setCertificate(id: string, certificate: DeviceCertificate): Promise<void> {
    const d = this.get(id);
    if (!d) throw Object.assign(new Error(`no device ${id}`), { code: 'DEVICE_UNKNOWN' });
    d.certificate = certificate;
    await this.save();
  }

  /** Ends the device's certificate; false when it had none. */
  async revokeCertificate(id: string): Promise<boolean> {
    const d = this.get(id);
    if (!d) throw Object.assign(new Error(`no device ${id}`), { code: 'DEVICE_UNKNOWN' });
    if (!d.certificate) return false;
    delete d.certificate;
    await this.save();
    return true;
  }

  /** Moves a device to another zone (or none); a running gateway sees the change at once (it watches the file). */
  async setZone(id: string, zone: string | undefined): Promise<void> {
    const d = this.get(id);
    if (!d) throw Object.assign(new Error(`no device ${id}`), { code: 'DEVICE_UNKNOWN' });
    if (zone) d.zone = zone;
    else delete d.zone;
    await this.save();
  }

  async remove(id: string): Promise<boolean> {
    const before = this.db.data.devices.length;
    this.db.data.devices = this.db.data.devices.filter((d) => d.id !== id);
    if (this.db.data.devices.length === before) return false;
    await this.save();
    return true;
  }

  /** The device if id and secret match, else null. Unknown ids cost the same time as wrong secrets. */
  async authenticate(id: string, secret: string | Buffer): Promise<DeviceRecord | null> {
    const d = this.get(id);
    const ok = await secretMatches(secret, d?.secret);
    return d && ok ? d : null;
  }
}
