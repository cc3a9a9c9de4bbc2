// Ansible reads inventories and vars files with PyYAML, i.e. YAML 1.1 with PyYAML's own resolvers:
// `yes`/`no`/`on`/`off` are booleans (but `y`/`n` are not), `010` is octal, `1e3` is a string (an
// exponent needs a dot and a sign). Timestamps stay strings here: Ansible prints a plain date as the
// same text anyway. Floats are PythonFloat values (2.0 stays 2.0). Files that are valid JSON are
// read as JSON first, as Ansible's loader does (there `2.0` becomes 2: JSON.parse keeps no text).
import { readFileSync } from 'node:fs';
import { isScalar, type ScalarTag, type Tags } from 'yaml';
import { PythonFloat } from '../vars/python-float.js';
import { isVaultText, openVaultFile, registerSecretsIn } from '../vault/yaml.js';
import { loadYamlFile, parseYaml, type YamlFile, type YamlParseOptions } from '../yaml/load.js';

const pyTrue = /^(?:yes|Yes|YES|true|True|TRUE|on|On|ON)$/;
const pyFalse = /^(?:no|No|NO|false|False|FALSE|off|Off|OFF)$/;
const pyDecimal = /^[-+]?(?:0|[1-9][0-9_]*)$/;
const pyFloat = /^(?:[-+]?[0-9][0-9_]*\.[0-9_]*|\.[0-9_]+)$/;
const pyFloatExp = /^(?:[-+]?[0-9][0-9_]*\.[0-9_]*|\.[0-9_]+)[eE][-+][0-9]+$/;

function withTest(tag: ScalarTag, test: RegExp): ScalarTag {
  return { ...tag, test };
}

/** A float tag whose values are PythonFloat: `v: 2.0` stays 2.0 (ansible-inventory prints 2.0). */
function pythonFloats(tag: ScalarTag): ScalarTag {
  return {
    ...tag,
    resolve(source, onError, options) {
      const value = tag.resolve(source, onError, options);
      return new PythonFloat(Number(isScalar(value) ? value.value : value), source);
    },
  };
}

function pyyamlTags(tags: Tags): Tags {
  const out: Tags = [];
  for (const tag of tags) {
    if (typeof tag === 'string' || !('test' in tag) || !(tag.test instanceof RegExp)) {
      out.push(tag);
      continue;
    }
    const t = tag as ScalarTag & { test: RegExp };
    switch (t.tag) {
      case 'tag:yaml.org,2002:timestamp':
        continue;
      case 'tag:yaml.org,2002:bool':
        out.push(withTest(t, t.test.test('true') ? pyTrue : pyFalse));
        continue;
      case 'tag:yaml.org,2002:int':
        out.push(t.test.test('12') && !t.test.test('0x1') && !t.test.test('1:2') ? withTest(t, pyDecimal) : t);
        continue;
      case 'tag:yaml.org,2002:float':
        if (t.test.test('1e5')) out.push(pythonFloats(withTest(t, pyFloatExp)));
        else if (t.test.test('1.5')) out.push(pythonFloats(withTest(t, pyFloat)));
        else out.push(pythonFloats(t));
        continue;
      default:
        out.push(t);
    }
  }
  return out;
}

export const ansibleYamlOptions: YamlParseOptions = { version: '1.1', customTags: pyyamlTags };

/** YAML 1.2 (steer's own files: roles' variables.yaml) with floats kept as PythonFloat. */
export const pythonFloatYamlOptions: YamlParseOptions = {
  customTags: (tags: Tags) => tags.map((t) => (typeof t !== 'string' && 'test' in t && t.tag === 'tag:yaml.org,2002:float' ? pythonFloats(t as ScalarTag) : t)),
};

function jsonFirst(text: string, path: string): YamlFile | undefined {
  const trimmed = text.trimStart();
  if (!trimmed.startsWith('{') && !trimmed.startsWith('[')) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    // JSON keeps no positions: point at the file's first line for later messages.
    return { path, value, locate: () => ({ file: path, line: 1, col: 1 }) };
  } catch {
    return undefined;
  }
}

/** Parses inventory/vars text as Ansible does (JSON first, then PyYAML-flavoured YAML 1.1). */
export function parseAnsibleYaml(text: string, displayPath: string): YamlFile {
  return jsonFirst(text, displayPath) ?? parseYaml(text, displayPath, ansibleYamlOptions);
}

/** Reads a file with parseAnsibleYaml's rules; a missing file is a UserError. */
export function loadAnsibleYamlFile(path: string, displayPath = path): YamlFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    // Let the shared loader word the error (missing file, unreadable file) as everywhere else.
    return loadYamlFile(path, displayPath, ansibleYamlOptions);
  }
  if (!isVaultText(text)) return parseAnsibleYaml(text, displayPath);
  // A vars file encrypted whole with ansible-vault: every value in it is a secret.
  const file = parseAnsibleYaml(openVaultFile(text, displayPath), displayPath);
  registerSecretsIn(file.value);
  return file;
}
