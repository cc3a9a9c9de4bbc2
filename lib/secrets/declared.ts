// A value's secrecy is known before anything can print it. Vault values register themselves when
// they are decrypted (lib/vault); declared secrets — `secret: true` in a role's variables.yaml —
// register here, for every role the playbook names and every host of the inventory, whatever
// --limit and --tags select: a value that is secret in one role stays masked when another role, a
// message about a wrong type, or hostvars shows it.
import type { Inventory, Vars } from '../inventory/inventory.js';
import { magicVars } from '../inventory/magic.js';
import type { Playbook } from '../playbook/playbook.js';
import { mergeRoleVars } from '../vars/precedence.js';
import { isTemplate } from '../vars/template.js';
import { registerSecretsIn } from './masker.js';

/** Registers a value as written (templates aside: their text is not the secret, their result is). */
function registerWritten(value: unknown): void {
  if (typeof value === 'string' && isTemplate(value)) return;
  if (Array.isArray(value)) value.forEach(registerWritten);
  else if (value && typeof value === 'object') Object.values(value).forEach(registerWritten);
  else registerSecretsIn(value);
}

/**
 * Registers every value a `secret: true` variable of any role of `playbook` can take: as written in
 * role defaults, role parameters, play vars, vars files, extra vars and each host's inventory
 * variables, and as rendered for each host of the inventory (a value that cannot be rendered before
 * the run — it needs facts or published values — registers when the role resolves it).
 */
export function registerDeclaredSecrets(playbook: Playbook, inventory: Inventory, extraVars: Vars): void {
  const hosts = [...inventory.hosts.keys()];
  const inventoryVars = new Map(hosts.map((h) => [h, inventory.hostVars(h)] as const));
  for (const play of playbook.plays) {
    for (const role of play.roles) {
      const secrets = role.variables.filter((v) => v.secret).map((v) => v.name);
      if (secrets.length === 0) continue;
      for (const name of secrets) {
        const declared = role.variables.find((v) => v.name === name)!;
        for (const source of [{ [name]: declared.default }, role.params, play.vars, play.varsFromFiles, extraVars, ...inventoryVars.values()]) {
          if (Object.hasOwn(source, name)) registerWritten(source[name]);
        }
      }
      for (const host of hosts) {
        const lazy = mergeRoleVars({
          role,
          host,
          play,
          inventoryVars: inventoryVars.get(host)!,
          magic: { ...magicVars(inventory, host), ansible_check_mode: false },
          playVars: play.vars,
          varsFromFiles: play.varsFromFiles,
          published: {},
          extraVars,
        });
        for (const name of secrets) {
          try {
            registerSecretsIn(lazy.get(name));
          } catch {
            // Not renderable before the run (or not valid at all): the run reports it, masked by then.
          }
        }
      }
    }
  }
}
