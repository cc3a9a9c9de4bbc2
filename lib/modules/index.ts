// The registry of modules. A role calls them bound to its host: `await m.file({ path, content })`.
import type { Module, ModuleContext, ModuleResult } from './module.js';
import { executeModule } from './execute.js';
import { apt } from './apt.js';
import { apt_hold } from './apt-hold.js';
import { apt_source } from './apt-source.js';
import { blockinfile } from './blockinfile.js';
import { cmdline } from './cmdline.js';
import { command } from './command.js';
import { directory } from './directory.js';
import { fetch } from './fetch.js';
import { file } from './file.js';
import { hostname } from './hostname.js';
import { kernel_modules } from './kernel-modules.js';
import { lineinfile } from './lineinfile.js';
import { mount } from './mount.js';
import { swap } from './swap.js';
import { sysctl } from './sysctl.js';
import { systemd } from './systemd.js';
import { systemd_dropin } from './systemd-dropin.js';
import { wait } from './wait.js';

// Each module file exports one Module; add it here under the name roles call it by.
export const modules = {
  file,
  directory,
  lineinfile,
  blockinfile,
  cmdline,
  apt,
  apt_source,
  apt_hold,
  systemd,
  systemd_dropin,
  sysctl,
  kernel_modules,
  mount,
  swap,
  hostname,
  command,
  wait,
  fetch,
} satisfies Record<string, Module<any, any, any>>;

type ArgsOf<M> = M extends Module<infer A, any, any> ? A : never;
type DataOf<M> = M extends Module<any, any, infer D> ? D : never;

export type ModuleCalls = {
  [K in keyof typeof modules]: (args: ArgsOf<(typeof modules)[K]>) => Promise<ModuleResult<DataOf<(typeof modules)[K]>>>;
};

export type ModuleName = keyof typeof modules;

/**
 * The modules bound to one host's context. `around` lets the engine wrap each call (to record the
 * result for the step, log it, count it); by default the module just runs.
 */
export function bindModules(
  ctx: ModuleContext,
  around: (name: ModuleName, run: () => Promise<ModuleResult<any>>) => Promise<ModuleResult<any>> = (_n, run) => run(),
): ModuleCalls {
  const calls: Record<string, (args: unknown) => Promise<ModuleResult<any>>> = {};
  for (const [name, module] of Object.entries(modules)) {
    calls[name] = (args) => around(name as ModuleName, () => executeModule(module as Module<unknown, unknown, any>, args, ctx));
  }
  return calls as ModuleCalls;
}
