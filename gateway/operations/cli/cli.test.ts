import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, writeFile, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const BIN = new URL('./dev.js', import.meta.url).pathname;
const run = async (args: string[], cwd?: string) => {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [BIN, ...args], { cwd });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, stdout: x.stdout, stderr: x.stderr };
  }
};

test('a config error exits 2 naming the file, the line and the key path, and the key a misspelt one may be', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'veilgate-cli-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'gateway.yaml');
  await writeFile(file, 'gatewayId: gw\nbroker:\n  port: 1883\n  hots: 0.0.0.0\nupstream:\n  url: http://example\n');
  const r = await run(['config', 'check', '--config', file]);
  assert.equal(r.code, 2);
  assert.match(
    r.stderr,
    new RegExp(`${file}:4:3 at broker.hots: Unrecognized key.*\\n\\s+hint: did you mean "host"\\?`),
  );
  assert.match(r.stderr, new RegExp(`${file}:6:8 at upstream.url: an upstream url starts with mqtt:// or mqtts://`));
});

test('config check checks the files the config names: a missing policy, certificate or key is an error at its key and line', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'veilgate-cli-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'gateway.yaml');
  await writeFile(
    file,
    [
      'policy: ./policy.yaml',
      'broker:',
      '  tls:',
      '    enabled: true',
      '    certFile: ./server.pem',
      '    keyFile: ./server.key',
      'upstream:',
      '  url: mqtts://agency.example',
      '  caFile: ./notes.txt',
      '',
    ].join('\n'),
  );
  await writeFile(join(dir, 'server.key'), '-----BEGIN PRIVATE KEY-----\nMC4=\n-----END PRIVATE KEY-----\n');
  await writeFile(join(dir, 'notes.txt'), 'not a certificate\n');
  let r = await run(['config', 'check', '--config', file]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, new RegExp(`${file}:1:9 at policy: .*policy.yaml: file not found`));
  assert.match(r.stderr, new RegExp(`${file}:5:15 at broker.tls.certFile: .*server.pem: file not found`));
  assert.match(r.stderr, new RegExp(`${file}:9:11 at upstream.caFile: .*notes.txt: not a PEM file`));
  assert.doesNotMatch(r.stderr, /keyFile/, 'a readable PEM key is fine');
  // as the systemd unit runs it: the gateway starts without a valid policy (forwarding nothing), not without TLS files
  r = await run(['config', 'check', '--start', '--config', file]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /warning: .*at policy: .*file not found/);
  await writeFile(join(dir, 'server.pem'), '-----BEGIN CERTIFICATE-----\nMA==\n-----END CERTIFICATE-----\n');
  await writeFile(join(dir, 'notes.txt'), '-----BEGIN CERTIFICATE-----\nMA==\n-----END CERTIFICATE-----\n');
  r = await run(['config', 'check', '--start', '--config', file]);
  assert.equal(r.code, 0, r.stderr);
  await writeFile(
    join(dir, 'policy.yaml'),
    await readFile(new URL('../../../policies/default.yaml', import.meta.url), 'utf8'),
  );
  r = await run(['config', 'check', '--config', file]);
  assert.equal(r.code, 0, r.stderr);
  assert.doesNotMatch(r.stderr, /warning/);
});

test('a missing config file exits 2 and says how to fix it', async () => {
  const r = await run(['config', 'check', '--config', '/nonexistent/gateway.yaml']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /file not found/);
  assert.match(r.stderr, /--config/);
});

test('devices add prints a secret once and stores only its scrypt hash', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'veilgate-cli-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'gateway.yaml');
  await writeFile(file, 'dataDir: ./data\n');
  const r = await run(['devices', 'add', 'cam-7', '--kind', 'camera', '--config', file]);
  assert.equal(r.code, 0, r.stderr);
  const secret = /MQTT password: (\S+)/.exec(r.stdout)?.[1];
  assert.ok(secret && secret.length >= 32);
  const stored = await readFile(join(dir, 'data', 'devices.json'), 'utf8');
  assert.equal(stored.includes(secret), false);
  assert.match(stored, /"algo": "scrypt"/);
  const list = await run(['devices', 'list', '--config', file]);
  assert.match(list.stdout, /^cam-7\tcamera/m);
  const bad = await run(['devices', 'add', 'cam/7', '--kind', 'camera', '--config', file]);
  assert.equal(bad.code, 2);
  const verify = await run(['audit', 'verify', '--config', file]);
  assert.equal(verify.code, 0, verify.stdout);
});

