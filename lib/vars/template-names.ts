// nunjucks (3.2.4) compiles a template to JavaScript source and writes the names it meets — variable,
// set and loop targets, macro, import and test names, the callee shown in call errors — between
// double quotes without escaping them. A name that holds a quote or a backslash ends the string early,
// and what follows in the template becomes JavaScript: `{% set "a\"); CODE; //" = 1 %}`,
// `{{ 1 is "a\"); CODE; //" }}` or `{{ "a\\\", …; CODE; //".split() }}` run CODE on the controller
// without touching any object. Every parsed template is checked here before it is compiled: a name is
// an identifier (Unicode letters, digits, `_`, `$`, dotted for filter names), and where nunjucks
// expects a name it gets one, never a string; the callee text of call errors is made safe to quote.
import { nunjucksLib } from './nunjucks-lib.js';

interface Node {
  typename: string;
  fields: string[];
  value?: unknown;
  children?: Node[];
  [field: string]: unknown;
}

/** A name nunjucks can put between double quotes in generated code. */
const NAME = /^[\p{L}\p{Nl}_$][\p{L}\p{Nl}\p{N}\p{Mn}\p{Mc}\p{Pc}$]*(?:\.[\p{L}\p{Nl}_$][\p{L}\p{Nl}\p{N}\p{Mn}\p{Mc}\p{Pc}$]*)*$/u;

function fail(node: Node, what: string): never {
  const shown = node.typename === 'Symbol' || node.typename === 'Literal' ? ` ${JSON.stringify(String(node.value)).slice(0, 60)}` : ` (${node.typename})`;
  throw new Error(`${what} must be a plain name, not${shown}`);
}

function isNode(value: unknown): value is Node {
  return typeof value === 'object' && value !== null && typeof (value as Node).typename === 'string';
}

function symbol(node: unknown, what: string): void {
  if (!isNode(node) || node.typename !== 'Symbol') fail(node as Node, what);
}

function symbols(list: unknown, what: string, allowPairs = false): void {
  for (const child of (list as Node | undefined)?.children ?? []) {
    if (allowPairs && child.typename === 'Pair') {
      symbol(child['key'], what);
      if (child['value'] !== undefined && (child['value'] as Node).typename !== 'Literal') symbol(child['value'], what);
    } else if (child.typename === 'KeywordArgs') {
      for (const pair of child.children ?? []) symbol(pair['key'], what);
    } else symbol(child, what);
  }
}

/** Checks the places nunjucks' compiler writes a node's value as a name. */
function checkNode(node: Node): void {
  switch (node.typename) {
    case 'Symbol':
      if (typeof node.value !== 'string' || !NAME.test(node.value)) fail(node, 'a variable name');
      return;
    case 'Set':
      for (const target of node['targets'] as Node[]) symbol(target, 'a set target');
      return;
    case 'For':
    case 'AsyncEach':
    case 'AsyncAll': {
      const name = node['name'] as Node;
      if (name.typename === 'Array') symbols(name, 'a loop variable');
      else symbol(name, 'a loop variable');
      return;
    }
    case 'Macro':
    case 'Caller':
      symbol(node['name'], 'a macro name');
      symbols(node['args'], 'a macro argument');
      return;
    case 'Import':
      symbol(node['target'], 'an import name');
      return;
    case 'FromImport':
      symbols(node['names'], 'an imported name', true);
      return;
    case 'Is': {
      const right = (node['right'] as Node).typename === 'FunCall' ? ((node['right'] as Node)['name'] as Node) : (node['right'] as Node);
      // `x is none`, `x is true`: the keywords parse as literals and name nunjucks' null/true/false tests.
      if (right.typename === 'Literal' && (right.value === null || typeof right.value === 'boolean')) return;
      symbol(right, 'a test name');
      return;
    }
    case 'Block':
      symbol(node['name'], 'a block name');
      return;
  }
}

function walk(node: unknown, visit: (n: Node) => void): void {
  if (Array.isArray(node)) {
    for (const child of node) walk(child, visit);
    return;
  }
  if (!isNode(node)) return;
  visit(node);
  for (const field of node.fields) walk(node[field], visit);
}

interface Internals {
  parser: { parse(...args: unknown[]): unknown };
  compiler: { Compiler: { prototype: { _getNodeName(node: unknown): string } } };
}

let installed = false;

/** Puts the name checks in front of nunjucks' compiler (process-wide, once). */
export function guardTemplateNames(): void {
  if (installed) return;
  installed = true;
  const { parser, compiler } = nunjucksLib() as unknown as Internals;
  const parse = parser.parse;
  parser.parse = (...args: unknown[]) => {
    const ast = parse(...args);
    walk(ast, checkNode);
    return ast;
  };
  // Only shown in "Unable to call `…`" messages: no backslash or line break may reach the quotes.
  const proto = compiler.Compiler.prototype;
  const nodeName = proto._getNodeName;
  proto._getNodeName = function (this: unknown, node: unknown): string {
    return String(nodeName.call(this, node)).replace(/[\\\r\n\u2028\u2029]/g, '?');
  };
}
