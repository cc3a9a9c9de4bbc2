// The admin kubeconfig on the workstation running steer: admin.conf read from the control plane
// (never printed: its keys are registered as secrets), merged into kubeconfig_path under a context
// named cluster_name whose server is the address steer reaches the control plane at, beside the
// other contexts there, written atomically with mode 0600. A second run changes nothing.
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, resolve } from 'node:path';
import { defineRole, Secret } from 'steer';
import { ADMIN_CONF } from '../certificates/kubeconfigs.js';
import { hasContext, mergeKubeconfig, serverPort } from './merge.js';
import type { Vars } from './variables.js';

/** `~/x` and `~` to the controller user's home; other paths resolved from the current folder. */
export function expandHome(path: string): string {
  return resolve(path === '~' ? homedir() : path.startsWith('~/') ? `${homedir()}/${path.slice(2)}` : path);
}

function readIfThere(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw err;
  }
}

export default defineRole<Vars>({
  async run({ step, probe, local, vars, host, hostvars, check, fail, note }) {
    const path = expandHome(vars.kubeconfig_path);
    const existing = readIfThere(path);
    const refreshOnly = vars.workstation_refresh_only;
    const wanted = !refreshOnly || hasContext(existing, vars.cluster_name);
    const admin = await probe({ noLog: true })`cat ${ADMIN_CONF}`;
    // The credentials: masked in every output from here on.
    for (const m of admin.stdout.matchAll(/(?:client-key-data|client-certificate-data|token):\s*(\S+)/g)) new Secret(m[1]!);
    const address = vars.workstation_api_address || String(hostvars[host]?.['ansible_host'] ?? host);
    await step(`kubeconfig context ${vars.cluster_name} in ${vars.kubeconfig_path}`, { when: wanted }, async () => {
      if (!admin.ok) {
        if (check) return 'changed'; // the control plane is not initialised yet: site.yaml's run would make it
        fail(`${ADMIN_CONF} cannot be read on ${host}: run site.yaml first (or restore.yaml on a wiped control plane)`);
      }
      // renew-certs.yaml's check mode: admin.conf has not changed yet, but it will.
      if (check && hostvars[host]?.['certificates_renewed'] === true) return 'changed';
      const server = `https://${address.includes(':') ? `[${address}]` : address}:${serverPort(admin.stdout)}`;
      let content: string;
      try {
        content = mergeKubeconfig(existing, admin.stdout, { name: vars.cluster_name, server });
      } catch (err) {
        return fail(`${path}: ${(err as Error).message}; steer leaves it as it is`);
      }
      const results = [];
      if (!(await local.probe`test -d ${dirname(path)}`).ok) results.push(await local.m.directory({ path: dirname(path), mode: '0700' }));
      results.push(await local.m.file({ path, content, mode: '0600', secret: true }));
      note(`kubectl --context ${vars.cluster_name} get nodes   (server ${server})`);
      return results;
    });
  },
});
