// fetch: a file of the host copied to the controller (Ansible's fetch module), e.g. a kubeconfig or
// a backup. The copy is written atomically (temp file + rename) with mode 0600 unless told
// otherwise: fetched files are often credentials. What the host sends is data: its size is bounded,
// and the bytes must hash to what the probe saw.
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
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
  /** The largest file accepted, in bytes (default 16 MiB). */
  maxBytes?: number;
}

export interface FetchState {
  remote: { exists: boolean; size?: number; sha256?: string };
  local: { exists: boolean; sha256?: string; mode?: string };
}

export const DEFAULT_FETCH_LIMIT = 16 * 1024 * 1024;

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
    const limit = args.maxBytes ?? DEFAULT_FETCH_LIMIT;
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
    const bytes = await readRemote(args.src, ctx);
    const expected = (await fetch.probe(args, ctx)).remote.sha256;
    if (sha256(bytes) !== expected) throw new ModuleError(`fetch: ${args.src} changed while it was copied; try again`);
    writeAtomically(dest, bytes, normalMode(args.mode ?? '0600'));
    return { changed: true, summary: plan.summary, data: { bytes: bytes.length } };
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

async function readRemote(src: string, ctx: ModuleContext): Promise<Buffer> {
  const data = ctx.get ? await ctx.get(src) : await ctx.connection.get(src);
  if (data === undefined) throw new ModuleError(`fetch: ${src} does not exist on the host`);
  return data;
}

/** Temp file beside the destination, mode set before any byte is written, then renamed. */
function writeAtomically(dest: string, data: Buffer, mode: string): void {
  mkdirSync(dirname(dest), { recursive: true, mode: 0o700 });
  const tmp = `${dest}.steer-fetch.${process.pid}`;
  try {
    writeFileSync(tmp, data, { mode: 0o600, flag: 'wx' });
    chmodSync(tmp, parseInt(mode, 8));
    renameSync(tmp, dest);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}