test('policy check exits 1 on an invalid policy and 0 on the shipped ones', async () => {
  const ok = await run(['policy', 'check', new URL('../../../policies/default.yaml', import.meta.url).pathname]);
  assert.equal(ok.code, 0, ok.stdout);
  const dir = await mkdtemp(join(tmpdir(), 'veilgate-cli-'));
  const bad = join(dir, 'p.yaml');
  await writeFile(bad, 'id: p\nversion: 1\ntitle: t\nrules: nope\n');
  const r = await run(['policy', 'check', bad]);
  await rm(dir, { recursive: true, force: true });
  assert.equal(r.code, 1);
  assert.match(r.stdout, /p\.yaml:4:8 at rules/);
});

test('policy check given a case file says it is one and names the policy test command to run it with', async () => {
  const cases = new URL('../../../policies/default.cases.yaml', import.meta.url).pathname;
  const r = await run(['policy', 'check', cases]);
  assert.equal(r.code, 1);
  assert.match(r.stdout, /this is a case file .*not a policy/);
  assert.match(r.stdout, new RegExp(`veilgate policy test .*policies/default.yaml ${cases}`));
  assert.doesNotMatch(r.stdout, /expected string, received undefined/, 'not the policy schema errors');
});

test('granting a field to some devices: check warns when an overlapping rule keeps it in, extends lets it out, and diff and explain agree', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'veilgate-cli-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const policies = new URL('../../../policies/', import.meta.url).pathname;
  const defaults = join(policies, 'default.yaml');
  const doorState = join(policies, 'examples/door-state.yaml');
  const cases = join(policies, 'default.cases.yaml');
  // the policy a new privacy officer writes first: the rule, without extends
  const naive = join(dir, 'naive.yaml');
  await writeFile(naive, (await readFile(doorState, 'utf8')).replace(/\n {4}extends: \[sensor-events\]/, ''));

  const warned = await run(['policy', 'check', naive]);
  assert.equal(warned.code, 0, 'a warning is not an error');
  assert.match(
    warned.stdout,
    /naive\.yaml:\d+:\d+ at rules\[2\]\.allow\[2\]: rule door-state allows open, but sensor-events also matches door-1 and does not allow it: open never leaves door records\n\s+hint: .*add "extends: \[sensor-events\]" to door-state/,
  );
  const quiet = await run(['policy', 'check', doorState]);
  assert.equal(quiet.code, 0, quiet.stdout);
  assert.doesNotMatch(quiet.stdout, /warn/, 'with extends, nothing is said that does not happen');

  // without extends nothing changes, and the diff says so: no `+ door.open`, no identical `~` lines
  const same = await run(['policy', 'diff', defaults, naive, '--events', cases]);
  assert.equal(same.code, 0, same.stdout);
  assert.match(same.stdout, /no difference in what may leave/);
  assert.match(same.stdout, /on 7 inputs from .*: 0 decided differently/);

  const wider = await run(['policy', 'diff', defaults, doorState, '--events', cases]);
  assert.equal(wider.code, 1, 'open may now leave: review needed');
  assert.match(
    wider.stdout,
    /\+ door\.open: may now leave\n {4}e\.g\. door from sensor door-1:\n {6}before: does not leave \(rules: sensor-events\)\n {6}after: {2}as is \(rules: sensor-events, door-state\)/,
  );
  assert.doesNotMatch(wider.stdout, /door\.at|door\.type/, 'type and at leave as before: not a change');
  assert.match(wider.stdout, /1 decided differently \(0 newly forwarded, 0 newly withheld, 1 forwarded differently\)/);

  const input =
    '{"device":{"id":"door-1","kind":"sensor"},"record":"door","fields":{"type":"door","at":"2026-11-25T10:42:37Z","open":true}}';
  const naiveExplained = await run(['policy', 'explain', naive, input]);
  assert.match(
    naiveExplained.stdout,
    /- open: dropped not allowed by sensor-events; door-state allows it but does not extend sensor-events/,
  );
  const explained = await run(['policy', 'explain', doorState, input]);
  assert.match(explained.stdout, /\+ open: sent as is; door-state extends sensor-events, which does not allow it/);
  assert.match(explained.stdout, /sent: \{"type":"door","at":"2026-11-25T10:42:00.000Z","open":true\}/);

  const tested = await run(['policy', 'test', doorState, join(policies, 'examples/door-state.cases.yaml')]);
  assert.equal(tested.code, 0, tested.stdout);
});

