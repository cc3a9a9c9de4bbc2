// apt: packages present (optionally at a pinned version glob), or absent. The package cache is
// refreshed only when a source changed or the lists are older than cacheValidTime. Every apt-get runs
// non-interactively, keeps changed config files, and waits for the dpkg lock instead of failing.
import { raw, sh, type Command } from '../command/command.js';
import { withOp } from '../connection/host-ops.js';
import { argError, presentOrAbsent, stringList } from './args.js';
import type { Action, Module, Plan } from './module.js';
import { runProbe, sectionText, type SectionOutputs, type Sections } from './probe.js';
import { matchesGlob } from './text.js';

/**
 * The probe section that lists `names` as dpkg knows them: `NAME\tSTATUS\tVERSION` lines (the
 * probe helper answers it too); `admindir` only in tests (a scratch dpkg database).
 */
export function dpkgQuery(names: string[], admindir?: string): Command {
  const format = raw(`-f='\${Package}\\t\${db:Status-Abbrev}\\t\${Version}\\n'`);
  const command = admindir === undefined ? sh`dpkg-query -W ${format} ${names}` : sh`dpkg-query --admindir=${admindir} -W ${format} ${names}`;
  return withOp(command, { op: 'dpkg', names, ...(admindir === undefined ? {} : { admindir }) });
}

/** The sections of apt's probe: what dpkg knows of `names`, the time, the cache's age and lists. */
export function aptSections(names: string[]): Sections {
  return {
    dpkg: names.length ? dpkgQuery(names) : sh`true`,
    now: withOp(sh`date +%s`, { op: 'now' }),
    cache: withOp(sh`stat -c %Y ${CACHE_STAMPS}`, { op: 'mtimes', paths: CACHE_STAMPS }),
    lists: withOp(sh`ls /var/lib/apt/lists | grep -c _Packages`, { op: 'count', folder: '/var/lib/apt/lists', word: '_Packages' }),
  };
}

/** When apt last refreshed its lists (the first one that exists counts; see parseAptProbe). */
const CACHE_STAMPS = ['/var/lib/apt/periodic/update-success-stamp', '/var/lib/apt/lists'];

export interface AptArgs {
  /** `name`, or `name=VERSION` where VERSION may be a glob: `kubeadm=1.34.2-*`, `kubeadm=1.34.*`. */
  packages?: string[];
  state?: 'present' | 'absent';
  /** With state 'absent': remove configuration files too. */
  purge?: boolean;
  /**
   * true: refresh the package cache (only when older than cacheValidTime, if that is given);
   * false: never; default: refresh before installing when the cache is older than cacheValidTime.
   */
  updateCache?: boolean;
  /** Seconds a package cache stays fresh (default 3600 when updateCache is not given). */
  cacheValidTime?: number;
  /** Refresh the cache first when a source changed: a boolean, or apt_source results. */
  sourceChanged?: boolean | { changed: boolean } | Array<{ changed: boolean }>;
  /** Allow installing a pinned version lower than the installed one. */
  allowDowngrades?: boolean;
  /** Allow apt to change held packages (pinned versions of held packages get this anyway). */
  allowChangeHeld?: boolean;
  /** Install recommended packages (default: apt's own setting). */
  installRecommends?: boolean;
}

export interface InstalledPackage {
  /** dpkg's status abbreviation, e.g. 'ii ' (installed), 'hi ' (held, installed), 'rc ' (config files). */
  status: string;
  version: string;
}

export interface AptState {
  packages: Record<string, InstalledPackage>;
  /** Seconds since the epoch on the host. */
  now: number;
  /** When the package lists were last refreshed (0: never). */
  cacheTime: number;
  /** How many Packages lists the host has. */
  lists: number;
}

export const PACKAGE_SPEC = /^[a-z0-9][a-z0-9+.-]*(:[a-z0-9-]+)?(=[A-Za-z0-9.+~:*?_-]+)?$/;

export function parsePackageSpec(spec: string): { name: string; version?: string } {
  const eq = spec.indexOf('=');
  const full = eq < 0 ? spec : spec.slice(0, eq);
  const name = full.replace(/:[a-z0-9-]+$/, '');
  return eq < 0 ? { name } : { name, version: spec.slice(eq + 1) };
}

/** apt-get with the options every call needs: no prompts, keep config files, wait for the lock. */
export function aptGet(words: string[]): Command {
  return sh`env DEBIAN_FRONTEND=noninteractive apt-get -y -q -o DPkg::Lock::Timeout=600 -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold ${words}`;
}

/** An apt_source result as sourceChanged takes it (only `changed` is read). */
const changedResult = { type: 'object', properties: { changed: { type: 'boolean' } }, required: ['changed'] } as const;

