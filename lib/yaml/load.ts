// YAML with locations: every loader (inventory, playbook, vars files, role variables) parses through
// here, so a mistake anywhere is reported as `path:line:col: what is wrong`.
import { readFileSync } from 'node:fs';
import { LineCounter, isAlias, isCollection, isNode, isPair, isScalar, parseDocument, type Document, type DocumentOptions, type SchemaOptions } from 'yaml';
import { UserError, type SourceLocation } from '../errors.js';
import { decryptVaultScalar, isVaultScalar, isVaultText, openVaultFile, registerSecretsIn, withVaultTag } from '../vault/yaml.js';

export type YamlPath = readonly (string | number)[];

export interface YamlFile {
  path: string;
  /** The parsed value (plain JS). */
  value: unknown;
  /** Where the node at `at` (keys/indexes from the root) starts; the file alone if not found. */
  locate(at: YamlPath, part?: 'key' | 'value'): SourceLocation;
}

function locationAt(file: string, counter: LineCounter, offset: number): SourceLocation {
  const { line, col } = counter.linePos(offset);
  return { file, line, col };
}

/**
 * One pass over the nodes, without recursion (a deeply nested document must end in a UserError, not
 * a stack overflow): refuses a list, a mapping or !!binary data as a key (`[a, b]: 1`, `? {a: 1}`) —
 * PyYAML refuses the first two as unhashable, and as JS object keys all would become made-up
 * strings — and decrypts `!vault` values in place.
 */
function checkNodes(doc: Document, text: string, path: string, counter: LineCounter): void {
  const locate = (offset: number) => locationAt(path, counter, offset);
  const vault = text.includes('!vault');
  const stack: unknown[] = [doc.contents];
  while (stack.length > 0) {
    const node = stack.pop();
    if (isPair(node)) {
      const key = isAlias(node.key) ? node.key.resolve(doc) : node.key;
      const binary = isScalar(key) && typeof key.value === 'object' && key.value !== null;
      if (isCollection(key) || binary) {
        const at = isNode(node.key) && node.key.range ? locate(node.key.range[0]) : { file: path };
        throw new UserError('invalid key: a list, mapping or binary value cannot be a mapping key (expected a name or a number)', 'YAML_COMPLEX_KEY', at);
      }
      stack.push(node.value);
    } else if (isCollection(node)) {
      for (let i = node.items.length - 1; i >= 0; i--) stack.push(node.items[i]);
    } else if (vault && isVaultScalar(node)) {
      decryptVaultScalar(node, text, locate);
    }
  }
}

/** Deeper than any real file; the YAML library recurses per level, and V8 can abort (not throw) near its stack limit. */
const MAX_DEPTH = 500;

/**
 * The offset where the text nests deeper than MAX_DEPTH (flow brackets, indentation levels and
 * `- - -` on one line counted together), or -1. Quoted text and comments are skipped; an estimate
 * that is exact for the nesting that matters (a block scalar's indented lines count as levels too).
 */
function tooDeepAt(text: string): number {
  const indents: number[] = [];
  let flow = 0;
  let quote = '';
  let lineStart = true;
  let indent = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '\n') {
      lineStart = true;
      indent = 0;
      if (quote === "'") quote = '';
      continue;
    }
    if (quote) {
      if (ch === quote && !(quote === '"' && text[i - 1] === '\\')) quote = '';
      continue;
    }
    if (lineStart) {
      if (ch === ' ') {
        indent++;
        continue;
      }
      lineStart = false;
      if (ch === '\r') continue;
      while (indents.length > 0 && indents[indents.length - 1]! >= indent) indents.pop();
      indents.push(indent);
    }
    if (ch === '#' && (i === 0 || /\s/.test(text[i - 1]!))) {
      const end = text.indexOf('\n', i);
      i = (end < 0 ? text.length : end) - 1;
      continue;
    }
    if (ch === '"' || ch === "'") quote = ch;
    else if (ch === '[' || ch === '{') flow++;
    else if ((ch === ']' || ch === '}') && flow > 0) flow--;
    else if (ch === '-' && text[i + 1] === ' ') indents.push(Infinity); // `- - x`: a level each, until the next line
    if (flow + indents.length > MAX_DEPTH) return i;
  }
  return -1;
}

