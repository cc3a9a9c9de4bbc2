// The cluster's credentials after `steer run site.yaml` on a 2-host lab (Kubernetes stand-ins):
// every kubeconfig and private key the roles (or kubeadm for them) write is mode 0600, the kubeconfig
// folders 0700, the join configuration is gone from the worker, and no bootstrap token the cluster
// knows appears anywhere in the run's output.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { labSkipReason, startLab, type LabHandle } from '../support/lab.js';
import { runSteer, type CliResult } from '../support/steer-cli.js';

describe('credential files written by the roles', { skip: labSkipReason(), timeout: 20 * 60_000 }, () => {
  let lab: LabHandle;
  let work: string;
  let cp: string;
  let worker: string;
  let site: CliResult;
  /** `mode owner path` of each existing path (globs expanded on the host). */
  const modes = async (host: string, paths: string) =>
    (await lab.exec(host, `sudo sh -c 'for f in ${paths}; do [ -e "$f" ] && stat -c "%a %U %n" "$f"; done; true'`)).trim().split('\n').filter(Boolean);

  before(async () => {
    lab = await startLab({ name: 'rel-creds', hosts: 2 });
    [cp, worker] = lab.hosts.map((h) => h.name) as [string, string];
    work = mkdtempSync(join(tmpdir(), 'steer-rel-creds-'));
    site = await runSteer(['run', 'site.yaml', '-i', lab.inventoryPath, '--json', '--retry-file', join(work, 'site.retry')], { timeoutMs: 15 * 60_000 });
  });
  after(async () => {
    await lab?.down();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  test('the site run builds the cluster', () => {
    assert.equal(site.code, 0, site.stdout.slice(-4000) + site.stderr);
  });

  test('kubeconfigs and private keys are 0600, kubeconfig folders 0700', async () => {
    const files = await modes(cp, '/etc/kubernetes/*.conf /etc/kubernetes/kubeadm-init.yaml /etc/kubernetes/pki/*.key /etc/kubernetes/pki/etcd/*.key /root/.kube/config /home/pi/.kube/config');
    for (const required of ['/etc/kubernetes/admin.conf', '/etc/kubernetes/kubelet.conf', '/root/.kube/config', '/home/pi/.kube/config', '/etc/kubernetes/pki/ca.key']) {
      assert.ok(files.some((f) => f.endsWith(` ${required}`)), `${cp} has ${required}`);
    }
    for (const f of files) assert.match(f, /^600 /, `${cp}: ${f}`);
    assert.ok(files.includes('600 pi /home/pi/.kube/config'), 'the login user owns its kubeconfig');
    for (const d of await modes(cp, '/root/.kube /home/pi/.kube')) assert.match(d, /^700 /, `${cp}: ${d}`);

    const workerFiles = await modes(worker, '/etc/kubernetes/*.conf /etc/kubernetes/pki/*.key');
    assert.ok(workerFiles.some((f) => f.endsWith(' /etc/kubernetes/kubelet.conf')), `${worker} joined`);
    for (const f of workerFiles) assert.match(f, /^600 /, `${worker}: ${f}`);
    assert.deepEqual(await modes(worker, '/etc/kubernetes/kubeadm-join.yaml'), [], 'the join configuration (it holds the token) is removed');
  });

  test('no bootstrap token of the cluster appears in the run output', async () => {
    const tokens = (await lab.exec(cp, 'sudo kubeadm token list')).match(/\b[a-z0-9]{6}\.[a-z0-9]{16}\b/g) ?? [];
    assert.ok(tokens.length > 0, 'the cluster has a token to look for');
    for (const token of tokens) {
      assert.ok(!site.stdout.includes(token) && !site.stderr.includes(token), 'the token is not in the output');
      assert.ok(!site.stdout.includes(token.split('.')[1]!), 'nor its secret half');
    }
  });
});
