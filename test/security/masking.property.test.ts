// Issue 14, item 2: a secret is masked in every form it takes, on every output channel. fast-check
// generates secrets with quotes, backslashes, shell and template characters, newlines (LF and CRLF),
// tabs, non-ASCII text and leading/trailing spaces, and PEM-shaped keys; each is registered as a role's
// declared secret is, then used the ways a run uses values — in a step name, a note, a warning, a
// command (shell-quoted by zx) and its output, the failing command's message, a JSON-escaped
// message, a diff, an error on stderr — and every channel's text is searched for any piece of it:
//   plain renderer and live renderer (-v, -vv, -vvv, --diff), --json events, the module failure
//   message, the CLI's error report (with and without -vvv stack traces), the SSH connection's
//   verbose log, and the retry file.
// Each line of a generated secret holds a random core ([A-Za-z0-9]{8}, prefixed "Zq"): if any core
// appears in any channel, a form leaked.
import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { sh } from '../../lib/command/command.js';
import { reportError } from '../../lib/cli/report-error.js';
import { SshConnection } from '../../lib/connection/ssh.js';
import { UserError } from '../../lib/errors.js';
import { failureMessage } from '../../lib/modules/execute.js';
import type { RunEvent } from '../../lib/output/events.js';
import { emptyCounters } from '../../lib/output/events.js';
import { JsonRenderer } from '../../lib/output/json.js';
import { LiveRenderer } from '../../lib/output/live.js';
import { PlainRenderer } from '../../lib/output/plain.js';
import { writeRetryFile } from '../../lib/runner/retry-file.js';
import { clearSecrets, MASK, maskSecrets, registerSecretsIn } from '../../lib/secrets/masker.js';

afterEach(() => clearSecrets());

const core = fc.stringMatching(/^[A-Za-z0-9]{8}$/).map((c) => `Zq${c}`);
const piece = fc.constantFrom("'", '"', '\\', '\\\\', '$', '$(id)', '`', '!', '&', ';', ' ', '  ', '\t', '%s', '{{', '}}', '*', '#', 'é', '日本', '😀', '\u00a0', '-----', '==');
const line = fc.tuple(fc.array(piece, { maxLength: 3 }), core, fc.array(piece, { maxLength: 3 })).map(([a, c, b]) => ({ text: a.join('') + c + b.join(''), core: c }));
interface Generated {
  secret: string;
  cores: string[];
}
const textSecret: fc.Arbitrary<Generated> = fc
  .tuple(fc.array(line, { minLength: 1, maxLength: 4 }), fc.constantFrom('\n', '\r\n'), fc.constantFrom('', ' ', '  '), fc.constantFrom('', ' ', '\n', ' \n'))
  .map(([lines, eol, lead, trail]) => ({ secret: lead + lines.map((l) => l.text).join(eol) + trail, cores: lines.map((l) => l.core) }));
const b64 = fc.stringMatching(/^[A-Za-z0-9+/]{56}$/);
const pemSecret: fc.Arbitrary<Generated> = fc
  .tuple(fc.array(fc.tuple(core, b64), { minLength: 1, maxLength: 5 }), core, fc.constantFrom('PRIVATE KEY', 'RSA PRIVATE KEY', 'OPENSSH PRIVATE KEY'))
  .map(([body, last, kind]) => {
    const lines = body.map(([c, rest]) => (c + rest).slice(0, 64));
    return { secret: `-----BEGIN ${kind}-----\n${lines.join('\n')}\n${last}==\n-----END ${kind}-----\n`, cores: [...body.map(([c]) => c), last] };
  });
const secretArb = fc.oneof(textSecret, pemSecret);

