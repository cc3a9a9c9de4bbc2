// Secrets: a variable declared `secret: true` and the become password (STEER_BECOME_PASSWORD, with
// sudo really asking for it) never appear in the plain output, --json events, -vvv output, the
// retry file, or the host's process list while a step that uses them runs; the files the role
// writes with them have mode 0600.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { labSkipReason, startLab, type LabHandle } from '../support/lab.js';
import { runSteer, type CliResult } from '../support/steer-cli.js';
import { playbook, sleep, stepResult } from './support.js';

const SECRET = 'sEcr3t-Tok3n.9f2c41d7a0b8';
const PASSWORD = 'becomePw-7d1e5c9a3b';

describe('secrets on every output channel', { skip: labSkipReason(), timeout: 5 * 60_000 }, () => {
  let lab: LabHandle;
  let work: string;
  let host: string;
  let extraVars: string;

  before(async () => {
    lab = await startLab({ name: 'rel-secrets', hosts: 1 });
    host = lab.hosts[0]!.name;
    work = mkdtempSync(join(tmpdir(), 'steer-rel-secrets-'));
    // From a file: on the command line the value would sit in the controller's process list.
    extraVars = join(work, 'secret-vars.yaml');
    writeFileSync(extraVars, `rel_secret: ${SECRET}\n`, { mode: 0o600 });
    // sudo asks pi for a password from now on (the lab's default is NOPASSWD).
    await lab.exec(host, `echo 'pi:${PASSWORD}' | sudo chpasswd && echo 'pi ALL=(ALL) ALL' | sudo tee /etc/sudoers.d/010_pi-nopasswd >/dev/null`);
  });
  after(async () => {
    await lab?.down();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  const steer = (...args: string[]) =>
    runSteer(['run', playbook('secret.yaml'), '-i', lab.inventoryPath, '-e', `@${extraVars}`, ...args], { env: { STEER_BECOME_PASSWORD: PASSWORD } });

  function assertClean(channel: string, text: string): void {
    assert.ok(!text.includes(SECRET), `${channel} does not show the secret variable`);
    assert.ok(!text.includes(PASSWORD), `${channel} does not show the become password`);
  }

  test('sudo needs the password: without it the run fails', async () => {
    assert.equal(process.env['STEER_BECOME_PASSWORD'], undefined);
    const r = await runSteer(['run', playbook('secret.yaml'), '-i', lab.inventoryPath, '-e', `@${extraVars}`, '--json', '--retry-file', join(work, 'nopw.retry')]);
    assert.equal(r.code, 2, r.stdout.slice(-2000));
    assert.match(stepResult(r.events, host, 'Folder')?.message ?? '', /sudo/);
  });

  let watched: CliResult;
  const processLists: string[] = [];

  test('the process list on the host never shows the values while a step uses them', async () => {
    let running = true;
    const watcher = (async () => {
      while (running) {
        processLists.push(await lab.exec(host, 'ps -eo args'));
        await sleep(150);
      }
    })();
    try {
      watched = await steer('--json', '--retry-file', join(work, 'watched.retry'));
    } finally {
      running = false;
      await watcher;
    }
    assert.equal(watched.code, 0, watched.stdout.slice(-3000) + watched.stderr);
    const during = processLists.filter((l) => l.includes('sleep 4.321'));
    assert.ok(during.length >= 3, `caught the step running (${during.length} snapshots)`);
    assert.ok(processLists.some((l) => /sudo .*-S/.test(l)), 'sudo with a password on stdin was seen');
    for (const [i, list] of processLists.entries()) assertClean(`ps snapshot ${i}`, list);
  });

  test('the files written with the secret have mode 0600 and hold it', async () => {
    for (const file of ['from-stdin', 'credentials']) {
      const stat = await lab.exec(host, `echo '${PASSWORD}' | sudo -S -p '' stat -c '%a %U' /etc/steer-rel/${file}`);
      assert.equal(stat, '600 root\n', file);
    }
    assert.equal(await lab.exec(host, `echo '${PASSWORD}' | sudo -S -p '' cat /etc/steer-rel/credentials`), `token: ${SECRET}\n`);
  });

  test('plain, --json, -vvv and the retry file never show the values', async () => {
    const retry = join(work, 'failed.retry');
    const fail = ['-e', '{"fail_at_end": true}', '--retry-file', retry];
    const runs: [string, CliResult][] = [
      ['--json', watched],
      ['plain', await steer(...fail)],
      ['plain -vvv', await steer('-vvv', ...fail)],
      ['--json -vvv', await steer('--json', '-vvv', ...fail)],
    ];
    for (const [channel, r] of runs) {
      assertClean(`${channel} stdout`, r.stdout);
      assertClean(`${channel} stderr`, r.stderr);
    }
    // The channels did carry the places the values were used, masked.
    const [, plain] = runs[1]!;
    const [, verbose] = runs[2]!;
    const [, json] = runs[3]!;
    assert.equal(plain.code, 2);
    assert.match(verbose.stdout, /token: \*{8}|\*{8}/);
    assert.match(verbose.stdout, /bad token \*{8}/, '-vvv shows the command stderr, masked');
    assert.equal(stepResult(json.events, host, 'Secret in a failure')?.message, 'refused token ********');
    assert.ok(json.events.some((e) => e.type === 'note' && e.message === 'using ********'));
    const retryText = readFileSync(retry, 'utf8');
    assert.equal(retryText, `${host}\n`);
    assertClean('the retry file', retryText);
  });
});
