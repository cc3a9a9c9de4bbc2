// apt_source: an apt repository with its own keyring in /etc/apt/keyrings (signed-by), in one-line
// (.list) or deb822 (.sources) form. The key is given armored or fetched on the host with curl; the
// result's data.changed tells the role to refresh the package cache (apt's sourceChanged).
import { mkdirCommand, removeCommand } from '../connection/host-functions.js';
import { sh } from '../command/command.js';
import { argError, presentOrAbsent, stringList } from './args.js';
import { fileSections, parseFileState, planContent, type FileState } from './file-state.js';
import type { Action, Module, Plan } from './module.js';
import { ModuleError } from './module.js';
import { dearmor } from './pgp.js';
import { runProbe, type SectionOutput } from './probe.js';

export interface AptSourceArgs {
  /** Names the files: /etc/apt/sources.list.d/NAME.list (or .sources), /etc/apt/keyrings/NAME.gpg. */
  name: string;
  /** e.g. https://pkgs.k8s.io/core:/stable:/v1.34/deb/ */
  uri: string;
  /** e.g. 'bookworm', or '/' for a flat repository. */
  suite: string;
  components?: string[];
  architectures?: string[];
  /** The repository key, ASCII-armored (or binary). */
  key?: string;
  /** Where the host fetches the key from (curl), e.g. https://pkgs.k8s.io/core:/stable:/v1.34/deb/Release.key */
  keyUrl?: string;
  /** The keyring file (default /etc/apt/keyrings/NAME.gpg). */
  keyring?: string;
  /** 'list' (default): one-line format; 'sources': deb822. */
  format?: 'list' | 'sources';
  state?: 'present' | 'absent';
}

export interface AptSourceState {
  keyrings: FileState;
  keyring: FileState;
  list: FileState;
  sources: FileState;
  /** The key fetched from keyUrl. */
  fetched?: SectionOutput;
}

export interface AptSourceData extends Record<string, unknown> {
  changed: boolean;
}

export const KEYRINGS = '/etc/apt/keyrings';

export function aptSourcePaths(name: string, keyring?: string): { keyring: string; list: string; sources: string } {
  return {
    keyring: keyring ?? `${KEYRINGS}/${name}.gpg`,
    list: `/etc/apt/sources.list.d/${name}.list`,
    sources: `/etc/apt/sources.list.d/${name}.sources`,
  };
}

