import { createHash } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Low } from 'lowdb';
import { JSONFilePreset } from 'lowdb/node';
import { z } from 'zod';
import { hashSecret, newSecret, secretMatches, StoredSecretSchema } from '../../foundation/registry/secret.ts';
import { readStateFile } from '../../foundation/storage/state-file.ts';

export const LOGINS_FILE = 'http-logins.json';
const CACHE_MS = 10 * 60_000;

const LoginsSchema = z.strictObject({
  logins: z.array(z.strictObject({ name: z.string(), secret: StoredSecretSchema, createdAt: z.string() })),
});
type LoginsData = z.infer<typeof LoginsSchema>;
const DAMAGED_TODO = 'Move it aside and make the logins again with `veilgate status-login NAME`.';

/**
 * Who may open the status page when it is bound beyond loopback. Passwords are generated, shown
 * once and stored as scrypt hashes, like device secrets. A verified password is remembered (as a
 * hash, in memory) for a few minutes so the page's polling does not run scrypt every two seconds.
 */
export class HttpLogins {
  private readonly verified = new Map<string, number>();

  private constructor(
    private readonly db: Low<LoginsData>,
    private readonly file: string,
  ) {}

  static async open(dataDir: string): Promise<HttpLogins> {
    await mkdir(dataDir, { recursive: true });
    const file = join(dataDir, LOGINS_FILE);
    await readStateFile(file, LoginsSchema, DAMAGED_TODO);
    return new HttpLogins(await JSONFilePreset<LoginsData>(file, { logins: [] }), file);
  }

  names(): string[] {
    return this.db.data.logins.map((l) => l.name);
  }

  /** Creates or replaces a login; returns its new password (not stored). */
  async set(name: string): Promise<string> {
    const password = newSecret();
    const entry = { name, secret: await hashSecret(password), createdAt: new Date().toISOString() };
    this.db.data.logins = [...this.db.data.logins.filter((l) => l.name !== name), entry];
    await this.db.write();
    return password;
  }

  async remove(name: string): Promise<boolean> {
    const before = this.db.data.logins.length;
    this.db.data.logins = this.db.data.logins.filter((l) => l.name !== name);
    await this.db.write();
    return this.db.data.logins.length < before;
  }

  async check(name: string, password: string, now = Date.now()): Promise<boolean> {
    // the CLI may have removed or reset the login while the gateway runs; a damaged file admits nobody
    this.db.data = (await readStateFile(this.file, LoginsSchema, DAMAGED_TODO)) ?? { logins: [] };
    const login = this.db.data.logins.find((l) => l.name === name);
    // an unknown name runs the same scrypt as a known one: the answer's time must not tell names apart
    if (!login) return secretMatches(password, undefined);
    const key = createHash('sha256').update(`${login.secret.hash}\0${password}`).digest('hex');
    if ((this.verified.get(key) ?? 0) > now) return true;
    if (!(await secretMatches(password, login.secret))) return false;
    if (this.verified.size > 1000) this.verified.clear();
    this.verified.set(key, now + CACHE_MS);
    return true;
  }
}
