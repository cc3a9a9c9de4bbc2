// Kubernetes stand-ins for lab hosts (issue 6): kubeadm, kubelet and kubectl written in Python
// (standard library only, see ./python), packaged as .debs per minor version for the lab's
// pkgs.k8s.io-shaped repositories. Builds are deterministic and cached by the hash of their inputs.
// This code only builds packages on the controller; nothing here runs the stand-ins.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmod, copyFile, mkdir, readdir, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { buildEtcdRelease } from './etcd-release.js';
import { packagePath } from '../../lib/package-root.js';
import {
  entryScript, KUBEADM_DROPIN, KUBELET_POSTINST, KUBELET_POSTRM, KUBELET_PRERM, KUBELET_UNIT, libDir, PACKAGE_REVISION,
  README, STANDIN_DEPENDS, STANDIN_DESCRIPTIONS, STANDIN_PACKAGES, STANDIN_VERSIONS, type StandinPackage,
} from './packages.js';

export { STANDIN_DEPENDS, STANDIN_VERSIONS, PACKAGE_REVISION } from './packages.js';
export { ETCD_RELEASE, etcdTarballName, labArch } from './etcd-release.js';

export interface KubernetesRepoContent {
  /** Minor version, e.g. "1.34": served at core:/stable:/v1.34/deb/ */
  minor: string;
  /** Absolute paths of the .deb files for that repository. */
  debs: string[];
}

const HERE = packagePath('lab', 'standins');
/** The stand-ins' Python sources (the `standin` package). */
export const PYTHON_DIR = join(HERE, 'python');
/** The Flannel manifest the lab serves at <repoUrl>/files/kube-flannel.yml. */
export const FLANNEL_MANIFEST = join(HERE, 'manifests', 'kube-flannel.yml');
/** Test harness only: a systemctl replacement for running the stand-ins under a root prefix. */
export const FAKE_SYSTEMCTL = join(HERE, 'harness', 'fake_systemctl.py');

/** Bumped when the packaging itself (not the sources) changes, to invalidate caches. */
const BUILD_REVISION = 3;
/** Every file in the packages gets this mtime (2026-01-01T00:00:00Z), for reproducible builds. */
const SOURCE_DATE_EPOCH = 1767225600;

/**
 * Builds (or reuses from `workDir`) the kubeadm, kubelet and kubectl stand-in packages for every
 * version in STANDIN_VERSIONS, and puts the lab's extra files (the Flannel manifest, the etcd release
 * tarball with the stand-in etcdctl and etcdutl, its SHA256SUMS) in `workDir/files/`. Returns the
 * .debs grouped by minor version.
 */
export async function buildKubernetesPackages(workDir: string): Promise<KubernetesRepoContent[]> {
  await requireTool('dpkg-deb', 'dpkg-deb (package dpkg) is needed to build the Kubernetes stand-in packages');
  const sources = await sourceFiles();
  const hash = createHash('sha256');
  hash.update(JSON.stringify({ BUILD_REVISION, STANDIN_VERSIONS, PACKAGE_REVISION, STANDIN_DEPENDS }));
  for (const f of sources) {
    hash.update(f.rel);
    hash.update(await readFile(f.abs));
  }
  hash.update(KUBELET_UNIT + KUBEADM_DROPIN + KUBELET_POSTINST + KUBELET_PRERM + KUBELET_POSTRM);
  const key = hash.digest('hex').slice(0, 16);
  const outDir = join(workDir, `standin-debs-${key}`);
  const stampPath = join(outDir, 'complete.json');

  await mkdir(join(workDir, 'files'), { recursive: true });
  await copyFile(FLANNEL_MANIFEST, join(workDir, 'files', 'kube-flannel.yml'));
  await buildEtcdRelease(join(workDir, 'files'), PYTHON_DIR, SOURCE_DATE_EPOCH);

  let content = await readStamp(stampPath);
  if (!content) {
    const tmp = `${outDir}.tmp-${process.pid}`;
    await rm(tmp, { recursive: true, force: true });
    await mkdir(tmp, { recursive: true });
    try {
      const built: KubernetesRepoContent[] = [];
      for (const [minor, versions] of Object.entries(STANDIN_VERSIONS)) {
        const debs: string[] = [];
        for (const v of versions) {
          for (const pkg of STANDIN_PACKAGES) debs.push(await buildDeb(tmp, pkg, v, sources));
        }
        built.push({ minor, debs: debs.map((d) => relative(tmp, d)) });
      }
      await writeFile(join(tmp, 'complete.json'), JSON.stringify(built, null, 2) + '\n');
      await rm(outDir, { recursive: true, force: true });
      await rename(tmp, outDir);
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
    content = await readStamp(stampPath);
    if (!content) throw new Error(`stand-in package build left no ${stampPath}`);
  }
  return content.map((c) => ({ minor: c.minor, debs: c.debs.map((d) => join(outDir, d)) }));
}

interface SourceFile {
  rel: string;
  abs: string;
}

async function sourceFiles(): Promise<SourceFile[]> {
  const out: SourceFile[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const name of (await readdir(dir)).sort()) {
      const abs = join(dir, name);
      if (name === '__pycache__') continue;
      if ((await stat(abs)).isDirectory()) await walk(abs);
      else if (name.endsWith('.py')) out.push({ rel: relative(PYTHON_DIR, abs), abs });
    }
  };
  await walk(join(PYTHON_DIR, 'standin'));
  return out;
}

