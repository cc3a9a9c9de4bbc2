// The crictl stand-in (pods, stopp), run from the source tree against a temporary host root: it
// answers only while the runtime's socket does, lists the stand-in API server's sandbox, and stopp
// stops that process — what the storage role does before moving a node's data.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PYTHON_DIR } from '../../lab/standins/index.js';
import { runProcess } from '../../lab/standins/harness/local.js';

const CRICTL = `import sys; sys.path.insert(0, ${JSON.stringify(PYTHON_DIR)}); from standin.crictl import main; sys.exit(main(sys.argv[1:]))`;

test('crictl lists and stops the stand-in API server through a live runtime socket', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'steer-crictl-'));
  const env = { ...process.env, STANDIN_ROOT: root, PYTHONDONTWRITEBYTECODE: '1' };
  const crictl = (...args: string[]) => runProcess('python3', ['-c', CRICTL, '--runtime-endpoint', 'unix:///run/containerd/containerd.sock', ...args], env);
  // A process whose command line names the stand-in API server, as the kubelet starts it.
  const apiserver = spawn('python3', ['-c', 'import time; time.sleep(60)', 'standin.apiserver'], { stdio: 'ignore' });
  const server = createServer((c) => c.end());
  t.after(async () => {
    apiserver.kill('SIGKILL');
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await rm(root, { recursive: true, force: true });
  });

  const down = await crictl('pods', '-q');
  assert.equal(down.code, 1);
  assert.match(down.stderr, /validate service connection: .*unix:\/\/\/run\/containerd\/containerd\.sock/);
  assert.match(down.stderr, /^\[steer lab stand-in\] crictl /);

  await mkdir(join(root, 'run/containerd'), { recursive: true });
  await new Promise<void>((resolve) => server.listen(join(root, 'run/containerd/containerd.sock'), resolve));
  assert.equal((await crictl('pods', '-q')).stdout, '', 'no Pod runs');

  await mkdir(join(root, 'run/standin'), { recursive: true });
  await writeFile(join(root, 'run/standin/kube-apiserver.pid'), `${apiserver.pid}\n`);
  const pods = await crictl('pods', '-q');
  assert.equal(pods.code, 0);
  const id = pods.stdout.trim();
  assert.match(id, /^[0-9a-f]{64}$/);
  const exited = new Promise((resolve) => apiserver.once('exit', resolve));
  const stopped = await crictl('stopp', id);
  assert.equal(stopped.code, 0, stopped.stderr);
  assert.equal(stopped.stdout.trim(), `Stopped sandbox ${id}`);
  await exited;
  assert.equal((await crictl('pods', '-q')).stdout, '');
  const unknown = await crictl('stopp', id);
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /code = NotFound/);
});
