import type { Command } from 'commander';
import { createPublicKey, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  describeEntry,
  HeadKey,
  headSignedBy,
  queryAudit,
  SignedHeadSchema,
  verifyAudit,
  type AuditEntry,
  type SignedHead,
} from '../../../4-records/audit/index.ts';
import { DEFAULT_CONFIG, requireConfig } from '../context.ts';
import { EXIT, UsageError } from '../exit.ts';

type QueryOpts = { config: string; since?: string; until?: string; device?: string; type?: string[]; json?: boolean };

export function parseTime(name: string, v: string | undefined): Date | undefined {
  if (v === undefined) return undefined;
  const d = new Date(v);
  if (Number.isNaN(d.getTime()))
    throw new UsageError(`${name} "${v}" is not a date or time: use ISO 8601, e.g. 2026-11-01 or 2026-11-01T08:00:00Z`);
  return d;
}

function print(e: AuditEntry, json: boolean | undefined): void {
  console.log(json ? JSON.stringify(e) : describeEntry(e));
}

export function registerAudit(program: Command): void {
  const audit = program.command('audit').description('the tamper-evident decision log');
  audit
    .command('verify')
    .description("check the log's hash chain across all its files; names the first bad entry (exit 1)")
    .option('--config <file>', 'the config file', DEFAULT_CONFIG)
    .option(
      '--heads <file>',
      'signed heads the agency archived (the JSON payloads of {prefix}/{gatewayId}/audit-heads, one per line): the chain must match every one',
    )
    .option(
      '--key <file>',
      "the gateway's public audit key (PEM) the heads must be signed with; default: the one in dataDir/keys",
    )
    .action(async (o: { config: string; heads?: string; key?: string }) => {
      const cfg = await requireConfig(o.config);
      const heads = o.heads
        ? await readHeads(
            o.heads,
            o.key ? createPublicKey(await readFile(o.key)) : (await HeadKey.openOrCreate(cfg.dataDir)).publicKey,
          )
        : undefined;
      const r = await verifyAudit(join(cfg.dataDir, 'audit'), { heads });
      if (r.ok) {
        const from = r.from.seq > 0 ? `, from #${r.from.seq + 1} (older entries removed by retention)` : '';
        const matched = heads
          ? `; matches all ${r.headsMatched} archived heads${r.headsBeforeRetention ? ` (${r.headsBeforeRetention} older than retention not checked)` : ''}`
          : '';
        console.log(
          `ok: ${r.entries} entries in ${r.files} file(s)${from}, chain head #${r.head.seq} ${r.head.hash}${matched}`,
        );
        process.exitCode = EXIT.OK;
      } else {
        console.log(
          `FAIL at ${r.file} line ${r.line}${r.badSeq !== null ? ` (entry #${r.badSeq})` : ''}: ${r.problem}; ${r.entries} entries before it verified`,
        );
        process.exitCode = EXIT.CHECK_FAILED;
      }
    });
  audit
    .command('key')
    .description(
      "print the gateway's public audit key, which signs every head sent upstream (made on first use; the private half never leaves dataDir/keys)",
    )
    .option('--config <file>', 'the config file', DEFAULT_CONFIG)
    .action(async (o: { config: string }) => {
      const cfg = await requireConfig(o.config);
      const key = await HeadKey.openOrCreate(cfg.dataDir);
      console.log(`# veilgate audit key of ${cfg.gatewayId}, sha256 ${key.fingerprint}`);
      process.stdout.write(key.publicPem);
    });
  audit
    .command('tail')
    .description('the newest entries, one line each')
    .option('-n, --lines <n>', 'how many', '20')
    .option('--json', 'whole entries as JSON lines')
    .option('--config <file>', 'the config file', DEFAULT_CONFIG)
    .action(async (o: { config: string; lines: string; json?: boolean }) => {
      const n = Number(o.lines);
      if (!Number.isInteger(n) || n < 1)
        throw new UsageError(`--lines must be a positive whole number, not "${o.lines}"`);
      const cfg = await requireConfig(o.config);
      const last: AuditEntry[] = [];
      for await (const e of queryAudit(join(cfg.dataDir, 'audit'))) {
        last.push(e);
        if (last.length > n) last.shift();
      }
      for (const e of last) print(e, o.json);
    });
  audit
    .command('query')
    .description('entries by time, device and type, for investigators')
    .option('--since <time>', 'from this time (ISO 8601)')
    .option('--until <time>', 'before this time (ISO 8601)')
    .option('--device <id>', 'only entries about this device')
    .option(
      '--type <type...>',
      "only these entry types (window: a device's counted decisions, frames and refusals; decision, device, policy-activated, recovery, …)",
    )
    .option('--json', 'whole entries as JSON lines')
    .option('--config <file>', 'the config file', DEFAULT_CONFIG)
    .action(async (o: QueryOpts) => {
      const q = {
        since: parseTime('--since', o.since),
        until: parseTime('--until', o.until),
        deviceId: o.device,
        types: o.type,
      };
      const cfg = await requireConfig(o.config);
      let n = 0;
      for await (const e of queryAudit(join(cfg.dataDir, 'audit'), q)) {
        print(e, o.json);
        n++;
      }
      if (!o.json) console.error(`${n} entr${n === 1 ? 'y' : 'ies'}`);
    });
}

/** Reads archived heads (JSON lines or one JSON array) and checks each one's signature. */
async function readHeads(file: string, publicKey: KeyObject): Promise<SignedHead[]> {
  const text = (await readFile(file, 'utf8')).trim();
  const raw: unknown[] = text.startsWith('[')
    ? (JSON.parse(text) as unknown[])
    : text
        .split('\n')
        .filter((l) => l.trim())
        .map((l, i) => {
          try {
            return JSON.parse(l) as unknown;
          } catch {
            throw new UsageError(
              `${file} line ${i + 1} is not JSON: give the heads as the agency received them, one JSON object a line`,
            );
          }
        });
  return raw.map((h, i) => {
    const r = SignedHeadSchema.safeParse(h);
    if (!r.success)
      throw new UsageError(
        `${file}: head ${i + 1} is not a signed audit head (${r.error.issues[0]?.path.join('.')}: ${r.error.issues[0]?.message})`,
      );
    if (!headSignedBy(r.data, publicKey)) {
      console.log(
        `FAIL: the head for entry #${r.data.seq} in ${file} is not signed by this gateway's audit key: forged, or from another gateway`,
      );
      process.exit(EXIT.CHECK_FAILED);
    }
    return r.data;
  });
}
