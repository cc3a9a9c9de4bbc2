// Host keys on a real host: an unknown key is refused unless --host-key-checking accept-new; after
// the host is rebuilt with new host keys, the old known_hosts makes every mode but off refuse it,
// showing the new key's fingerprint.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { labSkipReason, startLab, type LabHandle } from '../support/lab.js';
import { runSteer } from '../support/steer-cli.js';
import { playbook, stepResult } from './support.js';

/** The SHA256 fingerprint of an OpenSSH public key line. */
function fingerprintOf(publicKeyLine: string): string {
  const out = execFileSync('ssh-keygen', ['-l', '-f', '-'], { input: publicKeyLine }).toString();
  return /SHA256:\S+/.exec(out)![0];
}

describe('host keys', { skip: labSkipReason(), timeout: 5 * 60_000 }, () => {
  let lab: LabHandle;
  let work: string;
  let host: string;
  let address: string;
  /** known_hosts that starts empty and, after accept-new, holds the host's original key. */
  let knownHosts: string;
  let inventory: string;

  before(async () => {
    lab = await startLab({ name: 'rel-keys', hosts: 1 });
    host = lab.hosts[0]!.name;
    address = lab.hosts[0]!.address;
    work = mkdtempSync(join(tmpdir(), 'steer-rel-keys-'));
    knownHosts = join(work, 'known_hosts');
    writeFileSync(knownHosts, '');
    inventory = join(work, 'inventory.yaml');
    writeFileSync(inventory, readFileSync(lab.inventoryPath, 'utf8').split(lab.knownHostsPath).join(knownHosts));
  });
  after(async () => {
    await lab?.down();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  const run = (mode: string, inv = inventory) =>
    runSteer(['run', playbook('hello.yaml'), '-i', inv, '--json', '--host-key-checking', mode, '--retry-file', join(work, 'hello.retry')]);

  test('an unknown key is refused (with its fingerprint) unless accept-new is chosen', async () => {
    const labLine = readFileSync(lab.knownHostsPath, 'utf8')
      .split('\n')
      .find((l) => l.split(' ')[0]!.split(',').includes(address) && l.split(' ')[1] === 'ssh-ed25519')!;
    const print = fingerprintOf(labLine.split(' ').slice(1).join(' '));

    const refused = await run('strict');
    assert.equal(refused.code, 4, refused.stderr);
    const connect = stepResult(refused.events, host, 'Connect');
    assert.equal(connect?.status, 'unreachable');
    assert.match(connect.message ?? '', /is not known/);
    assert.ok(connect.message!.includes(print), `the message shows ${print}`);
    assert.equal(readFileSync(knownHosts, 'utf8'), '', 'strict adds nothing');

    const accepted = await run('accept-new');
    assert.equal(accepted.code, 0, accepted.stdout + accepted.stderr);
    assert.match(readFileSync(knownHosts, 'utf8'), new RegExp(`^${address.replaceAll('.', '\\.')} ssh-ed25519 `, 'm'));

    const known = await run('strict');
    assert.equal(known.code, 0, 'the accepted key is trusted from now on');
  });

  test('a host rebuilt with new host keys is refused in every mode but off, showing the new fingerprint', async () => {
    // Rebuild the host's identity; the session running this survives the sshd restart.
    const newKey = await lab.exec(
      host,
      `sudo sh -c 'rm -f /etc/ssh/ssh_host_*; ssh-keygen -A >/dev/null; cat /etc/ssh/ssh_host_ed25519_key.pub; systemctl restart ssh'`,
    );
    const print = fingerprintOf(newKey.trim());
    for (const mode of ['strict', 'accept-new']) {
      const r = await run(mode);
      assert.equal(r.code, 4, `${mode}: ${r.stderr}`);
      const connect = stepResult(r.events, host, 'Connect');
      assert.equal(connect?.status, 'unreachable');
      assert.match(connect.message ?? '', /has CHANGED/);
      assert.ok(connect.message!.includes(print), `${mode}: the message shows the new key ${print}`);
      assert.equal(stepResult(r.events, host, 'Hello'), undefined, `${mode}: nothing ran`);
    }
    // The lab's own known_hosts (the original keys) is refused the same way.
    const labInventory = await run('accept-new', lab.inventoryPath);
    assert.equal(labInventory.code, 4);
    const off = await run('off');
    assert.equal(off.code, 0, 'off connects anyway (the user chose to)');
  });
});
