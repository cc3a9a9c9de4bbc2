// Ansible's lookup()/query() for what a home-lab cluster's playbooks read on the controller:
// `env` (an environment variable), `file` (a file's content) and `pipe` (a command's output), with
// Ansible's options and results (ansible.plugins.lookup.env/file/pipe, ansible-core 2.14). Any other
// lookup is refused by name rather than failing somewhere inside nunjucks.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';

/** A lookup that cannot give a value: a missing file, a failing command, an unknown lookup. */
export class LookupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LookupError';
  }
}

/** Bounded like any other input steer reads: a lookup is not a way to load a disk image. */
const MAX_OUTPUT_BYTES = 16 * 1024 * 1024;

let searchFolders: string[] = [];

/**
 * Where relative `file` paths are looked for and where `pipe` commands run: Ansible uses the
 * playbook's folder (`<dir>/files/NAME`, then `<dir>/NAME`). `steer run` sets it to the playbook's
 * folder; until then the current folder is used.
 */
export function setLookupFolders(folders: string[]): void {
  searchFolders = [...folders];
}

function folders(): string[] {
  return searchFolders.length > 0 ? searchFolders : [process.cwd()];
}

type Options = Record<string, unknown>;
type Plugin = (terms: string[], options: Options) => unknown[];

function option(options: Options, name: string, fallback: boolean): boolean {
  return options[name] === undefined ? fallback : Boolean(options[name]);
}

const plugins: Record<string, Plugin> = {
  env(terms, options) {
    const fallback = options['default'] ?? '';
    return terms.map((term) => process.env[term.split(/\s+/)[0]!] ?? fallback);
  },
  file(terms, options) {
    return terms.map((term) => {
      const candidates = isAbsolute(term) ? [term] : folders().flatMap((dir) => [join(dir, 'files', term), join(dir, term)]);
      const found = candidates.find((p) => existsSync(p) && statSync(p).isFile());
      if (!found) throw new LookupError(`could not find the file '${term}' (looked for ${candidates.join(', ')})`);
      if (statSync(found).size > MAX_OUTPUT_BYTES) throw new LookupError(`the file ${found} is larger than ${MAX_OUTPUT_BYTES} bytes`);
      let text = readFileSync(found, 'utf8');
      if (option(options, 'lstrip', false)) text = text.trimStart();
      if (option(options, 'rstrip', true)) text = text.trimEnd();
      return text;
    });
  },
  pipe(terms) {
    return terms.map((command) => {
      try {
        return execFileSync('/bin/sh', ['-c', command], { cwd: folders()[0], encoding: 'utf8', maxBuffer: MAX_OUTPUT_BYTES, stdio: ['ignore', 'pipe', 'pipe'] }).trimEnd();
      } catch (err) {
        const e = err as { status?: number | null; stderr?: string; message: string };
        const detail = e.stderr?.trim() ? `: ${e.stderr.trim().split('\n').slice(-1)[0]}` : '';
        throw new LookupError(`the command ${JSON.stringify(command)} exited ${e.status ?? e.message}${detail}`);
      }
    });
  },
};

/** Splits nunjucks' trailing keyword-arguments object (`errors='ignore'`) from the positional ones. */
function splitArgs(args: unknown[]): [unknown[], Options] {
  const last = args[args.length - 1];
  if (last && typeof last === 'object' && Object.hasOwn(last, '__keywords')) {
    const { __keywords: _, ...kwargs } = last as Options;
    return [args.slice(0, -1), kwargs];
  }
  return [args, {}];
}

function runPlugin(name: unknown, args: unknown[]): [unknown[], Options] {
  const plugin = typeof name === 'string' && Object.hasOwn(plugins, name) ? plugins[name]! : undefined;
  if (!plugin) {
    throw new LookupError(`unknown lookup ${JSON.stringify(name)} (steer has ${Object.keys(plugins).join(', ')}; set the value with a variable or -e instead)`);
  }
  const [terms, options] = splitArgs(args);
  const texts = terms.flatMap((t) => (Array.isArray(t) ? t : [t])).map((t) => String(t));
  try {
    return [plugin(texts, options), options];
  } catch (err) {
    if (err instanceof LookupError) throw new LookupError(`lookup('${name}'): ${err.message}`);
    throw err;
  }
}

/** lookup(name, term…, key=value…): the results joined with ',' (Ansible's lookup), or the list with wantlist=True. */
export function lookup(name: unknown, ...args: unknown[]): unknown {
  const [results, options] = runPlugin(name, args);
  if (options['wantlist']) return results;
  return results.every((r) => typeof r === 'string') ? results.join(',') : results.length === 1 ? results[0] : results;
}

/** query(name, term…) / q(…): always the list of results. */
export function query(name: unknown, ...args: unknown[]): unknown[] {
  return runPlugin(name, args)[0];
}
