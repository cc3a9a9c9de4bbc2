// Issue 14, item 1: everything that comes from a host is data, never a template. A file on a host
// holds a template that runs `touch MARKER` on the controller if it is ever rendered; it reaches the
// engine every way host text can (published values, facts, hostvars, template(file, extra)) and must
// arrive as the same text, with no marker. The end-to-end run goes through `steer run` on "hosts"
// that are the controller itself (local connection), reading the attacker's file from a temp folder.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RoleRef } from '../../lib/playbook/playbook.js';
import { hostvarsView } from '../../lib/vars/hostvars.js';
import { resolveRoleVars } from '../../lib/vars/precedence.js';
import { renderTemplateString, renderValue } from '../../lib/vars/template.js';
import { dataScope } from '../../lib/vars/unsafe.js';
import { repoRoot, runSteer } from '../support/steer-cli.js';

/** Host text that runs `touch marker` on the controller when rendered as a template. */
function attack(marker: string): string {
  return `{{ range.constructor("return process.getBuiltinModule('child_process').execSync('touch ${marker}; id').toString()")() }} {{ 7*7 }}`;
}

function scratch(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'steer-host-data-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const role = (variables: string[]): RoleRef =>
  ({
    name: 'user',
    dir: '/nonexistent/roles/user',
    tags: [],
    params: {},
    location: { file: 'site.yaml', line: 1, col: 1 },
    variables: variables.map((name) => ({ name, schema: { type: 'string' }, description: name, required: false, secret: false })),
  }) as unknown as RoleRef;

test('published values, facts and magic variables are read as they are, even when a config value reads them', (t) => {
  const marker = join(scratch(t), 'pwned');
  const text = attack(marker);
  const vars = resolveRoleVars({
    role: role(['banner', 'copied', 'hostname', 'interpolated']),
    host: 'h1',
    inventoryVars: {},
    magic: { inventory_hostname: 'h1', note: text },
    facts: { hostname: text },
    playVars: { copied: '{{ banner }}', hostname: '{{ ansible_facts.hostname }}', interpolated: 'motd: {{ banner }}' },
    varsFromFiles: {},
    published: { banner: text, nested: { list: [text, { deeper: text }] } },
    extraVars: {},
  });
  assert.equal(vars['banner'], text);
  assert.equal(vars['copied'], text, 'a play variable that is exactly {{ banner }} gets the text itself');
  assert.equal(vars['interpolated'], `motd: ${text}`, 'interpolated once, never rendered again');
  assert.equal(vars['hostname'], text);
  assert.equal(vars['note'], text);
  assert.deepEqual(vars['nested'], { list: [text, { deeper: text }] });
  assert.deepEqual((vars['ansible_facts'] as { hostname: string }).hostname, text);
  assert.ok(!existsSync(marker), 'nothing ran on the controller');
});

test('template(file, extra): the variables a role passes, and its own (already rendered) ones, are data', (t) => {
  const marker = join(scratch(t), 'pwned');
  const text = attack(marker);
  const out = renderTemplateString('motd={{ motd }}\nlist={{ items[0].x }}\n', dataScope({ motd: text, items: [{ x: text }] }));
  assert.equal(out, `motd=${text}\nlist=${text}\n`);
  // Without the mark, a variable's value is a template (Ansible semantics for the operator's values).
  assert.equal(renderValue('{{ x }}', { x: '{{ 6*7 }}' }), 42);
  assert.ok(!existsSync(marker));
});

test('hostvars: inventory variables render in their own host, facts and published values are data', (t) => {
  const marker = join(scratch(t), 'pwned');
  const text = attack(marker);
  const hostvars = hostvarsView(
    () => ['a', 'b'],
    (name) =>
      ['a', 'b'].includes(name)
        ? { inventory: { ip: '10.0.0.{{ last }}', last: name === 'a' ? 1 : 2 }, facts: { os: text }, published: { banner: text }, extra: {}, magic: { inventory_hostname: name } }
        : undefined,
  );
  assert.equal(hostvars['b']!['ip'], '10.0.0.2');
  assert.equal(hostvars['a']!['banner'], text);
  assert.deepEqual(Object.keys(hostvars), ['a', 'b']);
  assert.equal(hostvars['c'], undefined);
  // As the engine gives it: a magic variable (data), in role variables and in template scopes.
  const rendered = renderTemplateString('{{ hostvars.a.banner }}|{{ hostvars["b"].facts.os }}|{{ hostvars.b.ip }}', dataScope({ hostvars }));
  assert.equal(rendered, `${text}|${text}|10.0.0.2`);
  const vars = resolveRoleVars({
    role: role(['copied']),
    host: 'b',
    inventoryVars: {},
    magic: { inventory_hostname: 'b', hostvars },
    playVars: { copied: '{{ hostvars.a.banner }}' },
    varsFromFiles: {},
    published: {},
    extraVars: {},
  });
  assert.equal(vars['copied'], text);
  assert.ok(!existsSync(marker));
});

test('steer run: a banner read from a host reaches a note, a template, template extras and hostvars as text', async (t) => {
  const dir = scratch(t);
  const marker = join(dir, 'pwned');
  const text = attack(marker);
  writeFileSync(join(dir, 'banner.txt'), `${text}\n`);
  writeFileSync(join(dir, 'motd.txt'), `${text}\n`);
  const fixtures = join(repoRoot, 'test/fixtures/security');
  const r = await runSteer([
    'run', join(fixtures, 'host-data.yaml'), '-i', join(fixtures, 'hosts.ini'), '--json', '-e', `out_dir=${dir}`, '--retry-file', join(dir, 'retry'),
  ]);
  assert.equal(r.code, 0, r.stdout.slice(-3000) + r.stderr);
  assert.ok(!existsSync(marker), 'the controller ran nothing');
  for (const host of ['s1', 's2']) {
    assert.equal(readFileSync(join(dir, `${host}.motd`), 'utf8'), `banner=${text}\nmotd=${text}\ngreeting=hello ${host}\n`);
    assert.equal(readFileSync(join(dir, `${host}.hostvars`), 'utf8'), `${text}\n`);
    assert.ok(r.events.some((e) => e.type === 'note' && e.host === host && e.message === text), `the note on ${host} shows the text`);
  }
  assert.ok(!/uid=\d+/.test(r.stdout), 'no command output of the payload anywhere');
});