export const apt_source: Module<AptSourceArgs, AptSourceState, AptSourceData> = {
  name: 'apt_source',
  args: {
    type: 'object',
    properties: {
      name: { type: 'string' },
      uri: { type: 'string' },
      suite: { type: 'string' },
      components: stringList,
      architectures: stringList,
      key: { type: 'string' },
      keyUrl: { type: 'string' },
      keyring: { type: 'string' },
      format: { enum: ['list', 'sources'] },
      state: presentOrAbsent,
    },
    required: ['name', 'uri', 'suite'],
    additionalProperties: false,
  },
  validate(args) {
    if (!/^[A-Za-z0-9_.-]+$/.test(args.name)) argError('apt_source', `name must be a plain file name (got "${args.name}")`);
    if (!/^[a-z+]+:\/\/\S+$/.test(args.uri)) argError('apt_source', `uri must be a URL (got "${args.uri}")`);
    for (const w of [args.suite, ...(args.components ?? []), ...(args.architectures ?? [])]) {
      if (!/^\S+$/.test(w)) argError('apt_source', `"${w}" must be one word`);
    }
    if (args.state !== 'absent' && (args.key === undefined) === (args.keyUrl === undefined)) {
      argError('apt_source', 'give exactly one of key, keyUrl');
    }
    if (args.keyring !== undefined && !/^\/\S+$/.test(args.keyring)) argError('apt_source', 'keyring must be an absolute path');
    if (args.keyUrl !== undefined && !/^https?:\/\/\S+$/.test(args.keyUrl)) argError('apt_source', 'keyUrl must be an http(s) URL');
  },
  async probe(args, ctx) {
    const paths = aptSourcePaths(args.name, args.keyring);
    const outputs = await runProbe(ctx, {
      ...fileSections('keyrings', paths.keyring.replace(/\/[^/]+$/, '') || '/'),
      ...fileSections('keyring', paths.keyring),
      ...fileSections('list', paths.list, { content: true }),
      ...fileSections('sources', paths.sources, { content: true }),
      ...(args.keyUrl !== undefined && args.state !== 'absent' ? { fetch: sh`curl -fsSL --max-time 60 -- ${args.keyUrl}` } : {}),
    });
    const state: AptSourceState = {
      keyrings: parseFileState(outputs, 'keyrings'),
      keyring: parseFileState(outputs, 'keyring'),
      list: parseFileState(outputs, 'list'),
      sources: parseFileState(outputs, 'sources'),
    };
    if (outputs['fetch']) state.fetched = outputs['fetch'];
    return state;
  },
  plan(args, state): Plan<AptSourceData> {
    const paths = aptSourcePaths(args.name, args.keyring);
    const actions: Action[] = [];
    const notes: string[] = [];
    const format = args.format ?? 'list';
    const remove = (path: string, file: FileState): void => {
      if (!file.exists) return;
      actions.push({ kind: 'run', command: removeCommand(path, false) });
      notes.push(`remove ${path}`);
    };
    if (args.state === 'absent') {
      remove(paths.list, state.list);
      remove(paths.sources, state.sources);
      remove(paths.keyring, state.keyring);
      return { actions, summary: notes.join('; ') || undefined, data: { changed: actions.length > 0 } };
    }

    let key: Buffer;
    if (args.keyUrl !== undefined) {
      if (!state.fetched || state.fetched.code !== 0) {
        throw new ModuleError(`apt_source: could not fetch ${args.keyUrl} on the host (curl exit ${state.fetched?.code ?? '?'})`);
      }
      key = dearmor(state.fetched.bytes);
    } else {
      key = dearmor(args.key!);
    }
    if (!state.keyrings.exists) {
      actions.push({ kind: 'run', command: mkdirCommand(paths.keyring.replace(/\/[^/]+$/, ''), '0755') });
    }
    const keyPlan = planContent(paths.keyring, key, state.keyring, { mode: '0644' }, { diff: false });
    actions.push(...keyPlan.actions);
    if (keyPlan.actions.length) notes.push(`${state.keyring.exists ? 'replace' : 'add'} key ${paths.keyring}`);

    const path = format === 'list' ? paths.list : paths.sources;
    const source = aptSourceContent(args, paths.keyring);
    const sourcePlan = planContent(path, source, format === 'list' ? state.list : state.sources, { mode: '0644' });
    actions.push(...sourcePlan.actions);
    if (sourcePlan.actions.length) notes.push(`${path}: ${sourcePlan.changes.join(', ')}`);
    remove(format === 'list' ? paths.sources : paths.list, format === 'list' ? state.sources : state.list);

    return {
      actions,
      diffs: sourcePlan.diffs,
      summary: notes.join('; ') || undefined,
      data: { changed: actions.length > 0 },
    };
  },
};

/** The source file's text in the chosen format. */
export function aptSourceContent(args: AptSourceArgs, keyring: string): string {
  const components = args.components ?? [];
  const arch = args.architectures ?? [];
  if ((args.format ?? 'list') === 'list') {
    const options = [...(arch.length ? [`arch=${arch.join(',')}`] : []), `signed-by=${keyring}`].join(' ');
    return `deb [${options}] ${[args.uri, args.suite, ...components].join(' ')}\n`;
  }
  const lines = ['Types: deb', `URIs: ${args.uri}`, `Suites: ${args.suite}`];
  if (components.length) lines.push(`Components: ${components.join(' ')}`);
  if (arch.length) lines.push(`Architectures: ${arch.join(' ')}`);
  lines.push(`Signed-By: ${keyring}`);
  return `${lines.join('\n')}\n`;
}
