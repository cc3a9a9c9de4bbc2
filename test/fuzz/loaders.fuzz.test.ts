// Bad input never crashes the loaders. fast-check feeds random and mutated inventories (YAML, INI,
// no extension), group_vars files, playbooks, variables.yaml files and extra vars to the loaders,
// and fuzzed playbooks and -e options to `steer run --syntax-check` in-process. Every case must end
// in a valid parse or a UserError with a location (file, and a line >= 1 when known); never another
// exception, a hang (each case runs in a worker with a deadline), or a stack trace in CLI output.
// Mutations: byte flips and overwrites, truncation, duplication and deletion of slices, insertion of
// YAML/INI tokens, applied to the real files of this repository and to vaulted ones.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { encryptVault } from '../../lib/vault/vault.js';
import type { FuzzCase, Outcome, Target } from './loaders-worker.js';

const root = resolve(import.meta.dirname, '../..');
/** A case slower than this is a hang (the slowest real cases take a few ms). */
const CASE_TIMEOUT_MS = 5_000;
const VAULT_PASSWORD = 'fuzz-vault-password';
/** STEER_FUZZ_SCALE=20 fuzzes twenty times longer (a local hunt; CI runs scale 1, well under a minute). */
const SCALE = Math.max(1, Number(process.env['STEER_FUZZ_SCALE'] ?? 1) || 1);

// ---- corpus: the repository's own files --------------------------------------------------------

function filesUnder(dir: string, keep: (path: string) => boolean): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path, keep) : keep(path) ? [path] : [];
  });
}

const read = (paths: string[]): string[] => paths.map((p) => readFileSync(p, 'utf8')).filter((t) => t.length > 0 && t.length < 20_000);
const isYaml = (p: string) => /\.(ya?ml|json)$/.test(p);

const vaultValue = (plain: string, indent: string) =>
  `!vault |\n${encryptVault(plain, VAULT_PASSWORD, { salt: Buffer.alloc(32, 7) })
    .trimEnd()
    .split('\n')
    .map((l) => indent + l)
    .join('\n')}\n`;

const inventoryFixtures = join(root, 'test/fixtures/inventories');
const corpus = {
  inventoryYaml: [
    ...read([join(root, 'inventory/home.yaml'), ...filesUnder(inventoryFixtures, (p) => isYaml(p) && !p.includes('_vars'))]),
    `all:\n  hosts:\n    n1:\n      token: ${vaultValue('abcdef.0123456789abcdef', '        ')}`,
  ],
  inventoryIni: read(filesUnder(inventoryFixtures, (p) => p.endsWith('.ini') || /\/(hosts|ini-inventory|02-more)$/.test(p))),
  varsFiles: [
    ...read([...filesUnder(join(root, 'inventory/group_vars'), isYaml), ...filesUnder(inventoryFixtures, (p) => p.includes('_vars/') && isYaml(p))]),
    `db_password: ${vaultValue('p4ss', '  ')}port: 5432\n`,
    encryptVault('secret: value\n', VAULT_PASSWORD, { salt: Buffer.alloc(32, 9) }),
  ],
  playbooks: read([
    ...filesUnder(join(root, 'playbooks'), (p) => p.endsWith('.yaml')),
    join(root, 'test/fixtures/playbooks/site.yaml'),
    ...filesUnder(join(root, 'test/fixtures/malformed'), (p) => /\/(site|pb|playbook|play)[^/]*\.ya?ml$/.test(p)),
  ]),
  variables: read([...filesUnder(join(root, 'roles'), (p) => p.endsWith('variables.yaml')), ...filesUnder(join(root, 'test/fixtures/roles'), (p) => p.endsWith('variables.yaml'))]),
  extraVars: ['a=1 b="two words" c=\'x y\'', '{"a": 1, "b": [true, null], "c": {"d": "e"}}', '{a: 1, b: [x, y]}', 'x={{ a | default("q r") }} y=2', '[1, 2]'],
};

// ---- generators ---------------------------------------------------------------------------------

