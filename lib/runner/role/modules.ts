// `m.file(…)`, `m.apt(…)` …: the modules bound to one host for a role. Each call runs inside the
// current step (its result decides the step's status, its diff is shown with --diff); the module's
// commands and writes go through the host's connection as the play's become user, reported like `$`.
import type { Connection } from '../../connection/connection.js';
import type { Facts } from '../../facts/facts.js';
import { bindModules, type ModuleCalls } from '../../modules/index.js';
import type { ModuleContext } from '../../modules/module.js';
import type { HostState } from '../host-state.js';
import { runReported, type CommandEnv } from './commands.js';
import type { Steps } from './steps.js';

/** The module context of a host: probes and actions run through its connection, reported. */
export function moduleContext(host: HostState, facts: () => Facts, env: CommandEnv & { log(message: string): void }): ModuleContext {
  const connection = host.connection as Connection;
  return {
    host: host.name,
    get facts() {
      return facts();
    },
    check: env.check,
    connection,
    run: (command, options = {}) => runReported(host, command, env, options),
    async put(path, content, options = {}) {
      const started = Date.now();
      await connection.put(path, content, { become: env.become, becomeUser: env.becomeUser, ...options });
      const size = Buffer.byteLength(content);
      env.reporter.emit({ type: 'command', host: host.name, command: `(write ${path}, ${size} bytes)`, code: 0, stdout: '', stderr: '', durationMs: Date.now() - started });
    },
    get: (path, range) => connection.get(path, { become: env.become, becomeUser: env.becomeUser, ...(range ? { range } : {}) }),
    log: env.log,
  };
}

/** `m`: every module, called inside a step, its result recorded on that step. */
export function stepModules(ctx: ModuleContext, steps: Steps): ModuleCalls {
  return bindModules(ctx, async (name, run) => {
    const step = steps.current(`m.${name}()`);
    const result = await run();
    step.results.push(result);
    return result;
  });
}
