// fetch: a file of the host copied to the controller (Ansible's fetch module), e.g. a kubeconfig or
// a backup. The copy is written atomically (temp file + rename) with mode 0600 unless told
// otherwise: fetched files are often credentials. What the host sends is data: exactly the size
// the probe saw is read (optionally bounded by maxBytes), and the bytes must hash to what the probe
// saw. Large files (an etcd snapshot) stream to disk piece by piece: a command's output is capped
// at 16 MiB and held in memory, so the file is read in FETCH_CHUNK ranges appended to the temp file.
import { createHash, type Hash } from 'node:crypto';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { sh } from '../command/command.js';
import { argError, mode } from './args.js';
import { ModuleError, type Module, type ModuleContext, type ModuleResult, type Plan } from './module.js';
import { normalMode, sameMode } from './file-state.js';
import { runProbe, sectionText } from './probe.js';

export interface FetchArgs {
  /** The file on the host (absolute). */
  src: string;
  /** Where the copy goes on the controller (relative paths: to the current folder). */
  dest: string;
  /** Mode of the copy (default '0600'). */
  mode?: string;
  /** The largest file accepted, in bytes (default: no limit; the file streams to disk). */
  maxBytes?: number;
}

export interface FetchState {
  remote: { exists: boolean; size?: number; sha256?: string };
  local: { exists: boolean; sha256?: string; mode?: string };
}

/** The piece of a file read by one command (well under the 16 MiB output cap of framing.ts). */
export const FETCH_CHUNK = 8 * 1024 * 1024;

export const fetch: Module<FetchArgs, FetchState, { bytes?: number }> = {
  name: 'fetch',
  args: {
    type: 'object',
    properties: {
      src: { type: 'string' },
      dest: { type: 'string' },
      mode,
      maxBytes: { type: 'integer', minimum: 1 },
    },
    required: ['src', 'dest'],
    additionalProperties: false,
  },
  validate(args) {
    if (!args.src.startsWith('/')) argError('fetch', `src must be absolute (got "${args.src}")`);
    if (args.dest.trim() === '') argError('fetch', 'dest is empty');
  },
  async probe(args, ctx) {
    const outputs = await runProbe(ctx, {
      remote: sh`if [ -f ${args.src} ]; then stat -c %s -- ${args.src} && sha256sum < ${args.src} | cut -d' ' -f1; fi`,
    });
    const [size, sha] = sectionText(outputs, 'remote').split('\n');
    return { remote: size ? { exists: true, size: Number(size), sha256: sha } : { exists: false }, local: localState(destOf(args)) };
  },
  plan(args, state): Plan<{ bytes?: number }> {
    const dest = destOf(args);
    const mode = normalMode(args.mode ?? '0600');
    // Missing now (check mode, before the step that writes it): the copy is what would happen; a
    // real run that still finds nothing fails when it applies.
    if (!state.remote.exists) return { actions: [{ kind: 'run', command: sh`cat -- ${args.src}` }], summary: `fetch ${args.src} -> ${dest} (not on the host yet)` };
    const limit = args.maxBytes ?? Infinity;
    if (state.remote.size! > limit) throw new ModuleError(`fetch: ${args.src} is ${state.remote.size} bytes, more than the ${limit} allowed (maxBytes)`);
    const same = state.local.exists && state.local.sha256 === state.remote.sha256;
    if (same && state.local.mode !== undefined && sameMode(state.local.mode, mode)) return { actions: [] };
    return {
      actions: [{ kind: 'run', command: sh`cat -- ${args.src}` }],
      summary: same ? `${dest}: mode ${state.local.mode} -> ${mode}` : `fetch ${args.src} -> ${dest} (${state.remote.size} bytes)`,
      data: { bytes: state.remote.size! },
    };
  },
  async apply(plan, args, ctx): Promise<ModuleResult<{ bytes?: number }>> {
    const dest = destOf(args);
    const remote = (await fetch.probe(args, ctx)).remote;
    if (!remote.exists) throw new ModuleError(`fetch: ${args.src} does not exist on the host`);
    const bytes = await streamAtomically(dest, normalMode(args.mode ?? '0600'), remote.size!, remote.sha256!, (offset, length) => readRange(args.src, offset, length, ctx));
    return { changed: true, summary: plan.summary, data: { bytes } };
  },
};

function destOf(args: FetchArgs): string {
  return isAbsolute(args.dest) ? args.dest : resolve(args.dest);
}

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function localState(path: string): FetchState['local'] {
  if (!existsSync(path)) return { exists: false };
  const st = statSync(path);
  if (!st.isFile()) throw new ModuleError(`fetch: ${path} exists on the controller and is not a regular file`);
  return { exists: true, sha256: sha256(readFileSync(path)), mode: (st.mode & 0o7777).toString(8) };
}

/** `length` bytes of the host's file from `offset`; anything else (shorter, longer, gone) is an error. */
async function readRange(src: string, offset: number, length: number, ctx: ModuleContext): Promise<Buffer> {
  const range = { offset, length };
  const data = ctx.get ? await ctx.get(src, range) : await ctx.connection.get(src, { range });
  if (data === undefined) throw new ModuleError(`fetch: ${src} does not exist on the host`);
  if (data.length !== length) throw new ModuleError(`fetch: ${src} changed while it was copied (expected ${length} bytes at ${offset}, got ${data.length}); try again`);
  return data;
}

/**
 * Reads `size` bytes piece by piece into a temp file beside `dest` (0600 from its first byte), checks
 * the whole hashes to `sha256`, gives it `mode` and renames it over `dest`. Returns the byte count.
 */
async function streamAtomically(dest: string, mode: string, size: number, expected: string, read: (offset: number, length: number) => Promise<Buffer>): Promise<number> {
  mkdirSync(dirname(dest), { recursive: true, mode: 0o700 });
  const tmp = `${dest}.steer-fetch.${process.pid}`;
  const fd = openSync(tmp, 'wx', 0o600);
  let closed = false;
  try {
    const hash: Hash = createHash('sha256');
    for (let offset = 0; offset < size || (size === 0 && offset === 0); offset += FETCH_CHUNK) {
      const piece = await read(offset, Math.min(FETCH_CHUNK, size - offset));
      hash.update(piece);
      writeSync(fd, piece);
      if (size === 0) break;
    }
    closeSync(fd);
    closed = true;
    if (hash.digest('hex') !== expected) throw new ModuleError(`fetch: ${dest.replace(/.*\//, '')}: the copy does not hash to what the host had (the file changed while it was copied); try again`);
    chmodSync(tmp, parseInt(mode, 8));
    renameSync(tmp, dest);
    return size;
  } catch (err) {
    if (!closed) closeSync(fd);
    rmSync(tmp, { force: true });
    throw err;
  }
}