const YAML_TOKENS = [
  ':', ': ', '- ', '-', '\n', '\n  ', '\n    ', '  ', '\t', '{', '}', '[', ']', ',', '&a ', '*a', '*zz', '<<: *a', '<<: ', '!!str ', '!!int ',
  '!!map ', '!!seq ', '!!binary ', '!!python/object ', '!vault |\n  ', '!vault ', '!unsafe ', '$ANSIBLE_VAULT;1.1;AES256\n', '$ANSIBLE_VAULT;1.2;AES256;x\n',
  '6162', '0a', '|', '|-', '>', '"', "'", '\\', '#', '---\n', '...\n', '? ', '%YAML 1.1\n', '%TAG !e! tag:e,2000:\n', '!e!x ', 'null', '~', 'yes', 'no',
  'on', '0x1F', '0o17', '010', '1e3', '1.5e+3', '.inf', '.nan', '2001-12-14', '1:30', '{{ x }}', '{{', '}}', '{% if x %}', '{#', 'hosts: ',
  'children:', 'vars:', 'roles:', 'all:', 'ungrouped:', 'ansible_host: ', 'ansible_port: ', 'vars_files:', 'when: ', 'serial: ', 'tags: ',
  'type: ', 'default: ', 'description: ', 'secret: ', 'required: ', 'enum: ', 'items: ', 'pattern: ', 'role: ', 'gather_facts: ', 'become: ',
  'web[01:03]', 'h[a:c]', '\u0000', '\ufeff', '\r\n', '\r', '\u2028', '\u00e9', '\u{1f600}', '__proto__', 'constructor', 'toString',
];
const INI_TOKENS = [
  '[', ']', '[all]', '[all:vars]', '[web:children]', '[web:vars]', '[g:x]', '[ungrouped]', '=', ' = ', 'ansible_host=', 'ansible_port=22',
  'ansible_port=x', 'host[1:3]', 'h[a:c]', 'h[01:10:2]', 'h[3:1]', 'h[:]', ':', '#', ';', '"', "'", '\\', '\n', ' ', '\t', 'x=[1,2]', "x={'a': 1}",
  'x="a b"', "x='q", 'x=u"y"', 'x=True', 'x=None', 'x=1.5', 'x=0o17', 'x=1e', 'x={{ y }}', 'web1', 'db1:2222', '[::1]:22', '10.0.0.1',
  '__proto__', 'constructor=1', '\u00e9', '\u0000', '\r\n',
];
const WORDS = ['all', 'web', 'db', 'w1', 'hosts', 'children', 'vars', 'x', 'greeter', 'versioned', 'vars/common.yaml', 'missing.yaml', 'string', 'integer'];

/** Ops on bytes, positions taken modulo the length when applied. */
type Mutation =
  | { op: 'flip'; at: number; bit: number }
  | { op: 'set'; at: number; byte: number }
  | { op: 'truncate'; at: number }
  | { op: 'duplicate'; from: number; length: number; to: number }
  | { op: 'delete'; from: number; length: number }
  | { op: 'insert'; at: number; token: string };

function mutationArb(tokens: string[]): fc.Arbitrary<Mutation> {
  const at = fc.nat();
  return fc.oneof(
    fc.record({ op: fc.constant('flip' as const), at, bit: fc.nat(7) }),
    fc.record({ op: fc.constant('set' as const), at, byte: fc.nat(255) }),
    fc.record({ op: fc.constant('truncate' as const), at }),
    fc.record({ op: fc.constant('duplicate' as const), from: at, length: fc.nat(200), to: fc.nat() }),
    fc.record({ op: fc.constant('delete' as const), from: at, length: fc.nat(50) }),
    fc.record({ op: fc.constant('insert' as const), at, token: fc.constantFrom(...tokens, ...WORDS) }),
  );
}

function mutate(seed: Buffer, mutations: Mutation[]): Buffer {
  let b = seed;
  const pos = (n: number, extra = 0) => (b.length + extra === 0 ? 0 : n % (b.length + extra));
  for (const m of mutations) {
    switch (m.op) {
      case 'flip':
        if (b.length > 0) {
          b = Buffer.from(b);
          b[pos(m.at)] ^= 1 << m.bit;
        }
        break;
      case 'set':
        if (b.length > 0) {
          b = Buffer.from(b);
          b[pos(m.at)] = m.byte;
        }
        break;
      case 'truncate':
        b = b.subarray(0, pos(m.at, 1));
        break;
      case 'duplicate': {
        const from = pos(m.from, 1);
        const slice = b.subarray(from, from + m.length);
        const to = pos(m.to, 1);
        b = Buffer.concat([b.subarray(0, to), slice, b.subarray(to)]);
        break;
      }
      case 'delete': {
        const from = pos(m.from, 1);
        b = Buffer.concat([b.subarray(0, from), b.subarray(from + m.length)]);
        break;
      }
      case 'insert': {
        const at = pos(m.at, 1);
        b = Buffer.concat([b.subarray(0, at), Buffer.from(m.token), b.subarray(at)]);
        break;
      }
    }
  }
  return b;
}

