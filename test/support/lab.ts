// Lab hosts for tests of every part of steer: `startLab` boots a private lab (its own name, bridge
// and subnet, its inventory in a temp directory) and `down()` removes all of it.
//
//   const lab = await startLab({ name: 'engine', hosts: 2 });
//   t.after(() => lab.down());
//   // run steer against lab.inventoryPath, or lab.exec(lab.hosts[0].name, 'cat /etc/hostname')
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { labDown, labUp, requireState, findHost } from '../../lab/lab.js';
import { sshRun } from '../../lab/ssh.js';

export interface LabHandle {
  name: string;
  hosts: { name: string; address: string }[];
  inventoryPath: string;
  keyPath: string;
  knownHostsPath: string;
  /** Base URL of the lab's package repository (…/debian, …/core:/stable:/v1.NN/deb, …/files). */
  repoUrl: string;
  /** Runs a command on a lab host as `pi` over OpenSSH (strict host-key checking); its stdout. */
  exec(host: string, command: string): Promise<string>;
  down(): Promise<void>;
}

/**
 * Set (to 1) in the clean machine test/readme/clean-machine.lab.test.ts runs the README's test command
 * in: a systemd-nspawn container on the host's network, where lab hosts are not nested (docs/lab.md).
 */
export const INSIDE_CLEAN_MACHINE = 'STEER_TEST_INSIDE_CLEAN_MACHINE';

/** Why lab tests cannot run here (not Linux, not root, inside the clean machine), or undefined when they can. */
export function labSkipReason(): string | undefined {
  if (process.platform !== 'linux') return 'lab hosts need Linux';
  if (process.getuid?.() !== 0) return 'lab hosts need root (systemd-nspawn, network namespaces)';
  if (process.env[INSIDE_CLEAN_MACHINE]) return 'inside the clean-machine check: no nested lab hosts (docs/lab.md)';
  return undefined;
}

/**
 * A test's lab name, prefixed by STEER_TEST_LAB_PREFIX when set, so that test runs in several
 * checkouts on one machine never take down each other's labs.
 */
export function testLabName(base: string): string {
  return `${process.env['STEER_TEST_LAB_PREFIX'] ?? ''}${base}`;
}

export async function startLab(requested: { name: string; hosts: number; bootDelay?: number }): Promise<LabHandle> {
  const options = { ...requested, name: testLabName(requested.name) };
  const dir = await mkdtemp(join(tmpdir(), `steer-lab-${options.name}-`));
  const inventoryPath = join(dir, 'inventory.yaml');
  let info;
  try {
    // A lab of this name left by a killed test run would block this one: tests own their names.
    await labDown(options.name);
    info = await labUp({
      name: options.name,
      hosts: options.hosts,
      bootDelay: options.bootDelay ?? 0,
      inventoryPath,
      log: (line) => process.stderr.write(`# lab ${options.name}: ${line}\n`),
    });
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  let down: Promise<void> | undefined;
  return {
    name: info.name,
    hosts: info.hosts,
    inventoryPath,
    keyPath: info.keyPath,
    knownHostsPath: info.knownHostsPath,
    repoUrl: info.repoUrl,
    async exec(host, command) {
      const state = await requireState(options.name);
      return sshRun(state, findHost(state, host), command, 300_000);
    },
    down() {
      down ??= (async () => {
        await labDown(options.name);
        await rm(dir, { recursive: true, force: true });
      })();
      return down;
    },
  };
}

/** A command's combined output (stdout then stderr, interleaved as written) and its exit code. */
export interface HostShellResult {
  code: number;
  out: string;
}

/**
 * Shell helpers for lab tests that drive hosts by hand (the stand-in tests): `sh` runs a command and
 * never throws; `ok` asserts exit 0 and names the host, the command and its output when not. The
 * command's output goes through a file on the host so that stderr is kept and ordered with stdout.
 */
export function hostShell(lab: () => LabHandle): {
  sh(host: string, command: string): Promise<HostShellResult>;
  ok(host: string, command: string): Promise<string>;
} {
  const sh = async (host: string, command: string): Promise<HostShellResult> => {
    const wrapped = `{\n${command}\n} > /tmp/steer-test-out 2>&1; rc=$?; cat /tmp/steer-test-out; echo "__rc=$rc"`;
    const out = await lab().exec(host, wrapped);
    const m = /__rc=(\d+)\s*$/.exec(out);
    return { code: m ? Number(m[1]) : -1, out: out.replace(/__rc=\d+\s*$/, '') };
  };
  const ok = async (host: string, command: string): Promise<string> => {
    const r = await sh(host, command);
    if (r.code !== 0) throw new Error(`${host}: ${command}\nexit ${r.code}\n${r.out}`);
    return r.out;
  };
  return { sh, ok };
}
