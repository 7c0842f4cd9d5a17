import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { chromium, type Browser } from 'playwright-core';
import { startCameraSim, startSensorSim } from '../../../simulators/index.ts';
import { PHOTOS, REPO, startHarness, waitFor, writeFastDefaultPolicy } from '../../test/harness.ts';
import { detailInside } from '../../test/image-metrics.ts';

const CHROMIUM = '/usr/bin/chromium';
const SKIP = existsSync(CHROMIUM)
  ? false
  : `Debian chromium is not installed at ${CHROMIUM} (apt-get install chromium; .ci/run installs it)`;
const FACE = { x1: 173, y1: 74, x2: 277, y2: 178 }; // astronaut.png, 512x512
/** The little of the DOM these tests touch. */
type Dom = {
  document: {
    querySelectorAll(s: string): Iterable<{ naturalWidth?: number }>;
    querySelector(s: string): { textContent: string | null } | null;
  };
};

/** Screenshots land here for people to look at (gitignored). */
const SHOTS = join(REPO, '.artifacts');

async function launch(): Promise<Browser> {
  // no downloads, no background traffic: this runs on a closed network
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

test(
  'in a real browser the status page lists the devices and shows a redacted preview, and the face in it is unrecognisable',
  { skip: SKIP },
  async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'veilgate-browser-'));
    const policyFile = await writeFastDefaultPolicy(dir);
    await writeFile(
      policyFile,
      (await readFile(policyFile, 'utf8')).replace(/^vision:\n/m, 'vision:\n  localPreview: true\n'),
    );
    const h = await startHarness({ policyFile });
    const browser = await launch();
    t.after(async () => {
      await browser.close();
      await h.stop();
      await rm(dir, { recursive: true, force: true });
    });
    const original = await sharp(join(PHOTOS, 'astronaut.png')).toColourspace('srgb').jpeg({ quality: 90 }).toBuffer();
    const cam = await startCameraSim({
      url: h.brokerUrl,
      deviceId: 'cam-1',
      secret: await h.gateway.registry.add('cam-1', 'camera'),
      frames: [original],
      fps: 4,
    });
    const door = await startSensorSim({
      url: h.brokerUrl,
      deviceId: 'door-1',
      secret: await h.gateway.registry.add('door-1', 'sensor'),
      type: 'door',
      every: 0.5,
    });
    t.after(async () => {
      await cam.stop();
      await door.stop();
    });
    await waitFor('frames processed', () => h.gateway.ingest.stats.processed >= 3);

    const page = await browser.newPage({ viewport: { width: 1100, height: 1400 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    await page.goto(`http://127.0.0.1:${h.gateway.httpAddress!.port}/`);
    await page.waitForSelector('body[data-loaded="true"]');
    // these run in the page; this project's TypeScript has no DOM types (and the page's CSP forbids eval of strings)
    await page.waitForFunction(
      () =>
        [...(globalThis as unknown as Dom).document.querySelectorAll('#previews img')].some(
          (i) => (i.naturalWidth ?? 0) > 0,
        ),
      null,
      { timeout: 15_000 },
    );
    await page.waitForFunction(
      () => /door/.test((globalThis as unknown as Dom).document.querySelector('#recent')?.textContent ?? ''),
      null,
      { timeout: 15_000 },
    );

    const rows = await page.locator('#devices tbody tr').allTextContents();
    assert.ok(
      rows.some((r) => r.includes('cam-1') && r.includes('online')),
      rows.join('\n'),
    );
    assert.ok(
      rows.some((r) => r.includes('door-1') && r.includes('online')),
      rows.join('\n'),
    );
    assert.match((await page.locator('#policy').textContent()) ?? '', /veilgate-default v2/);
    assert.deepEqual(errors, [], 'no script errors (the CSP allows only our own script)');

    await mkdir(SHOTS, { recursive: true });
    const shot = await page.screenshot({ path: join(SHOTS, 'status-page.png'), fullPage: true });
    const meta = await sharp(shot).metadata();
    assert.equal(meta.width, 1100);
    // what the browser actually shows of the camera: the face region has lost its detail
    const img = page.locator('#previews img').first();
    await img.evaluate((el) => (el as unknown as { decode(): Promise<void> }).decode());
    const shown = await img.screenshot({ path: join(SHOTS, 'status-preview.png') });
    const { width } = await sharp(shown).metadata();
    const scale = width! / 512;
    const box = {
      x1: Math.round(FACE.x1 * scale),
      y1: Math.round(FACE.y1 * scale),
      x2: Math.round(FACE.x2 * scale),
      y2: Math.round(FACE.y2 * scale),
    };
    const raw = await sharp(original).resize({ width }).png().toBuffer();
    const before = await detailInside(raw, box);
    const after = await detailInside(shown, box);
    assert.ok(
      after < before * 0.5,
      `face detail as displayed ${after.toFixed(1)}, in the camera's frame at the same size ${before.toFixed(1)}`,
    );
  },
);

test(
  'in a real browser the transparency report renders its charts, with nothing fetched',
  { skip: SKIP },
  async (t) => {
    const h = await startHarness();
    const browser = await launch();
    t.after(async () => {
      await browser.close();
      await h.stop();
    });
    const door = await startSensorSim({
      url: h.brokerUrl,
      deviceId: 'door-1',
      secret: await h.gateway.registry.add('door-1', 'sensor'),
      type: 'door',
      every: 0.2,
    });
    await waitFor('door records', () => h.gateway.uplink.stats.delivered >= 3);
    await door.stop();
    await h.gateway.recordWindowsNow(); // decisions are in the audit log once their window is recorded
    const { collectReport, renderHtml } = await import('../report/index.ts');
    const html = renderHtml(await collectReport(join(h.gateway.cfg.dataDir, 'audit'), 'gw-test', {}));
    const page = await browser.newPage({ viewport: { width: 900, height: 1200 } });
    const requests: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    await page.setContent(html);
    const bars = await page.locator('svg[aria-label="Records by type"] rect').count();
    assert.ok(bars >= 2, `${bars} bars`);
    await mkdir(SHOTS, { recursive: true });
    await page.screenshot({ path: join(SHOTS, 'report.png'), fullPage: true });
    const pdf = await page.pdf({ format: 'A4' });
    assert.ok(pdf.subarray(0, 5).toString() === '%PDF-' && pdf.length > 5000, 'it prints');
    assert.deepEqual(requests, [], 'a self-contained page fetches nothing');
  },
);