function mutated(seeds: string[], tokens: string[]): fc.Arbitrary<Buffer> {
  return fc
    .tuple(fc.constantFrom(...seeds), fc.array(mutationArb(tokens), { minLength: 1, maxLength: 6 }))
    .map(([seed, ops]) => mutate(Buffer.from(seed), ops));
}

function tokenSoup(tokens: string[]): fc.Arbitrary<Buffer> {
  return fc
    .array(fc.oneof(fc.constantFrom(...tokens), fc.constantFrom(...WORDS), fc.string({ unit: 'binary', maxLength: 4 })), { maxLength: 40 })
    .map((parts) => Buffer.from(parts.join('')));
}

/**
 * Well-formed YAML of random shape, keys from the loaders' vocabulary: reaches past the parser into
 * the schema checks. `top`: what the document's root is (a playbook is a list of mappings).
 */
function structured(keys: string[], top: 'any' | 'list-of-maps' | 'map' = 'any'): fc.Arbitrary<Buffer> {
  const key = fc.oneof(fc.constantFrom(...keys), fc.string({ maxLength: 6 }));
  const leaf = fc.oneof(fc.constantFrom(...WORDS, '{{ x }}', '{{ undefined_var }}', '', '50%', '-1', 'true'), fc.integer(), fc.double(), fc.boolean(), fc.constant(null));
  const { value } = fc.letrec<{ value: unknown }>((tie) => ({
    value: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      leaf,
      fc.array(tie('value'), { maxLength: 4 }),
      fc.dictionary(key, tie('value'), { maxKeys: 5 }),
    ),
  }));
  const map = fc.dictionary(key, value, { maxKeys: 6 });
  const root = top === 'list-of-maps' ? fc.array(map, { maxLength: 3 }) : top === 'map' ? map : value;
  return root.map((v) => Buffer.from(stringify(v)));
}

const INVENTORY_KEYS = ['all', 'hosts', 'children', 'vars', 'web', 'db', 'w1', 'web[01:03]', 'ansible_host', 'ansible_port', 'ungrouped', 'plugin'];
const PLAY_KEYS = ['hosts', 'roles', 'role', 'vars', 'vars_files', 'tags', 'serial', 'gather_facts', 'become', 'become_user', 'when', 'name', 'max_fail_percentage', 'any_errors_fatal'];
const VARIABLE_KEYS = ['type', 'default', 'description', 'secret', 'required', 'enum', 'items', 'properties', 'minimum', 'pattern', 'greeting', 'x'];

function inputs(seeds: string[], tokens: string[], keys: string[], top: 'list-of-maps' | 'map' = 'map'): fc.Arbitrary<Buffer> {
  return fc.oneof(mutated(seeds, tokens), tokenSoup(tokens), structured(keys), structured(keys, top));
}

// ---- the worker ----------------------------------------------------------------------------------

let base = '';
let worker: Promise<Worker> | undefined;
let nextId = 0;

/** A worker that has loaded the loaders (its start-up does not count against a case's deadline). */
function startWorker(): Promise<Worker> {
  // A worker does not inherit tsx's loader for its entry file: register it first, as bin/steer.js does.
  const tsx = JSON.stringify(import.meta.resolve('tsx/esm/api'));
  const entry = JSON.stringify(new URL('./loaders-worker.ts', import.meta.url).href);
  const w = new Worker(`import(${tsx}).then(({ register }) => { register(); return import(${entry}); });`, {
    eval: true,
    workerData: { base, rolesPath: join(root, 'test/fixtures/roles') },
  });
  w.unref();
  return new Promise((done, fail) => {
    const timer = setTimeout(() => {
      void w.terminate();
      fail(new Error('the fuzz worker did not start within 60 s'));
    }, 60_000);
    w.once('error', (err) => {
      clearTimeout(timer);
      fail(err);
    });
    w.once('message', () => {
      clearTimeout(timer);
      done(w);
    });
  });
}

