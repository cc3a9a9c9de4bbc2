// What the test command needs on this machine besides Node, as `steer lab` checks its own: test/run.js
// installs what is missing with apt-get (as root on Debian/Ubuntu, one line saying so) or stops with
// the list of packages to install. The clean-machine test (test/readme/clean-machine.lab.test.ts)
// proves the list complete: it runs the README's test command in a minimal Debian root.
import { LAB_TOOLS, ensureTools, type Tool } from '../../lab/preflight.js';
import { labSkipReason } from './lab.js';

/** Programs the unit tests run on the controller, and their Debian packages. */
export const UNIT_TEST_TOOLS: readonly Tool[] = [
  // Compatibility tests: steer's inventories and vault files against Ansible's own tools.
  ['ansible', 'ansible-core'],
  ['ansible-inventory', 'ansible-core'],
  ['ansible-vault', 'ansible-core'],
  // The differential tests run ansible-playbook with the json stdout callback, which ships in the
  // ansible.posix collection of Debian's `ansible` package, not in ansible-core.
  ['/usr/lib/python3/dist-packages/ansible_collections/ansible/posix/plugins/callback/json.py', 'ansible'],
  // A real sshd on loopback (test/support/sshd.ts), keys and the agent, sudo for become.
  ['sshd', 'openssh-server'],
  ['ssh', 'openssh-client'],
  ['ssh-keygen', 'openssh-client'],
  ['ssh-agent', 'openssh-client'],
  ['ssh-add', 'openssh-client'],
  ['sudo', 'sudo'],
  // The Kubernetes stand-ins run on loopback (Python), their CA hash is checked with openssl, and
  // their packages are built and inspected with dpkg-deb.
  ['python3', 'python3'],
  ['openssl', 'openssl'],
  ['dpkg-deb', 'dpkg'],
];

/**
 * Installs or lists what the selected tests need: the unit tests' tools always, the lab's too when
 * lab tests will run (where labSkipReason finds no reason to skip them). Throws a UserError listing
 * the packages when they cannot be installed.
 */
export async function ensureTestPrerequisites(withLab: boolean): Promise<void> {
  const labRuns = withLab && labSkipReason() === undefined;
  await ensureTools(labRuns ? [...UNIT_TEST_TOOLS, ...LAB_TOOLS] : UNIT_TEST_TOOLS, 'steer tests');
}
