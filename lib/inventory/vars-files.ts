// group_vars/ and host_vars/ (Ansible's host_group_vars plugin): for a name, the first of `name`,
// `name.yml`, `name.yaml`, `name.json` that exists; a directory is read recursively in sorted order
// (hidden files, backups~ and other extensions skipped). Later files override earlier ones.
import { existsSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { UserError } from '../errors.js';
import { loadAnsibleYamlFile } from './ansible-yaml.js';
import type { Vars } from './inventory.js';
import type { VarLocations } from './model.js';
import { describeType, isMapping } from './yaml-source.js';

const VARS_EXTENSIONS = ['.yml', '.yaml', '.json'];

/** Python's truthiness: Ansible skips a vars file whose content is empty, 0, false, [] or {}. */
function isEmptyData(value: unknown): boolean {
  if (value === null || value === undefined || value === false || value === 0 || value === '') return true;
  if (Array.isArray(value)) return value.length === 0;
  return isMapping(value) && Object.keys(value).length === 0;
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** Python's os.path.splitext extension (a leading dot does not start one). */
function pyExt(name: string): string {
  return extname(name);
}

function filesInDir(dir: string, display: string): { path: string; display: string }[] {
  const out: { path: string; display: string }[] = [];
  for (const name of readdirSync(dir).sort()) {
    if (name.startsWith('.') || name.endsWith('~')) continue;
    const path = join(dir, name);
    const shown = join(display, name);
    const ext = pyExt(name);
    if (isDirectory(path)) {
      if (!ext) out.push(...filesInDir(path, shown));
    } else if (!ext || VARS_EXTENSIONS.includes(ext)) {
      out.push({ path, display: shown });
    }
  }
  return out;
}

/** The vars files Ansible reads for one group or host under `dir` (a group_vars or host_vars folder). */
export function findVarsFiles(dir: string, display: string, name: string): { path: string; display: string }[] {
  for (const ext of ['', ...VARS_EXTENSIONS]) {
    const path = join(dir, name + ext);
    if (!existsSync(path)) continue;
    return isDirectory(path) ? filesInDir(path, join(display, name + ext)) : [{ path, display: join(display, name + ext) }];
  }
  return [];
}

interface Loaded {
  vars: Vars;
  /** Where each variable was written (file:line:col). */
  sources: VarLocations;
}

/** Reads vars files once per path; a file that is not a mapping is an error at its first line. */
export class VarsFileCache {
  private readonly files = new Map<string, Loaded>();
  private readonly lookups = new Map<string, Loaded>();

  private loadFile(path: string, display: string): Loaded {
    let loaded = this.files.get(path);
    if (loaded) return loaded;
    const file = loadAnsibleYamlFile(path, display);
    if (isEmptyData(file.value)) loaded = { vars: {}, sources: {} };
    else if (!isMapping(file.value)) {
      throw new UserError(`a vars file must be a mapping of variable names to values (got ${describeType(file.value)})`, 'VARS_FILE', file.locate([]));
    } else {
      const vars = file.value;
      loaded = { vars, sources: Object.fromEntries(Object.keys(vars).map((k) => [k, file.locate([k], 'key')])) };
    }
    this.files.set(path, loaded);
    return loaded;
  }

  /**
   * The merged variables of `name` from `<base>/<kind>/` (kind: group_vars or host_vars). Names that
   * start with a slash are skipped, as Ansible does for chroot-style host names.
   */
  lookup(base: string, baseDisplay: string, kind: 'group_vars' | 'host_vars', name: string): Vars {
    return this.read(base, baseDisplay, kind, name).vars;
  }

  /** Where each variable lookup() returns was written. */
  sources(base: string, baseDisplay: string, kind: 'group_vars' | 'host_vars', name: string): VarLocations {
    return this.read(base, baseDisplay, kind, name).sources;
  }

  private read(base: string, baseDisplay: string, kind: 'group_vars' | 'host_vars', name: string): Loaded {
    const none: Loaded = { vars: {}, sources: {} };
    if (name.startsWith('/')) return none;
    const dir = join(base, kind);
    if (!isDirectory(dir)) return none;
    const real = realpathSync(dir);
    const key = `${real}\0${name}`;
    let merged = this.lookups.get(key);
    if (!merged) {
      merged = { vars: {}, sources: {} };
      for (const f of findVarsFiles(real, join(baseDisplay, kind), name)) {
        const file = this.loadFile(f.path, f.display);
        Object.assign(merged.vars, file.vars);
        Object.assign(merged.sources, file.sources);
      }
      this.lookups.set(key, merged);
    }
    return merged;
  }
}