export const apt: Module<AptArgs, AptState> = {
  name: 'apt',
  args: {
    type: 'object',
    properties: {
      packages: stringList,
      state: presentOrAbsent,
      purge: { type: 'boolean' },
      updateCache: { type: 'boolean' },
      cacheValidTime: { type: 'number', minimum: 0 },
      sourceChanged: {
        anyOf: [{ type: 'boolean' }, changedResult, { type: 'array', items: changedResult }],
        errorMessage: 'must be true or false, or the results of apt_source steps',
      },
      allowDowngrades: { type: 'boolean' },
      allowChangeHeld: { type: 'boolean' },
      installRecommends: { type: 'boolean' },
    },
    required: [],
    additionalProperties: false,
  },
  validate(args) {
    for (const p of args.packages ?? []) {
      if (!PACKAGE_SPEC.test(p)) argError('apt', `"${p}" is not a package name (name or name=version)`);
    }
    if (args.state === 'absent' && args.packages?.some((p) => p.includes('='))) {
      argError('apt', "state 'absent' takes package names without versions");
    }
    if (!args.packages?.length && args.updateCache !== true) argError('apt', 'give packages (or updateCache: true)');
  },
  async probe(args, ctx) {
    const names = [...new Set((args.packages ?? []).map((p) => parsePackageSpec(p).name))];
    return parseAptProbe(await runProbe(ctx, aptSections(names)));
  },
  plan(args, state): Plan {
    const actions: Action[] = [];
    const notes: string[] = [];
    const specs = (args.packages ?? []).map((p) => ({ spec: p, ...parsePackageSpec(p) }));
    const installed = (name: string): InstalledPackage | undefined => {
      const p = state.packages[name];
      return p && 'iWt'.includes(p.status[1] ?? '') ? p : undefined;
    };

    if (args.state === 'absent') {
      const present = specs.filter((s) => installed(s.name) || (args.purge && state.packages[s.name]?.status[1] === 'c'));
      if (present.length === 0) return { actions: [] };
      const names = present.map((s) => s.name);
      actions.push({ kind: 'run', command: aptGet([args.purge ? 'purge' : 'remove', ...names]) });
      return { actions, summary: `${args.purge ? 'purge' : 'remove'} ${names.join(' ')}` };
    }

    const toInstall = specs.filter((s) => {
      const p = installed(s.name);
      return !p || (s.version !== undefined && !matchesGlob(p.version, s.version));
    });
    const age = state.lists === 0 || state.cacheTime === 0 ? Infinity : state.now - state.cacheTime;
    const refresh =
      args.updateCache === true
        ? args.cacheValidTime === undefined || age > args.cacheValidTime
        : args.updateCache === undefined && toInstall.length > 0 && age > (args.cacheValidTime ?? 3600);
    if (sourceChanged(args.sourceChanged) || refresh) {
      actions.push({ kind: 'run', command: aptGet(['update']) });
      notes.push('update the package cache');
    }
    if (toInstall.length > 0) {
      const options: string[] = [];
      if (args.installRecommends === false) options.push('--no-install-recommends');
      if (args.installRecommends === true) options.push('--install-recommends');
      if (args.allowDowngrades) options.push('--allow-downgrades');
      // A pinned version is asked for explicitly: changing a held package is what the role wants.
      if (args.allowChangeHeld || toInstall.some((s) => s.version !== undefined && state.packages[s.name]?.status.startsWith('h'))) {
        options.push('--allow-change-held-packages');
      }
      actions.push({ kind: 'run', command: aptGet(['install', ...options, ...toInstall.map((s) => s.spec)]) });
      notes.push(
        `install ${toInstall
          .map((s) => {
            const was = installed(s.name)?.version;
            return was ? `${s.spec} (was ${was})` : s.spec;
          })
          .join(', ')}`,
      );
    }
    return { actions, summary: notes.length ? notes.join('; ') : undefined };
  },
};

function sourceChanged(value: AptArgs['sourceChanged']): boolean {
  if (value === undefined) return false;
  if (typeof value === 'boolean') return value;
  if (Array.isArray(value)) return value.some((v) => v.changed);
  return value.changed;
}

export function parseAptProbe(outputs: SectionOutputs): AptState {
  const packages: Record<string, InstalledPackage> = {};
  for (const line of sectionText(outputs, 'dpkg').split('\n')) {
    const [name, status, version] = line.split('\t');
    if (name && status !== undefined && version !== undefined) packages[name] = { status, version };
  }
  const times = sectionText(outputs, 'cache')
    .split('\n')
    .map(Number)
    .filter((n) => Number.isFinite(n) && n > 0);
  return {
    packages,
    now: Number(sectionText(outputs, 'now').trim()) || 0,
    cacheTime: times.length ? Math.max(...times) : 0,
    lists: Number(sectionText(outputs, 'lists').trim()) || 0,
  };
}