/** Runs one case; 'hang' when the worker does not answer in time (it is then replaced). */
async function runCase(c: Omit<FuzzCase, 'id'>): Promise<Outcome | 'hang'> {
  worker ??= startWorker();
  const w = await worker;
  const id = nextId++;
  return new Promise((done, fail) => {
    const timer = setTimeout(() => {
      cleanup();
      worker = undefined;
      void w.terminate();
      done('hang');
    }, CASE_TIMEOUT_MS);
    const onMessage = (o: Outcome) => {
      if (o.id !== id) return;
      cleanup();
      done(o);
    };
    const onError = (err: Error) => {
      cleanup();
      worker = undefined;
      fail(err);
    };
    const cleanup = () => {
      clearTimeout(timer);
      w.off('message', onMessage);
      w.off('error', onError);
    };
    w.on('message', onMessage);
    w.on('error', onError);
    w.postMessage({ ...c, id });
  });
}

function show(data: Uint8Array): string {
  const text = JSON.stringify(Buffer.from(data).toString('utf8'));
  return text.length > 300 ? `${text.slice(0, 300)}… (${data.length} bytes)` : text;
}

/** The contract: a valid parse, or UserErrors with a location; never a crash or a hang. */
function check(c: Omit<FuzzCase, 'id'>, outcome: Outcome | 'hang'): void {
  const input = `${c.target} input: ${show(c.data)}${c.extra !== undefined ? ` -e ${JSON.stringify(c.extra)}` : ''}`;
  assert.notEqual(outcome, 'hang', `no answer within ${CASE_TIMEOUT_MS} ms\n${input}`);
  if (outcome === 'hang') return;
  assert.deepEqual(outcome.warnings ?? [], [], `no Node warning printed\n${input}`);
  switch (outcome.kind) {
    case 'ok':
      return;
    case 'crash':
      assert.fail(`${outcome.name}: ${outcome.message}\n${input}\n${outcome.stack ?? ''}`);
      return;
    case 'user-error':
      for (const e of outcome.errors) {
        assert.ok(e.message.length > 0, `an empty message\n${input}`);
        assert.doesNotMatch(e.message, /\n\s+at /, `a stack trace in the message\n${input}`);
        // An -e option given inline has no file: the option itself is quoted in the message.
        if (c.target === 'extra-vars' && e.location === undefined) continue;
        assert.ok(e.location?.file, `no location: ${e.code}: ${e.message}\n${input}`);
        if (e.location.line !== undefined) assert.ok(e.location.line >= 1, `line ${e.location.line}: ${e.message}\n${input}`);
        if (e.location.col !== undefined) assert.ok(e.location.col >= 1, `col ${e.location.col}: ${e.message}\n${input}`);
      }
      return;
    case 'cli':
      assert.ok(outcome.exitCode === 0 || outcome.exitCode === 5, `exit ${outcome.exitCode}: ${outcome.stderr}\n${input}`);
      assert.doesNotMatch(outcome.stderr, /internal error/, input);
      assert.doesNotMatch(outcome.stderr + outcome.stdout, /^\s+at /m, `a stack trace\n${input}`);
      if (outcome.exitCode === 5) assert.match(outcome.stderr, /^steer: /, input);
      else assert.match(outcome.stdout, /^playbook: /, input);
      return;
  }
}

async function fuzz(target: Target, arb: fc.Arbitrary<Buffer>, numRuns: number, extra?: fc.Arbitrary<string>): Promise<void> {
  const withVault = fc.boolean();
  await fc.assert(
    fc.asyncProperty(arb, withVault, extra ?? fc.constant(undefined), async (data, vault, e) => {
      const c = { target, data: new Uint8Array(data), ...(e !== undefined ? { extra: e } : {}), ...(vault ? { vaultPassword: VAULT_PASSWORD } : {}) };
      check(c, await runCase(c));
    }),
    { numRuns: numRuns * SCALE, includeErrorInReport: true },
  );
}

before(() => {
  base = mkdtempSync(join(tmpdir(), 'steer-fuzz-'));
});
after(async () => {
  await (await worker?.catch(() => undefined))?.terminate();
  rmSync(base, { recursive: true, force: true });
});