/** The events a run emits when a role uses `secret` every way it can. */
function eventsUsing(secret: string): RunEvent[] {
  const command = sh`printf '%s\n' ${secret} >&2; exit 3`;
  const base = { host: 'h1', role: 'r', durationMs: 5 };
  return [
    { type: 'playbook-start', playbook: 'site.yaml', check: false },
    { type: 'play-start', play: 'p', pattern: 'all', hosts: ['h1'] },
    { type: 'role-start', play: 'p', role: 'r', hosts: ['h1'] },
    { type: 'step-start', host: 'h1', role: 'r', step: `use ${secret}` },
    { type: 'note', host: 'h1', message: `using ${secret}` },
    { type: 'warning', host: 'h1', message: `careful with ${secret}` },
    { type: 'command', host: 'h1', command: command.display, code: 3, stdout: `${secret}\n`, stderr: `${secret}\n`, durationMs: 5 },
    { type: 'step-result', ...base, step: 'Key', status: 'changed', message: 'content changed', diffs: [{ path: '/etc/k', before: 'a=1\n', after: `a=1\n${secret}\nz=2\n` }] },
    { type: 'step-result', ...base, step: 'JSON', status: 'ignored', message: JSON.stringify({ token: secret }) },
    { type: 'step-result', ...base, step: `use ${secret}`, status: 'failed', message: `command failed (exit 3): ${command.display}\n${secret.trim()}` },
    { type: 'role-host-end', role: 'r', host: 'h1', status: 'failed', counts: { ok: 1, changed: 1, skipped: 0 } },
    { type: 'role-end', play: 'p', role: 'r' },
    { type: 'recap', hosts: { h1: { ...emptyCounters(), failed: 1 } }, retryFile: 'site.retry', interrupted: false, durationMs: 9 },
  ];
}

/** Runs `fn` with process.stdout/stderr captured (listr2 draws there); returns what was written. */
async function captured(fn: () => Promise<void> | void): Promise<string> {
  const out: string[] = [];
  const saved = [process.stdout.write, process.stderr.write];
  const capture = ((chunk: string | Uint8Array) => {
    out.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    return true;
  }) as typeof process.stdout.write;
  process.stdout.write = capture;
  process.stderr.write = capture;
  try {
    await fn();
  } finally {
    [process.stdout.write, process.stderr.write] = saved as [typeof process.stdout.write, typeof process.stderr.write];
  }
  return out.join('');
}

async function channels(secret: string, work: string): Promise<Record<string, string>> {
  const events = eventsUsing(secret);
  const texts: Record<string, string> = {};
  for (const verbosity of [0, 1, 2, 3]) {
    let plain = '';
    const renderer = new PlainRenderer({ verbosity, diff: true, colour: verbosity === 3, write: (t) => (plain += t) });
    for (const e of events) renderer.event(e);
    texts[`plain -${'v'.repeat(verbosity)} --diff`] = plain;
    let live = '';
    texts[`live renderer -${'v'.repeat(verbosity)} (terminal)`] = await captured(async () => {
      const view = new LiveRenderer({ verbosity, diff: true, colour: true, write: (t) => (live += t) });
      for (const e of events) view.event(e);
      await view.end();
    });
    texts[`live renderer -${'v'.repeat(verbosity)} (log)`] = live;
  }
  let json = '';
  const jsonRenderer = new JsonRenderer((t) => (json += t));
  for (const e of events) jsonRenderer.event(e);
  texts['--json'] = json;
  const display = sh`install -m 0600 /dev/stdin ${secret}`.display;
  texts['module failure message'] = failureMessage(display, { code: 1, stdout: '', stderr: `bad: ${secret}` });
  for (const verbose of [false, true]) {
    texts[`stderr, user error${verbose ? ' -vvv' : ''}`] = await captured(() => void reportError(new UserError(`refused ${JSON.stringify(secret)} and ${secret}`, 'X'), verbose));
    texts[`stderr, internal error${verbose ? ' -vvv' : ''}`] = await captured(() => void reportError(new Error(`failed with ${secret}`), verbose));
  }
  let sshLog = '';
  const ssh = new SshConnection(
    { label: 'h1', hostName: '127.0.0.1', port: 22, user: 'u', identityFiles: [], jumps: [], knownHostsPath: '/dev/null', becomeUser: '' },
    { hostKeyChecking: 'strict', verbose: (l) => (sshLog += `${l}\n`) },
  );
  // The connection's -vvv log of a result (private: called as the connection calls it after a command).
  (ssh as unknown as { logResult(r: { code: number; stdout: string; stderr: string }): void }).logResult({ code: 3, stdout: `${secret}\n`, stderr: secret });
  texts['ssh verbose log'] = sshLog;
  const retry = join(work, 'site.retry');
  writeRetryFile(retry, ['h1']);
  texts['retry file'] = readFileSync(retry, 'utf8');
  return texts;
}

