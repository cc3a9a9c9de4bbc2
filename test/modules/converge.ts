// The integration contract every module must meet on a real host: check mode predicts the first
// run's change exactly and changes nothing; the first run changes; the second run is ok.
import assert from 'node:assert/strict';
import { executeModule } from '../../lib/modules/execute.js';
import type { Module, ModuleContext, ModuleResult } from '../../lib/modules/module.js';

export interface Converged<D> {
  predicted: ModuleResult<D>;
  first: ModuleResult<D>;
  second: ModuleResult<D>;
}

function report<D>(result: ModuleResult<D>): unknown {
  return { changed: result.changed, summary: result.summary, diffs: result.diffs, data: result.data };
}

/**
 * Runs check, real, real, check. `snapshot` reads what the module may change on the host (file
 * contents, modes, mounts…): it must be the same before and after check mode.
 */
export async function converge<A, S, D>(
  module: Module<A, S, D>,
  args: A,
  context: (check: boolean) => ModuleContext,
  snapshot: () => Promise<string>,
): Promise<Converged<D>> {
  const before = await snapshot();
  const predicted = await executeModule(module, args, context(true));
  assert.equal(await snapshot(), before, `${module.name}: check mode changed nothing`);
  assert.equal(predicted.checkOnly, true);
  assert.equal(predicted.changed, true, `${module.name}: check mode predicts a change`);

  const first = await executeModule(module, args, context(false));
  assert.equal(first.changed, true, `${module.name}: the first run changes`);
  assert.deepEqual(report(predicted), report(first), `${module.name}: check mode predicted the first run exactly`);
  assert.notEqual(await snapshot(), before, `${module.name}: the first run changed the host`);

  const afterFirst = await snapshot();
  const second = await executeModule(module, args, context(false));
  assert.equal(second.changed, false, `${module.name}: the second run is ok (${second.summary ?? ''})`);
  assert.equal(await snapshot(), afterFirst, `${module.name}: the second run changed nothing`);
  const check = await executeModule(module, args, context(true));
  assert.equal(check.changed, false, `${module.name}: check mode after convergence predicts nothing`);
  return { predicted, first, second };
}