describe('loaders never crash or hang on bad input', { timeout: 120_000 * SCALE }, () => {
  test('the corpus is there', () => {
    for (const [name, seeds] of Object.entries(corpus)) assert.ok(seeds.length > 0, `no ${name} seeds`);
  });
  test('YAML inventories', () => fuzz('inventory-yaml', inputs(corpus.inventoryYaml, YAML_TOKENS, INVENTORY_KEYS), 300));
  test('INI inventories', () => fuzz('inventory-ini', inputs(corpus.inventoryIni, INI_TOKENS, INVENTORY_KEYS), 300));
  test('inventories without extension (YAML, else INI)', () =>
    fuzz('inventory-noext', inputs([...corpus.inventoryIni, ...corpus.inventoryYaml], [...INI_TOKENS, ...YAML_TOKENS], INVENTORY_KEYS), 200));
  test('group_vars files', () => fuzz('group-vars', inputs(corpus.varsFiles, YAML_TOKENS, INVENTORY_KEYS), 200));
  test('playbooks', () => fuzz('playbook', inputs(corpus.playbooks, YAML_TOKENS, PLAY_KEYS, 'list-of-maps'), 300));
  test('variables.yaml files', () => fuzz('variables', inputs(corpus.variables, YAML_TOKENS, VARIABLE_KEYS), 300));
  test('extra vars (-e TEXT)', () =>
    fuzz('extra-vars', fc.oneof(mutated(corpus.extraVars, [...YAML_TOKENS, ...INI_TOKENS]), tokenSoup([...YAML_TOKENS, ...INI_TOKENS])), 300));
  test('extra vars files (-e @FILE)', () => fuzz('extra-vars-file', inputs(corpus.varsFiles, YAML_TOKENS, INVENTORY_KEYS), 200));
  test('steer run --syntax-check: a fuzzed playbook', () => fuzz('cli', inputs(corpus.playbooks, YAML_TOKENS, PLAY_KEYS, 'list-of-maps'), 150));
  test('steer run --syntax-check: a fuzzed -e option', () =>
    fuzz('cli', fc.constant(Buffer.alloc(0)), 100, fc.oneof(mutated(corpus.extraVars, YAML_TOKENS), tokenSoup(YAML_TOKENS)).map((b) => b.toString('utf8'))));
});

/** Inputs the fuzzer found (fixed), and pathological ones written by hand: each must meet the contract. */
const PINNED: { name: string; target: Target; text: string; todo?: string }[] = [
  { name: 'an invalid variable name in an -e @file is located', target: 'extra-vars-file', text: '"": all\n' },
  { name: 'a list as a mapping key', target: 'inventory-yaml', text: 'all:\n  hosts:\n    [a, b]: 1\n' },
  { name: 'a mapping as an explicit key', target: 'playbook', text: '- ? {a: 1}\n  : x\n' },
  { name: '!!binary as a key', target: 'group-vars', text: '? !!binary aGVsbG8=\n: 1\n' },
  { name: 'flow collections nested 10000 deep', target: 'playbook', text: `- hosts: all\n  vars:\n    x: ${'['.repeat(10_000)}${']'.repeat(10_000)}\n` },
  { name: 'block mappings nested 3000 deep', target: 'variables', text: Array.from({ length: 3000 }, (_, i) => `${' '.repeat(i)}a:`).join('\n') },
  { name: 'sequences nested 3000 deep on one line', target: 'extra-vars-file', text: `x: ${'- '.repeat(3000)}y\n` },
  { name: 'an alias bomb', target: 'inventory-yaml', text: 'a: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n' },
  {
    name: 'an INI value nested 100000 deep (Python literal)',
    target: 'inventory-ini',
    text: `h x=${'['.repeat(100_000)}\n`,
  },
  { name: 'a host range of thirty million names', target: 'inventory-ini', text: 'h[1:30000000]\n' },
];

describe('pinned inputs', () => {
  for (const p of PINNED) {
    test(p.name, { ...(p.todo ? { todo: p.todo } : {}) }, async () => {
      const c = { target: p.target, data: new Uint8Array(Buffer.from(p.text)) };
      check(c, await runCase(c));
    });
  }
});
