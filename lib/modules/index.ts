// The registry of modules. A role calls them bound to its host: `await m.file({ path, content })`.
import type { Module, ModuleResult } from './module.js';

// Each module file exports one Module; add it here under the name roles call it by.
export const modules = {} satisfies Record<string, Module<any, any, any>>;

type ArgsOf<M> = M extends Module<infer A, any, any> ? A : never;
type DataOf<M> = M extends Module<any, any, infer D> ? D : never;

export type ModuleCalls = {
  [K in keyof typeof modules]: (args: ArgsOf<(typeof modules)[K]>) => Promise<ModuleResult<DataOf<(typeof modules)[K]>>>;
};