/** Schema choices a caller may make (e.g. the inventory reads YAML 1.1 as Ansible's PyYAML does). */
export type YamlParseOptions = Pick<DocumentOptions, 'version'> & Pick<SchemaOptions, 'customTags'>;

/** Parses YAML text; bad syntax and duplicate keys are UserErrors with the exact position. */
export function parseYaml(text: string, path: string, options: YamlParseOptions = {}): YamlFile {
  const counter = new LineCounter();
  const deep = tooDeepAt(text);
  if (deep >= 0) {
    counter.addNewLine(0);
    for (let i = text.indexOf('\n'); i >= 0 && i < deep; i = text.indexOf('\n', i + 1)) counter.addNewLine(i + 1);
    throw new UserError(`invalid YAML: nested deeper than ${MAX_DEPTH} levels`, 'YAML_TOO_DEEP', locationAt(path, counter, deep));
  }
  const doc: Document = parseDocument(text, {
    ...options,
    customTags: withVaultTag(options.customTags),
    lineCounter: counter,
    uniqueKeys: true,
    prettyErrors: false,
  });
  const first = doc.errors[0];
  if (first) {
    const loc = locationAt(path, counter, first.pos[0]);
    const message =
      first.code === 'DUPLICATE_KEY'
        ? 'duplicate key (each key may appear once in a mapping)'
        : `invalid YAML: ${first.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}`;
    throw new UserError(message, first.code === 'DUPLICATE_KEY' ? 'YAML_DUPLICATE_KEY' : 'YAML_SYNTAX', loc);
  }
  checkNodes(doc, text, path, counter);
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 1000 });
  } catch (err) {
    // e.g. an alias whose anchor does not exist (`greeting: *hi`), or an alias bomb.
    const alias = /alias.*?:\s*\*?(\S+)\s*$/i.exec((err as Error).message.split('\n')[0]!)?.[1];
    const offset = alias ? text.indexOf(`*${alias}`) : -1;
    const loc = offset >= 0 ? locationAt(path, counter, offset) : { file: path };
    throw new UserError(`invalid YAML: ${(err as Error).message.split('\n')[0]}`, 'YAML_ALIAS', loc);
  }
  return {
    path,
    value,
    locate(at, part = 'value') {
      if (at.length === 0) return doc.contents && doc.contents.range ? locationAt(path, counter, doc.contents.range[0]) : { file: path };
      if (part === 'key') {
        const parent = doc.getIn(at.slice(0, -1), true);
        const map = parent as { items?: { key: unknown }[] } | undefined;
        const pair = map?.items?.find((p) => isScalar(p.key) && String(p.key.value) === String(at[at.length - 1]));
        if (pair && isNode(pair.key) && pair.key.range) return locationAt(path, counter, pair.key.range[0]);
      }
      const node = doc.getIn(at, true);
      if (isNode(node) && node.range) return locationAt(path, counter, node.range[0]);
      // A missing leaf: point at its parent.
      return at.length > 1 ? this.locate(at.slice(0, -1), part) : { file: path };
    },
  };
}

/** Reads and parses a YAML file; a missing file is a UserError. */
export function loadYamlFile(path: string, displayPath = path, options: YamlParseOptions = {}): YamlFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UserError(code === 'ENOENT' ? 'file not found' : `cannot read file (${code})`, 'FILE_NOT_FOUND', { file: displayPath });
  }
  // A whole file encrypted with ansible-vault: every value in it is a secret.
  if (!isVaultText(text)) return parseYaml(text, displayPath, options);
  const file = parseYaml(openVaultFile(text, displayPath), displayPath, options);
  registerSecretsIn(file.value);
  return file;
}
