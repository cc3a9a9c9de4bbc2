// The plan stage through the CLI, on "hosts" that run on the controller (local connection):
// --list-tasks finds steps behind host-dependent branches, --check lists every raw command the real
// run then runs (secrets masked), output follows the plan (no headers for roles the tags skip), and
// `steer facts` / `steer inventory --host` see variables as a run does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { runSteer, steerBin, type CliResult } from '../support/steer-cli.js';

/** A steer command whose whole stdout is one JSON document. */
function steerJson(args: string[]): { code: number | null; json: any; stderr: string } {
  const r = spawnSync(process.execPath, [steerBin, ...args], { encoding: 'utf8' });
  return { code: r.status, json: r.status === 0 ? JSON.parse(r.stdout) : undefined, stderr: r.stderr };
}

const dir = join(import.meta.dirname, '../fixtures/vars-phases');
const inventory = join(dir, 'hosts.ini');

function scratch(t: { after(fn: () => void): void }): string {
  const out = mkdtempSync(join(tmpdir(), 'steer-plan-'));
  t.after(() => rmSync(out, { recursive: true, force: true }));
  return out;
}

type StepResult = Extract<CliResult['events'][number], { type: 'step-result' }>;
const stepResults = (r: CliResult) => r.events.filter((e): e is StepResult => e.type === 'step-result');

test("a role default reading groups['control'][0] runs, and the role sees c1 (issue #17)", async (t) => {
  const out = scratch(t);
  const r = await runSteer(['run', join(dir, 'site.yaml'), '-i', inventory, '-e', `out_dir=${out}`, '--retry-file', join(out, 'retry')]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  for (const host of ['c1', 'w1']) {
    const seen = JSON.parse(readFileSync(join(out, `${host}.json`), 'utf8'));
    assert.equal(seen.cp, 'c1');
    assert.equal(seen.greeting, `hello ${host} of 2`);
    assert.deepEqual(seen.play_hosts, ['c1', 'w1']);
    assert.equal(seen.role_name, 'show');
  }
});

test('--list-tasks lists the steps of every branch; --check lists every raw command the real run runs', async (t) => {
  const out = scratch(t);
  const marker = join(out, 'marker');
  const listed = await runSteer(['run', join(dir, 'branchy.yaml'), '-i', inventory, '--list-tasks', '-e', `marker=${marker}`]);
  assert.equal(listed.code, 0, listed.stderr);
  for (const step of ['Only when the marker is missing', 'Only when the marker is there', 'Raw commands, one with a secret'])
    assert.match(listed.stdout, new RegExp(`branchy : ${step}\\tTAGS: \\[branchy\\]`));

  const args = ['run', join(dir, 'branchy.yaml'), '-i', inventory, '-l', 'c1', '--json', '-v', '-e', `marker=${marker}`, '--retry-file', join(out, 'retry')];
  const check = await runSteer([...args, '--check']);
  assert.equal(check.code, 0, check.stderr);
  const real = await runSteer(args);
  assert.equal(real.code, 0, real.stderr);
  // Every step the real run reached is listed, in the same order.
  const listedSteps = [...listed.stdout.matchAll(/branchy : (.*)\t/g)].map((m) => m[1]!.replace('(unknown)', '.*'));
  const ran = stepResults(real).map((e) => e.step);
  let at = 0;
  for (const step of ran) {
    const found = listedSteps.findIndex((s, i) => i >= at && new RegExp(`^${s}$`).test(step));
    assert.ok(found >= 0, `${step} listed in order (${listedSteps.join(' | ')})`);
    at = found;
  }
  // Every raw command the real run ran was predicted as "would run", in order, secrets masked.
  const wouldRun = stepResults(check).flatMap((e) => e.wouldRun ?? []);
  const commands = real.events.flatMap((e) => (e.type === 'command' && e.raw ? [e.command] : []));
  assert.deepEqual(wouldRun, commands);
  assert.ok(wouldRun.some((c) => c.includes('********')), 'the secret is masked in the preview');
  assert.ok(!check.stdout.includes('correct horse battery staple'));
  // What check mode predicted changed, the real run changed.
  const changed = (r: CliResult) => stepResults(r).filter((e) => e.status === 'changed').map((e) => e.step);
  assert.deepEqual(changed(check), changed(real));
});

test('output follows the plan: roles the tags skip print nothing', async (t) => {
  const out = scratch(t);
  const r = await runSteer(['run', join(dir, 'tagged.yaml'), '-i', inventory, '--tags', 'branches', '--check', '-e', `out_dir=${out}`, '-e', `marker=${join(out, 'm')}`]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /ROLE \[branchy\]/);
  assert.doesNotMatch(r.stdout, /ROLE \[show\]/);
});

test('steer facts connects with the variables a run uses (templates rendered)', () => {
  const r = steerJson(['facts', '-i', inventory, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const report = r.json as { facts: Record<string, unknown>; errors: Record<string, unknown> };
  assert.deepEqual(Object.keys(report.facts).sort(), ['c1', 'w1']);
  assert.deepEqual(report.errors, {});
});

test('steer inventory --host renders templates like a run; --raw shows them as written', () => {
  const rendered = steerJson(['inventory', '-i', inventory, '--host', 'w1']).json;
  assert.equal(rendered.greeting, 'hello w1 of 2');
  assert.equal(rendered.ansible_connection, 'local');
  const raw = steerJson(['inventory', '-i', inventory, '--host', 'w1', '--raw']).json;
  assert.equal(raw.greeting, "hello {{ inventory_hostname }} of {{ groups['all'] | length }}");
});

test('on a terminal, a play shows only its own hosts (no lines left from the previous play)', { skip: spawnSync('script', ['--version']).status !== 0 ? 'no script(1) to give steer a terminal' : false }, (t) => {
  const out = scratch(t);
  const command = `stty cols 100 rows 40; ${process.execPath} ${steerBin} run ${join(dir, 'twoplays.yaml')} -i ${inventory} -e out_dir=${out} --retry-file ${join(out, 'retry')}`;
  const r = spawnSync('script', ['-qec', command, join(out, 'typescript')], { encoding: 'utf8', env: { ...process.env, CI: '' } });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  // What the terminal showed, escape sequences and carriage returns removed.
  const screen = readFileSync(join(out, 'typescript'), 'utf8').replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').replace(/\r/g, '\n');
  const secondPlay = screen.slice(screen.indexOf('PLAY [Control plane]'));
  assert.match(secondPlay, /c1: /);
  assert.doesNotMatch(secondPlay.slice(0, secondPlay.indexOf('PLAY RECAP')), /w1/);
});
