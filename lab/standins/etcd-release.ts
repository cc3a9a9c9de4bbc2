// The lab's stand-in for the etcd release tarball the backup roles fetch on real Pis
// (https://github.com/etcd-io/etcd/releases/download/v3.6.5/etcd-v3.6.5-linux-arm64.tar.gz: kubeadm
// does not install etcdctl). Same name and layout — etcd-v3.6.5-linux-<arch>/{etcdctl,etcdutl,etcd} —
// with the stand-in etcdctl and etcdutl as single-file Python programs (their modules embedded), so
// that a role can copy one binary to /usr/local/bin as it would the real one. Built reproducibly
// with the system tar (as the packages are built with dpkg-deb) and gzipped here with a fixed header.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

/** The etcd release kubeadm 1.34 pairs with (constants.go SupportedEtcdVersion: 34 -> 3.6.5-0). */
export const ETCD_RELEASE = '3.6.5';

/** Modules each tool needs, in the `standin` package. */
const EMBEDDED = ['__init__', 'common', 'etcd_data', 'etcd_client', 'etcd_print', 'etcdctl'];

/** The Debian architecture of lab hosts: the controller's own (lab hosts share its kernel). */
export function labArch(nodeArch: string = process.arch): string {
  return ({ x64: 'amd64', arm64: 'arm64', arm: 'armhf' } as Record<string, string>)[nodeArch] ?? nodeArch;
}

/** etcd-v3.6.5-linux-<arch>.tar.gz, the release asset's name. */
export function etcdTarballName(arch: string = labArch()): string {
  return `etcd-v${ETCD_RELEASE}-linux-${arch}.tar.gz`;
}

/**
 * A self-contained Python program: the given `standin` modules embedded as source text, loaded by
 * a meta-path finder, then `standin.<tool>.main` run. The sources are JSON strings, which Python reads
 * as string literals.
 */
export function embeddedProgram(tool: string, sources: Record<string, string>): string {
  return [
    '#!/usr/bin/python3',
    `# ${tool}: steer lab stand-in (test equipment, not the real etcd ${tool}). Never install it outside lab hosts;`,
    '# see docs/standins.md in the steer repository. The stand-in modules it needs are embedded below.',
    'import importlib.abc',
    'import importlib.util',
    'import sys',
    `SOURCES = ${JSON.stringify(sources)}`,
    '',
    '',
    'class _Loader(importlib.abc.Loader):',
    '    def create_module(self, spec):',
    '        return None',
    '',
    '    def exec_module(self, module):',
    "        exec(compile(SOURCES[module.__name__], '<steer-lab-standin %s>' % module.__name__, 'exec'), module.__dict__)",
    '',
    '',
    'class _Finder(importlib.abc.MetaPathFinder):',
    '    def find_spec(self, name, path=None, target=None):',
    '        if name in SOURCES:',
    "            return importlib.util.spec_from_loader(name, _Loader(), is_package=(name == 'standin'))",
    '        return None',
    '',
    '',
    'sys.meta_path.insert(0, _Finder())',
    `from standin.${tool} import main  # noqa: E402`,
    'sys.exit(main(sys.argv[1:]))',
    '',
  ].join('\n');
}

const README = `This is the steer lab stand-in for the etcd ${ETCD_RELEASE} release tarball.

etcdctl and etcdutl here are test equipment: they behave like the real tools for what the steer
playbooks use (snapshot save / status / restore, endpoint health, member list) against the lab's
stand-in etcd, and label everything they print "[steer lab stand-in]". etcd itself is not included
(kubeadm runs etcd as a static Pod). Never install these outside lab hosts. See docs/standins.md.
`;

async function programs(pythonDir: string): Promise<Record<string, string>> {
  const read = async (mods: string[]) =>
    Object.fromEntries(await Promise.all(mods.map(async (m) => [m === '__init__' ? 'standin' : `standin.${m}`,
      await readFile(join(pythonDir, 'standin', `${m}.py`), 'utf8')] as const)));
  return {
    etcdctl: embeddedProgram('etcdctl', await read(EMBEDDED)),
    etcdutl: embeddedProgram('etcdutl', await read([...EMBEDDED, 'etcdutl'])),
  };
}

/**
 * Writes `filesDir/etcd-v3.6.5-linux-<arch>.tar.gz` and `filesDir/SHA256SUMS` (as the release
 * publishes one), byte-identical for identical sources. Returns the tarball's path.
 */
export async function buildEtcdRelease(filesDir: string, pythonDir: string, mtime: number, arch = labArch()): Promise<string> {
  const top = `etcd-v${ETCD_RELEASE}-linux-${arch}`;
  const stage = await mkdtemp(join(tmpdir(), 'steer-etcd-release-'));
  try {
    await mkdir(join(stage, top));
    const files: Record<string, { text: string; mode: number }> = {
      'README-steer-lab-standin.md': { text: README, mode: 0o644 },
      ...Object.fromEntries(Object.entries(await programs(pythonDir)).map(([k, v]) => [k, { text: v, mode: 0o755 }])),
    };
    for (const [name, f] of Object.entries(files)) {
      await writeFile(join(stage, top, name), f.text);
      await chmod(join(stage, top, name), f.mode);
      await utimes(join(stage, top, name), mtime, mtime);
    }
    await chmod(join(stage, top), 0o755);
    await utimes(join(stage, top), mtime, mtime);
    const tar = await run('tar', ['--sort=name', '--owner=0', '--group=0', '--numeric-owner', `--mtime=@${mtime}`,
      '--format=gnu', '-C', stage, '-cf', '-', top]);
    const gz = gzipSync(tar, { level: 9 });
    const name = etcdTarballName(arch);
    await mkdir(filesDir, { recursive: true });
    await writeFile(join(filesDir, name), gz);
    const sum = createHash('sha256').update(gz).digest('hex');
    await writeFile(join(filesDir, 'SHA256SUMS'), `${sum}  ${name}\n`);
    return join(filesDir, name);
  } finally {
    await rm(stage, { recursive: true, force: true });
  }
}

function run(cmd: string, args: string[]): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} ${args.join(' ')} failed: ${stderr.toString() || err.message}`));
      else resolve(stdout);
    });
  });
}
