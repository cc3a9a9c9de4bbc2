// The lab's package repository server: a small static HTTP server, run detached by `steer lab up`
// on the lab bridge address (pid recorded in the lab's state directory, ended by `down`).
// Usage: node --import tsx repo-server.ts ROOT ADDRESS PORT PID_FILE
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import { join, normalize, sep } from 'node:path';

const [root, address, portText, pidFile] = process.argv.slice(2);
if (!root || !address || !portText || !pidFile) {
  process.stderr.write('usage: repo-server.ts ROOT ADDRESS PORT PID_FILE\n');
  process.exit(2);
}

// `steer lab up` records our pid right after starting us, and `down` ends us by that record. If
// the `up` died before recording it, or the lab is gone, nobody would end us: end ourselves.
async function recorded(): Promise<boolean> {
  const text = await readFile(pidFile!, 'utf8').catch(() => '');
  return text.split(/\s+/)[0] === String(process.pid);
}
const deadline = Date.now() + 10_000;
while (!(await recorded())) {
  if (Date.now() > deadline) {
    process.stderr.write(`repo-server: not recorded in ${pidFile}; exiting\n`);
    process.exit(1);
  }
  await new Promise((r) => setTimeout(r, 100));
}
setInterval(async () => {
  if (!(await recorded())) process.exit(0);
}, 5_000).unref();

const TYPES: Record<string, string> = {
  '.gz': 'application/gzip',
  '.deb': 'application/vnd.debian.binary-package',
  '.key': 'application/pgp-keys',
  '.gpg': 'application/pgp-signature',
  '.yaml': 'application/yaml',
  '.yml': 'application/yaml',
  '.json': 'application/json',
};

const server = createServer(async (req, res) => {
  const started = Date.now();
  const done = (status: number) => process.stdout.write(`${new Date().toISOString()} ${req.socket.remoteAddress} ${req.method} ${req.url} ${status} ${Date.now() - started}ms\n`);
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { Allow: 'GET, HEAD' }).end();
    return done(405);
  }
  let path: string;
  try {
    path = decodeURIComponent(new URL(req.url ?? '/', 'http://lab').pathname);
  } catch {
    res.writeHead(400).end();
    return done(400);
  }
  const file = normalize(join(root, path));
  if (file !== root && !file.startsWith(root.endsWith(sep) ? root : root + sep)) {
    res.writeHead(403).end();
    return done(403);
  }
  try {
    const info = await stat(file);
    if (!info.isFile()) throw new Error('not a file');
    const ext = file.slice(file.lastIndexOf('.'));
    res.writeHead(200, {
      'Content-Length': info.size,
      'Content-Type': TYPES[ext] ?? 'text/plain; charset=utf-8',
      'Last-Modified': info.mtime.toUTCString(),
    });
    if (req.method === 'HEAD') {
      res.end();
      return done(200);
    }
    createReadStream(file).on('error', () => res.destroy()).pipe(res);
    res.on('finish', () => done(200));
  } catch {
    res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found\n');
    done(404);
  }
});

server.listen(Number(portText), address, () => process.stdout.write(`serving ${root} on http://${address}:${portText}/\n`));
const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
