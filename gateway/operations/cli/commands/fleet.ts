import type { Command } from 'commander';
import {
  collectFleet,
  collectFleetReport,
  connectAgency,
  renderFleetHtml,
  renderFleetMarkdown,
  archiveHandler,
  subscribeArchive,
  fleetSummary,
  fleetView,
  readAgencyConfig,
  readHeadArchives,
  renderFleetText,
} from '../../fleet/index.ts';
import { EXIT, UsageError } from '../exit.ts';
import { untilSignal } from '../signals.ts';
import { reportOutput, reportOutputOptions, type ReportOutputOptions } from '../report-output.ts';

/** The archive the agency keeps of each gateway's audit heads: DIR/{gatewayId}.jsonl, as received. */
async function readArchives(dir: string): Promise<Map<string, string[]>> {
  try {
    return await readHeadArchives(dir);
  } catch (e) {
    throw new UsageError(`--heads ${dir}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

/** `veilgate fleet status`: every gateway of the agency, from what they retain on its broker. */
export function registerFleet(program: Command): void {
  const fleet = program.command('fleet').description("the agency's view of its gateways, through its broker");
  fleet
    .command('status')
    .description(
      'every gateway: online, policy in force and rollout, audit head, backlog, last record, devices, warnings',
    )
    .requiredOption('--config <file>', "the agency's config: its broker, as {upstream: {url, topicPrefix, ...}}")
    .option(
      '--heads <dir>',
      "the agency's archive of audit heads, one file per gateway ({gatewayId}.jsonl, the audit-heads payloads as received): each must hold together",
    )
    .option('--format <format>', 'text or json', 'text')
    .option('--quiet <ms>', 'stop reading after this long without a new message', '500')
    .action(async (o: { config: string; heads?: string; format: string; quiet: string }) => {
      if (o.format !== 'text' && o.format !== 'json') throw new UsageError('--format: text or json');
      const quietMs = Number(o.quiet);
      if (!Number.isInteger(quietMs) || quietMs < 50 || quietMs > 60_000)
        throw new UsageError('--quiet: milliseconds, 50 to 60000');
      const a = await readAgencyConfig(o.config);
      const archives = o.heads ? await readArchives(o.heads) : undefined;
      const client = await connectAgency(a);
      let messages;
      try {
        messages = await collectFleet(client, a.upstream.topicPrefix, { quietMs, maxMs: 60_000 });
      } finally {
        // a reader with nothing of its own in flight: no need to wait for the broker's goodbye
        client.end(true);
      }
      const now = Date.now();
      const rows = fleetView(messages, { now, ...(archives ? { archives } : {}) });
      const summary = fleetSummary(rows);
      if (o.format === 'json')
        console.log(JSON.stringify({ at: new Date(now).toISOString(), summary, gateways: rows }, null, 2));
      else process.stdout.write(renderFleetText(rows, summary));
      // an audit trail that does not hold together is a failed check, for a script or a monitor to act on
      const broken = rows.some((r) => r.head?.signature === 'invalid' || (r.archive && !r.archive.continuous));
      process.exitCode = broken ? EXIT.CHECK_FAILED : EXIT.OK;
    });

  fleet
    .command('archive')
    .description(
      "keep what the gateways send the agency's broker, for the fleet report: record envelopes (not their fields), status changes, policies in force, every signed audit head; runs until Ctrl-C",
    )
    .requiredOption('--config <file>', "the agency's config: its broker, as {upstream: {url, topicPrefix, ...}}")
    .requiredOption('--out <dir>', 'the archive folder (events.jsonl, heads/, keys/); appended to')
    .option(
      '--client-id <id>',
      'the session the broker keeps for the archive while it is down (one archive, one id)',
      'veilgate-fleet-archive',
    )
    .action(async (o: { config: string; out: string; clientId: string }) => {
      const a = await readAgencyConfig(o.config);
      const onMessage = await archiveHandler(o.out, a.upstream.topicPrefix, (e) => {
        console.error(
          `veilgate: cannot write the archive in ${o.out}: ${(e as NodeJS.ErrnoException).code ?? e.message}; ` +
            'stopped before acknowledging the message: the broker keeps it and what follows for the next start',
        );
        process.exit(EXIT.CHECK_FAILED);
      });
      const client = await connectAgency(a, { clientId: o.clientId, clean: false }, onMessage);
      await subscribeArchive(client, a.upstream.topicPrefix);
      console.log(`archiving ${a.upstream.topicPrefix}/# into ${o.out} (Ctrl-C stops)`);
      await untilSignal();
      await client.endAsync();
    });

  reportOutputOptions(
    fleet
      .command('report')
      .description(
        "the fleet's transparency report, from the archive: records by gateway and type, policies in force over time, outages, audit continuity",
      )
      .requiredOption('--archive <dir>', 'the folder veilgate fleet archive keeps'),
    'the whole archive',
  ).action(async (o: ReportOutputOptions & { archive: string }) => {
    const output = reportOutput(o, { html: renderFleetHtml, md: renderFleetMarkdown });
    await output.write(await collectFleetReport(o.archive, output.period));
  });
}
