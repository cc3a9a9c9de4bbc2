// One play: its hosts (pattern, --limit, hosts failed earlier removed), in serial batches; per batch,
// connect and gather facts, then each role in order — every host finishes a role (and its handlers)
// before any host starts the next — `forks` hosts at a time.
import pLimit from 'p-limit';
import { UserError } from '../errors.js';
import type { Play } from '../playbook/playbook.js';
import { serialBatches } from './batches.js';
import type { HostState } from './host-state.js';
import { runRoleOnHost } from './host-role.js';
import { loadRole } from './role-loader.js';
import type { RunContext } from './run-context.js';
import { RunStopped } from './signals.js';
import { conditionsText } from '../vars/condition.js';
import { shouldRunTags, stepTags } from './tags.js';

export async function runPlay(play: Play, run: RunContext): Promise<void> {
  const { request, reporter } = run;
  const selected = run.selectHosts(play.hosts);
  const hosts = selected.map((h) => run.host(h)).filter((h) => h.active);
  reporter.emit({ type: 'play-start', play: play.name, pattern: play.hosts, hosts: hosts.map((h) => h.name) });
  if (hosts.length === 0) {
    reporter.emit({ type: 'warning', message: `play '${play.name}': no hosts to run on (pattern '${play.hosts}')` });
    return;
  }
  const roles = await Promise.all(play.roles.map((ref) => loadRole(ref)));
  const limit = pLimit(Math.max(1, request.forks));

  for (const batchNames of serialBatches(hosts.map((h) => h.name), play.serial)) {
    const batch = batchNames.map((n) => run.host(n));
    run.checkStopped();
    await run.connect(batch);
    if (play.gatherFacts) await Promise.all(batch.filter((h) => h.active).map((h) => limit(() => run.gatherFactsStep(h))));

    for (const [i, ref] of play.roles.entries()) {
      const active = batch.filter((h) => h.active);
      if (active.length === 0) break;
      run.checkStopped();
      reporter.emit({ type: 'role-start', play: play.name, role: ref.name, hosts: active.map((h) => h.name) });
      try {
        await Promise.all(
          active.map((host) =>
            limit(async () => {
              if (run.stopping()) return;
              const outcome = await runOneRole(host, i, active.map((h) => h.name));
              reporter.emit({ type: 'role-host-end', role: ref.name, host: host.name, status: outcome.status, counts: outcome.counts });
            }),
          ),
        );
      } finally {
        reporter.emit({ type: 'role-end', play: play.name, role: ref.name });
        await reporter.flush();
      }
      const failed = batch.filter((h) => h.status !== 'ok');
      if (play.anyErrorsFatal && failed.length > 0) run.stop(`any_errors_fatal: ${failed.map((h) => h.name).join(', ')} failed`);
      if (play.maxFailPercentage !== undefined && (failed.length / batch.length) * 100 > play.maxFailPercentage)
        run.stop(`max_fail_percentage ${play.maxFailPercentage}% exceeded (${failed.length} of ${batch.length} hosts failed)`);
    }
  }
  reporter.emit({ type: 'play-end', play: play.name });

  async function runOneRole(host: HostState, index: number, playHosts: string[]) {
    const ref = play.roles[index]!;
    let vars;
    try {
      vars = run.roleVars(host, play, ref);
      if (ref.when !== undefined && !run.condition(ref.when, vars, host.name)) {
        // Like a skipped task: only reported when the role is selected by the tags.
        if (shouldRunTags(stepTags(play.tags, ref), { tags: request.tags, skipTags: request.skipTags }))
          reporter.emit({ type: 'step-result', host: host.name, role: ref.name, step: '(role)', status: 'skipped', message: `when: ${conditionsText(ref.when)}`, durationMs: 0 });
        return { status: 'ok' as const, counts: { ok: 0, changed: 0, skipped: 1 } };
      }
    } catch (err) {
      if (err instanceof UserError) throw err;
      host.status = 'failed';
      reporter.emit({ type: 'step-result', host: host.name, role: ref.name, step: '(variables)', status: 'failed', message: (err as Error).message, durationMs: 0 });
      return { status: 'failed' as const, counts: { ok: 0, changed: 0, skipped: 0 } };
    }
    try {
      return await runRoleOnHost(host, ref, roles[index]!, vars, run.roleEnv(play, playHosts));
    } catch (err) {
      if (err instanceof RunStopped) return { status: 'ok' as const, counts: { ok: 0, changed: 0, skipped: 0 } };
      throw err;
    }
  }
}