test('an unknown command is a usage error (exit 2)', async () => {
  const r = await run(['frobnicate']);
  assert.equal(r.code, 2);
});

test('policy test runs case files like a test runner and exits 1 on a failing case', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'veilgate-cli-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const policy = new URL('../../../policies/default.yaml', import.meta.url).pathname;
  const cases = new URL('../../../policies/default.cases.yaml', import.meta.url).pathname;
  const ok = await run(['policy', 'test', policy, cases]);
  assert.equal(ok.code, 0, ok.stdout + ok.stderr);
  assert.match(ok.stdout, /ok {3}1 - camera counts leave/);
  assert.match(ok.stdout, /7 passed, 0 failed/);
  const bad = join(dir, 'bad.cases.yaml');
  await writeFile(
    bad,
    (await readFile(cases, 'utf8')).replace(
      'forward: { type: door, at: "2026-11-25T10:42:00.000Z" }',
      'forward: { type: door, at: "2026-11-25T10:42:37.123Z" }',
    ),
  );
  const failing = await run(['policy', 'test', policy, bad]);
  assert.equal(failing.code, 1);
  assert.match(
    failing.stdout,
    /FAIL 4 - a door event leaves[^\n]*\n\s+expected: forward \{"type":"door","at":"2026-11-25T10:42:37.123Z"\}\n\s+actual: {3}forward \{"type":"door","at":"2026-11-25T10:42:00.000Z"\}/,
  );
});

test('policy explain and policy diff tell a privacy officer what leaves and what changed', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'veilgate-cli-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const policies = new URL('../../../policies/', import.meta.url).pathname;
  const input =
    '{"device":{"id":"door-1","kind":"sensor"},"record":"door","fields":{"type":"door","at":"2026-11-25T10:42:37Z","open":true}}';
  const e = await run(['policy', 'explain', join(policies, 'default.yaml'), input]);
  assert.equal(e.code, 0, e.stderr);
  assert.match(e.stdout, /FORWARD \(rules: sensor-events\)/);
  assert.match(e.stdout, /- open: dropped not allowed by sensor-events/);
  const wider = await run([
    'policy',
    'diff',
    join(policies, 'examples/research.yaml'),
    join(policies, 'examples/city-cctv.yaml'),
  ]);
  assert.equal(wider.code, 1, 'the city policy lets out more than the research one');
  assert.match(wider.stdout, /\+ counts.windowEnd: may now leave/);
  // the default without its sensor rule lets out strictly less
  const text = await readFile(join(policies, 'default.yaml'), 'utf8');
  const countsOnly = join(dir, 'counts-only.yaml');
  await writeFile(countsOnly, text.slice(0, text.indexOf('  - id: sensor-events')).replace('version: 2', 'version: 3'));
  const narrower = await run([
    'policy',
    'diff',
    join(policies, 'default.yaml'),
    countsOnly,
    '--events',
    join(policies, 'default.cases.yaml'),
  ]);
  assert.equal(narrower.code, 0, narrower.stdout);
  assert.match(narrower.stdout, /- door.type: no longer leaves/);
  assert.match(
    narrower.stdout,
    /on 7 inputs from .*: 4 decided differently \(0 newly forwarded, 4 newly withheld, 0 forwarded differently\)/,
  );
  assert.match(narrower.stdout, /lets out nothing the old one did not/);
});
