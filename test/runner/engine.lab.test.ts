// The engine against real lab hosts over SSH: parallel roles, ordering across hosts, published
// values, handlers, tags, check mode, diffs, failing and unreachable hosts, host keys, retry files,
// --json events, masked secrets, and a real reboot through the handler.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHost, stopHost } from '../../lab/lab.js';
import { labSkipReason, startLab, type LabHandle } from '../support/lab.js';
import { recapOf, repoRoot, runSteer, stepStatuses } from '../support/steer-cli.js';

const fixtures = join(repoRoot, 'test/fixtures/engine');
const TOKEN = 'tok-9f1c2b7e-5a4d-4e0b-8c11-engine';
const skip = labSkipReason();

describe('engine on lab hosts', { skip, timeout: 20 * 60_000 }, () => {
  let lab: LabHandle;
  let work: string;
  let hosts: string[];
  const inv = () => lab.inventoryPath;
  const pb = (name: string) => join(fixtures, name);
  const snapshot = async (host: string) =>
    lab.exec(host, 'sudo sh -c "find /etc/steer-test -type f 2>/dev/null | sort | xargs -r md5sum"');

  before(async () => {
    lab = await startLab({ name: 'engine', hosts: 3 });
    hosts = lab.hosts.map((h) => h.name);
    work = mkdtempSync(join(tmpdir(), 'steer-engine-'));
  });
  after(async () => {
    await lab?.down();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  let checkRun: Awaited<ReturnType<typeof runSteer>>;

  test('check mode on fresh hosts changes nothing and shows diffs', async () => {
    const before = await Promise.all(hosts.map(snapshot));
    checkRun = await runSteer(['run', pb('engine.yaml'), '-i', inv(), '--check', '--diff', '--json', '-e', `engine_token=${TOKEN}`]);
    assert.equal(checkRun.code, 0, checkRun.stderr);
    assert.deepEqual(await Promise.all(hosts.map(snapshot)), before);
    const diffs = checkRun.events.filter((e) => e.type === 'step-result' && e.diffs?.length);
    assert.ok(diffs.length >= hosts.length, 'file steps carry diffs');
    const plain = await runSteer(['run', pb('engine.yaml'), '-i', inv(), '--check', '--diff', '-e', `engine_token=${TOKEN}`]);
    assert.match(plain.stdout, /\+\+\+ after: \/etc\/steer-test\/first\.conf/);
    assert.match(plain.stdout, /would change: \[/);
  });

  test('a real run makes exactly the changes check mode predicted, in parallel, roles in order', async () => {
    const real = await runSteer(['run', pb('engine.yaml'), '-i', inv(), '--json', '-e', `engine_token=${TOKEN}`]);
    assert.equal(real.code, 0, real.stdout + real.stderr);
    const changed = (r: typeof real) =>
      [...stepStatuses(r.events)].filter(([, s]) => s === 'changed').map(([k]) => k).sort();
    assert.deepEqual(changed(real), changed(checkRun));

    // Parallel: every host started the slow step before any finished it.
    const slow = real.events.filter((e) => 'step' in e && e.step === 'Slow step');
    const firstEnd = slow.findIndex((e) => e.type === 'step-result');
    assert.equal(slow.slice(0, firstEnd).filter((e) => e.type === 'step-start').length, hosts.length);

    // Ordering: the second role checks on every host that the first finished everywhere.
    for (const h of hosts) assert.equal(stepStatuses(real.events).get(`${h} second : Every host finished the first role`), 'ok');

    // Handlers: once each, in definition order, whatever the notify order.
    for (const h of hosts) assert.equal(await lab.exec(h, 'sudo cat /etc/steer-test/handlers.log'), 'h1\nh2\n');
  });

  test('a value published by one host is used by another; the secret is masked everywhere', async () => {
    for (const h of hosts.slice(1)) assert.equal(await lab.exec(h, 'sudo cat /etc/steer-test/token'), `${TOKEN}\n`);
    assert.match(await lab.exec(hosts[1]!, 'stat -c %a /etc/steer-test/token'), /^600/);
    const verbose = await runSteer(['run', pb('engine.yaml'), '-i', inv(), '-vvv', '-e', `engine_token=${TOKEN}`]);
    const json = await runSteer(['run', pb('engine.yaml'), '-i', inv(), '--json', '-vvv', '-e', `engine_token=${TOKEN}`]);
    for (const out of [checkRun, verbose, json]) {
      assert.ok(!(out.stdout + out.stderr).includes(TOKEN), 'the token never appears in any output');
    }
    assert.match(verbose.stdout, /\$ /, '-vvv shows commands');
  });

  test('a second run changes nothing', async () => {
    const again = await runSteer(['run', pb('engine.yaml'), '-i', inv(), '--json', '-e', `engine_token=${TOKEN}`]);
    assert.equal(again.code, 0);
    for (const [host, c] of Object.entries(recapOf(again.events).hosts)) assert.equal(c.changed, 0, `${host} changed`);
    const check = await runSteer(['run', pb('engine.yaml'), '-i', inv(), '--check', '--json', '-e', `engine_token=${TOKEN}`]);
    for (const c of Object.values(recapOf(check.events).hosts)) assert.equal(c.changed, 0);
  });

  test('--tags runs only the matching steps and roles', async () => {
    const r = await runSteer(['run', pb('engine.yaml'), '-i', inv(), '--json', '--tags', 'second', '-e', `engine_token=${TOKEN}`]);
    assert.equal(r.code, 0, r.stdout.slice(-4000));
    const roles = new Set(r.events.filter((e) => e.type === 'step-result' && e.role !== 'setup').map((e) => (e as { role: string }).role));
    assert.deepEqual([...roles], ['second']);
    const skipped = await runSteer(['run', pb('engine.yaml'), '-i', inv(), '--json', '--tags', 'second', '--skip-tags', 'second-file', '-e', `engine_token=${TOKEN}`]);
    assert.ok(![...stepStatuses(skipped.events).keys()].some((k) => k.includes('Second file')));
  });

  test('a failing host stops; the others finish; its handlers do not run; retry file', async () => {
    const retry = join(work, 'failed.retry');
    const r = await runSteer([
      'run', pb('engine.yaml'), '-i', inv(), '--json', '--retry-file', retry,
      '-e', `engine_token=${TOKEN}`, '-e', `fail_host=${hosts[1]} marker=two handler_log=fail.log`,
    ]);
    assert.equal(r.code, 2);
    const recap = recapOf(r.events);
    assert.equal(recap.hosts[hosts[1]!]!.failed, 1);
    assert.equal(readFileSync(retry, 'utf8'), `${hosts[1]}\n`);
    assert.equal(await lab.exec(hosts[0]!, 'sudo cat /etc/steer-test/fail.log'), 'h1\nh2\n');
    assert.equal(await lab.exec(hosts[1]!, 'sudo test -e /etc/steer-test/fail.log && echo yes || echo no'), 'no\n');
    const rerun = await runSteer(['run', pb('engine.yaml'), '-i', inv(), '--json', '--limit', `@${retry}`, '-e', `engine_token=${TOKEN} marker=two handler_log=fail.log`]);
    assert.equal(rerun.code, 0);
    assert.deepEqual(Object.keys(recapOf(rerun.events).hosts), [hosts[1]]);
  });

  test('an unreachable host is counted apart; the others finish; exit 4', async () => {
    const down = hosts[2]!;
    await stopHost(lab.name, down);
    try {
      const retry = join(work, 'down.retry');
      const started = Date.now();
      const r = await runSteer(['run', pb('engine.yaml'), '-i', inv(), '--json', '--retry-file', retry, '-e', `engine_token=${TOKEN}`]);
      assert.equal(r.code, 4);
      const recap = recapOf(r.events);
      assert.equal(recap.hosts[down]!.unreachable, 1);
      assert.equal(recap.hosts[hosts[0]!]!.failed + recap.hosts[hosts[0]!]!.unreachable, 0);
      assert.ok(recap.hosts[hosts[0]!]!.ok > 0);
      assert.equal(readFileSync(retry, 'utf8'), `${down}\n`);
      assert.ok(Date.now() - started < 120_000);
    } finally {
      await startHost(lab.name, down);
    }
  });

  test('a changed host key is refused with its fingerprint', async () => {
    const keyDir = mkdtempSync(join(work, 'key-'));
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(keyDir, 'k')]);
    const fake = readFileSync(join(keyDir, 'k.pub'), 'utf8').trim().split(' ').slice(0, 2).join(' ');
    const address = lab.hosts[0]!.address;
    const knownHosts = readFileSync(lab.knownHostsPath, 'utf8')
      .split('\n')
      .map((l) => (l.split(' ')[0]!.split(',').includes(address) && l.includes('ssh-ed25519') ? `${address} ${fake}` : l))
      .join('\n');
    const copy = join(work, 'known_hosts');
    writeFileSync(copy, knownHosts);
    const invText = readFileSync(inv(), 'utf8').split(lab.knownHostsPath).join(copy);
    const invCopy = join(work, 'inventory.yaml');
    writeFileSync(invCopy, invText);
    const r = await runSteer(['run', pb('engine.yaml'), '-i', invCopy, '--json', '-e', `engine_token=${TOKEN}`]);
    assert.equal(r.code, 4);
    const refused = r.events.find((e) => e.type === 'step-result' && e.host === hosts[0] && e.status === 'unreachable');
    assert.ok(refused && refused.type === 'step-result');
    assert.match(refused.message ?? '', /SHA256:/);
  });

  test('the reboot handler reboots for real and waits for the new boot', async () => {
    const bootBefore = await lab.exec(hosts[0]!, 'cat /proc/sys/kernel/random/boot_id');
    const r = await runSteer(['run', pb('reboot.yaml'), '-i', inv(), '--json']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(stepStatuses(r.events).get(`${hosts[0]} rebooter : reboot (handler)`), 'changed');
    const bootAfter = await lab.exec(hosts[0]!, 'cat /proc/sys/kernel/random/boot_id');
    assert.notEqual(bootAfter, bootBefore);
    assert.ok(existsSync(inv()));
  });
});