function assertNoLeak(generated: Generated, texts: Record<string, string>): void {
  for (const [channel, text] of Object.entries(texts)) {
    for (const c of generated.cores) {
      assert.ok(!text.includes(c), `${channel} shows part of the secret ${JSON.stringify(generated.secret)}:\n${text}`);
    }
  }
}

test('property: every form of a random secret is masked on every output channel', async () => {
  const work = mkdtempSync(join(tmpdir(), 'steer-masking-'));
  try {
    await fc.assert(
      fc.asyncProperty(secretArb, async (generated) => {
        clearSecrets();
        registerSecretsIn(generated.secret);
        const texts = await channels(generated.secret, work);
        assertNoLeak(generated, texts);
        // Not vacuous: the channels did carry the secret, masked.
        for (const channel of ['plain -vv --diff', '--json', 'module failure message', 'stderr, user error']) {
          assert.ok(texts[channel]!.includes(MASK), `${channel} shows the mask`);
        }
      }),
      { numRuns: 60 },
    );
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});

test("issue 14's inputs: a PEM line by line, a quoted password in zx's $'…' form, both JSON-escaped", () => {
  const pem = '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj\nMzEfYyjiWA4R4/M2bS1GB4t7NXp98C3SC6dVMvDuictGeurT8jNbvJZHtCSuYEvu\nNMoSfm76oqFvAp8Gy0iz5sxjZmSnXyCdPEovGhLa0VzMaQ8s+CLOyS56YyCFGeJZ\nAgMBAAE=\n-----END PRIVATE KEY-----\n';
  const pw = 'Tr0ub"ad\\or&x!';
  registerSecretsIn([pem, pw]);
  const quoted = sh`printf '%s\n' ${pem} ${pw} >&2; exit 3`.display;
  assert.ok(quoted.includes("$'Tr0ub\"ad\\\\or&x!'"), quoted);
  assert.equal(maskSecrets(quoted), "printf '%s\n' $'********' $'********' >&2; exit 3");
  assert.equal(maskSecrets(JSON.stringify({ key: pem, pw })), '{"key":"********","pw":"********"}');
  // Shown in part (`head -3 key.pem`): the body lines are the secret, the armor is not.
  const head = pem.split('\n').slice(0, 3).join('\n');
  assert.equal(maskSecrets(head), '-----BEGIN PRIVATE KEY-----\n********\n********');
  assert.equal(maskSecrets('-----BEGIN PRIVATE KEY-----'), '-----BEGIN PRIVATE KEY-----');
  // Line by line behind prefixes (-v output, diffs), and trimmed as messages trim.
  assert.equal(maskSecrets(`    | ${pem.split('\n')[2]}`), '    | ********');
  assert.equal(maskSecrets(pem.trim()), MASK);
});

test('no false positives: short secrets and the short lines of a multi-line value mask nothing alone', () => {
  registerSecretsIn(['abc', '   ', 'kind: Config\napiVersion: v1\ntoken: Zq7fK2pQ9xLm3vB8\n']);
  assert.equal(maskSecrets('abc kind: Config apiVersion: v1'), 'abc kind: Config apiVersion: v1');
  assert.equal(maskSecrets('    indented'), '    indented');
  assert.equal(maskSecrets('got token: Zq7fK2pQ9xLm3vB8 here'), 'got ******** here');
});
