// No injection: values full of shell syntax reach the host as data. fast-check generates strings
// with quotes, $(…), backticks, newlines, ;|&<>*?, backslashes, non-ASCII and leading dashes, and
// checks what arrives byte for byte, over a real SSH connection (a loopback sshd) and the local one:
//   (a) interpolated with `sh` into a command: printf %s prints the value itself;
//   (b) as file content written by the connection's put and by the file module, and as a file name;
//   (c) as a variable given in extra vars, rendered by a template into a file.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { sh } from '../../lib/command/command.js';
import type { Connection } from '../../lib/connection/connection.js';
import { LocalConnection } from '../../lib/connection/local.js';
import { executeModule } from '../../lib/modules/execute.js';
import { modules } from '../../lib/modules/index.js';
import { parseExtraVars } from '../../lib/vars/extra-vars.js';
import { isTemplate, renderTemplateString } from '../../lib/vars/template.js';
import { sshTo } from '../connection/helpers.js';
import { realContext } from '../support/fake-connection.js';
import { startSshd, type Sshd } from '../support/sshd.js';

const RUNS = 100;
/** A case that takes longer than this is a hang, not a slow host. */
const CASE_TIMEOUT_MS = 10_000;
// A whole property: 100 cases, each a module run over ssh or the local connection (35–50 s on an
// idle 2-core machine; CI runs this file inside the clean-machine test beside a lab test, 3–4×
// slower). A hang is caught per case by CASE_TIMEOUT_MS, so this only bounds the total.
const PROPERTY_TIMEOUT_MS = 360_000;

/** Pieces that mean something to a shell, printf, a template or a terminal. */
const SHELL_PIECES = [
  "'", '"', '$(id)', '`id`', '$(echo pwned >&2)', '\n', '\r\n', ';', '|', '&', '&&', '<', '>', '>>', '*', '?', '[a]', '\\', '\\n', '\\0',
  '-', '--', '-n', '-e', '--help', ' ', '  ', '\t', '$HOME', '${IFS}', '$1', '$@', '!', '!!', '#', '~', '%s', '%n', '%%', '{{ x }}',
  '{% raw %}', '\u00e9', '\u2603', '\u{1d11e}', '\u65e5\u672c', '\u00a0', '\u2028', '\u001b[31m', '\u007f', 'EOF', "'\"'\"'",
];

/** No NUL (argv and file names cannot hold one); any other code point, mixed with shell pieces. */
const nasty = fc
  .tuple(
    fc.constantFrom('', '-', '--', '-n '),
    fc.array(fc.oneof(fc.constantFrom(...SHELL_PIECES), fc.string({ unit: 'binary', maxLength: 6 })), { minLength: 1, maxLength: 12 }),
  )
  .map(([lead, parts]) => (lead + parts.join('')).replaceAll('\0', ''))
  .filter((s) => s.length > 0);

/**
 * For variables: no Jinja markers. A variable's value is itself a template (rendered when read, as in
 * Ansible), so `{{ x }}` inside one is meant to render; everything else must stay data.
 */
const nastyVariable = nasty.map((s) => (isTemplate(s) ? s.replaceAll('{', '(') : s));

/** A file name from a value: no '/', not '.' or '..', at most 200 bytes. */
function fileNameOf(value: string): string {
  let name = value.replaceAll('/', '_');
  while (Buffer.byteLength(name) > 200) name = [...name].slice(0, -1).join('');
  return name === '' || name === '.' || name === '..' ? `_${name}_` : name;
}

function withTimeout<T>(what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${CASE_TIMEOUT_MS} ms (hang)`)), CASE_TIMEOUT_MS);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const context = realContext;

let sshd: Sshd;
let work = '';
const connections: { name: string; connection: Connection }[] = [];

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'steer-injection-'));
  sshd = await startSshd();
  const ssh = sshTo(sshd);
  await ssh.connect();
  connections.push({ name: 'ssh', connection: ssh }, { name: 'local', connection: new LocalConnection('local') });
});

after(async () => {
  for (const { connection } of connections) await connection.close();
  await sshd?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

for (const name of ['ssh', 'local']) {
  describe(`over the ${name} connection`, () => {
    const conn = (): Connection => connections.find((c) => c.name === name)!.connection;

    test('(a) sh interpolation: printf %s prints the value byte for byte, and nothing runs', { timeout: PROPERTY_TIMEOUT_MS }, async () => {
      const canary = join(work, `canary-${name}`);
      await fc.assert(
        fc.asyncProperty(nasty, async (value) => {
          const r = await withTimeout('printf', conn().run(sh`printf %s ${value}; printf %s ${value} >&2; touch ${canary}`));
          assert.equal(r.code, 0, r.stderr);
          assert.equal(r.stdout, value);
          assert.equal(r.stderr, value, 'nothing else ran (no extra output)');
          // A value that ended the command early would keep the last part from running.
          assert.ok(existsSync(canary));
          rmSync(canary);
        }),
        { numRuns: RUNS },
      );
    });

    test('(b) file content and file names: put and the file module write the value byte for byte', { timeout: PROPERTY_TIMEOUT_MS }, async () => {
      const dir = mkdtempSync(join(work, `files-${name}-`));
      await fc.assert(
        fc.asyncProperty(nasty, fc.boolean(), async (value, withNul) => {
          const content = withNul ? `${value}\0${value}` : value;
          const viaPut = join(dir, 'put.txt');
          await withTimeout('put', conn().put(viaPut, content, { mode: '0600' }));
          assert.deepEqual(readFileSync(viaPut), Buffer.from(content, 'utf8'));

          const viaModule = join(dir, fileNameOf(value));
          await withTimeout('file module', executeModule(modules.file, { path: viaModule, content, mode: '0640' }, context(conn())));
          assert.deepEqual(readFileSync(viaModule), Buffer.from(content, 'utf8'));
          assert.deepEqual(await withTimeout('get', conn().get(viaModule)), Buffer.from(content, 'utf8'));
          rmSync(viaModule);
        }),
        { numRuns: RUNS },
      );
    });

    test('(c) a variable from extra vars, rendered by a template into a file, arrives byte for byte', { timeout: PROPERTY_TIMEOUT_MS }, async () => {
      const dir = mkdtempSync(join(work, `vars-${name}-`));
      await fc.assert(
        fc.asyncProperty(nastyVariable, fc.constantFrom('json', 'file'), async (value, how) => {
          let option: string;
          if (how === 'json') option = JSON.stringify({ payload: value });
          else {
            writeFileSync(join(dir, 'vars.json'), JSON.stringify({ payload: value }));
            option = `@${join(dir, 'vars.json')}`;
          }
          const { vars } = parseExtraVars([option], dir);
          assert.equal(vars['payload'], value, `extra vars (${how}) keep the value`);
          const rendered = renderTemplateString('begin:{{ payload }}:end\n', vars);
          assert.equal(rendered, `begin:${value}:end\n`);
          const path = join(dir, 'rendered.conf');
          await withTimeout('file module', executeModule(modules.file, { path, content: rendered }, context(conn())));
          assert.equal(readFileSync(path, 'utf8'), rendered);
        }),
        { numRuns: RUNS },
      );
    });
  });
}