async function readStamp(path: string): Promise<KubernetesRepoContent[] | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as KubernetesRepoContent[];
  } catch {
    return undefined;
  }
}

async function buildDeb(outDir: string, pkg: StandinPackage, version: string, sources: SourceFile[]): Promise<string> {
  const debVersion = `${version}-${PACKAGE_REVISION}`;
  const root = join(outDir, 'staging', `${pkg}_${debVersion}`);
  const files = new Map<string, { content: string | Buffer; mode: number }>();
  const lib = libDir(pkg);
  for (const f of sources) files.set(`${lib}/${f.rel}`, { content: await readFile(f.abs), mode: 0o644 });
  files.set(`${lib}/standin/VERSION`, { content: version + '\n', mode: 0o644 });
  files.set(`${lib}/README`, { content: README(pkg, version), mode: 0o644 });
  files.set(`/usr/bin/${pkg}`, { content: entryScript(pkg), mode: 0o755 });
  files.set(`/usr/share/doc/${pkg}/README.steer-lab-standin`, { content: README(pkg, version), mode: 0o644 });
  if (pkg === 'kubelet') files.set('/usr/lib/systemd/system/kubelet.service', { content: KUBELET_UNIT, mode: 0o644 });
  if (pkg === 'kubeadm') {
    files.set('/usr/lib/systemd/system/kubelet.service.d/10-kubeadm.conf', { content: KUBEADM_DROPIN, mode: 0o644 });
    // The real kubeadm depends on cri-tools; its crictl stands in here (pods, stopp).
    files.set('/usr/bin/crictl', { content: entryScript(pkg, lib, 'crictl'), mode: 0o755 });
  }
  let size = 0;
  for (const [path, f] of files) {
    const abs = join(root, path);
    await mkdir(dirname(abs), { recursive: true });
    await writeFile(abs, f.content);
    await chmod(abs, f.mode);
    size += Buffer.byteLength(f.content);
  }
  const control = [
    `Package: ${pkg}`,
    `Version: ${debVersion}`,
    'Architecture: amd64',
    'Maintainer: steer lab <steer-lab@localhost>',
    `Installed-Size: ${Math.ceil(size / 1024)}`,
    `Depends: ${STANDIN_DEPENDS[pkg].join(', ')}`,
    'Section: admin',
    'Priority: optional',
    'Homepage: https://kubernetes.io',
    `Description: ${STANDIN_DESCRIPTIONS[pkg]}`,
    ' Test equipment for the steer lab: behaves like the real Kubernetes tool for what the steer roles',
    ' use, labels everything it prints "[steer lab stand-in]". Never install it outside lab hosts.',
    '',
  ].join('\n');
  await mkdir(join(root, 'DEBIAN'), { recursive: true });
  await writeFile(join(root, 'DEBIAN', 'control'), control);
  if (pkg === 'kubelet') {
    for (const [name, text] of [['postinst', KUBELET_POSTINST], ['prerm', KUBELET_PRERM], ['postrm', KUBELET_POSTRM]]) {
      await writeFile(join(root, 'DEBIAN', name), text);
      await chmod(join(root, 'DEBIAN', name), 0o755);
    }
  }
  await normalizeTree(root);
  const deb = join(outDir, `${pkg}_${debVersion}_amd64.deb`);
  await exec('dpkg-deb', ['--root-owner-group', '-Zxz', '--build', root, deb], {
    ...process.env, SOURCE_DATE_EPOCH: String(SOURCE_DATE_EPOCH),
  });
  await rm(root, { recursive: true, force: true });
  return deb;
}

/** Fixed modes for directories and fixed mtimes for everything, so builds are byte-identical. */
async function normalizeTree(dir: string): Promise<void> {
  for (const name of await readdir(dir)) {
    const abs = join(dir, name);
    if ((await stat(abs)).isDirectory()) {
      await chmod(abs, 0o755);
      await normalizeTree(abs);
    }
    await utimes(abs, SOURCE_DATE_EPOCH, SOURCE_DATE_EPOCH);
  }
  await utimes(dir, SOURCE_DATE_EPOCH, SOURCE_DATE_EPOCH);
}

function exec(cmd: string, args: string[], env?: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { env, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} ${args.join(' ')} failed: ${stderr || err.message}`));
      else resolve(stdout);
    });
  });
}

async function requireTool(tool: string, why: string): Promise<void> {
  try {
    await exec('sh', ['-c', `command -v ${tool}`]);
  } catch {
    throw new Error(why);
  }
}
