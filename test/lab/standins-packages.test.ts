// The stand-in .deb packages: names, versions per minor, control fields, contents, reproducibility.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { buildKubernetesPackages, etcdTarballName, type KubernetesRepoContent } from '../../lab/standins/index.js';

const skip = process.platform !== 'linux' ? 'dpkg-deb needs Linux' : undefined;

describe('buildKubernetesPackages', { skip }, () => {
  let dir = '';
  let built: KubernetesRepoContent[] = [];
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'steer-standin-debs-'));
    built = await buildKubernetesPackages(join(dir, 'a'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  const field = (deb: string, name: string) => execFileSync('dpkg-deb', ['-f', deb, name]).toString().trim();

  test('one repository per minor, two patch versions of each tool', () => {
    assert.deepEqual(built.map((b) => b.minor), ['1.32', '1.33', '1.34']);
    const names = built.find((b) => b.minor === '1.34')!.debs.map((d) => basename(d)).sort();
    assert.deepEqual(names, [
      'kubeadm_1.34.1-1.1_amd64.deb', 'kubeadm_1.34.2-1.1_amd64.deb', 'kubectl_1.34.1-1.1_amd64.deb',
      'kubectl_1.34.2-1.1_amd64.deb', 'kubelet_1.34.1-1.1_amd64.deb', 'kubelet_1.34.2-1.1_amd64.deb',
    ]);
    assert.ok(built.find((b) => b.minor === '1.32')!.debs.some((d) => d.endsWith('kubeadm_1.32.10-1.1_amd64.deb')));
  });

  test('control fields say what they are and depend on what the lab serves', () => {
    const kubelet = built.find((b) => b.minor === '1.33')!.debs.find((d) => basename(d).startsWith('kubelet_1.33.6'))!;
    assert.equal(field(kubelet, 'Package'), 'kubelet');
    assert.equal(field(kubelet, 'Version'), '1.33.6-1.1');
    assert.match(field(kubelet, 'Description'), /steer lab stand-in/);
    assert.match(field(kubelet, 'Depends'), /^python3 \(>= 3\.9\), openssl, iptables .*conntrack, socat$/);
    const files = execFileSync('dpkg-deb', ['-c', kubelet]).toString();
    assert.match(files, /\.\/usr\/bin\/kubelet\n/);
    assert.match(files, /\.\/usr\/lib\/systemd\/system\/kubelet\.service\n/);
    assert.match(files, /\.\/usr\/lib\/steer-standin\/kubelet\/standin\/apiserver\.py\n/);
    const kubeadm = built.find((b) => b.minor === '1.33')!.debs.find((d) => basename(d).startsWith('kubeadm_1.33.6'))!;
    assert.match(execFileSync('dpkg-deb', ['-c', kubeadm]).toString(), /kubelet\.service\.d\/10-kubeadm\.conf\n/);
    const version = execFileSync('sh', ['-c', `dpkg-deb --fsys-tarfile ${kubeadm} | tar -xO ./usr/lib/steer-standin/kubeadm/standin/VERSION`]);
    assert.equal(version.toString(), '1.33.6\n');
  });

  test('the Flannel manifest is put where the lab serves files', async () => {
    assert.match(await readFile(join(dir, 'a', 'files', 'kube-flannel.yml'), 'utf8'), /name: kube-flannel-ds/);
  });

  test('the etcd release tarball: upstream name and layout, self-contained etcdctl and etcdutl, SHA256SUMS', async () => {
    const name = etcdTarballName();
    const tarball = join(dir, 'a', 'files', name);
    const listing = execFileSync('tar', ['-tzvf', tarball]).toString();
    const top = name.replace(/\.tar\.gz$/, '');
    for (const tool of ['etcdctl', 'etcdutl']) assert.match(listing, new RegExp(`^-rwxr-xr-x 0/0 .* ${top}/${tool}$`, 'm'));
    const sums = await readFile(join(dir, 'a', 'files', 'SHA256SUMS'), 'utf8');
    assert.equal(sums, `${createHash('sha256').update(await readFile(tarball)).digest('hex')}  ${name}\n`);
    // copied alone, as a role installs it to /usr/local/bin, it still runs: its modules are embedded
    const alone = join(dir, 'etcdctl');
    execFileSync('sh', ['-c', `tar -xzOf ${tarball} ${top}/etcdctl > ${alone} && chmod 755 ${alone}`]);
    const r = execFileSync(alone, ['version'], { env: { PATH: '/usr/bin:/bin' }, stdio: ['ignore', 'pipe', 'pipe'] });
    assert.equal(r.toString(), 'etcdctl version: 3.6.5\nAPI version: 3.6\n');
  });

  test('builds are cached and reproducible', async () => {
    const again = await buildKubernetesPackages(join(dir, 'a'));
    assert.deepEqual(again, built);
    const other = await buildKubernetesPackages(join(dir, 'b'));
    const sum = async (p: string) => createHash('sha256').update(await readFile(p)).digest('hex');
    for (const [i, b] of built.entries()) {
      for (const [j, deb] of b.debs.entries()) assert.equal(await sum(deb), await sum(other[i]!.debs[j]!), basename(deb));
    }
    const tarball = (d: string) => join(dir, d, 'files', etcdTarballName());
    assert.equal(await sum(tarball('a')), await sum(tarball('b')), 'the etcd tarball is byte-identical');
  });
});
