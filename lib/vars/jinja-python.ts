// nunjucks compiles Jinja expressions to JavaScript operators; this makes them mean what they mean
// in Jinja (Python): `not`, `and`, `or`, `if` use Python's truthiness, `==`/`<`/`in`/`+`/`~` follow
// python-semantics.ts, output and `~` print Python's str() ("True", "2.0", "[1, 'a']"; None prints
// nothing at the top, as Ansible's finalize does), and an undefined name or attribute is Jinja's
// strict Undefined (undefined.ts) instead of JavaScript's silent `undefined`.
//
// It works by replacing a few of nunjucks' Compiler methods (process-wide: steer is the only user
// of nunjucks in the process) so the generated code calls `runtime.steer*` helpers added below.
// The runtime's own lookups (memberLookup, callWrap, contextOrFrameLookup — which the template
// sandbox replaces) are still what the helpers call, so both layers compose.
import { nunjucksLib } from './nunjucks-lib.js';
import { PythonFloat } from './python-float.js';
import { pyArith, pyCompare, pyIn, pyStr, pyTruth, pythonTypeName, PythonTypeError } from './python-semantics.js';
import { defined, firstUndefined, makeUndefined, undefinedInfo, UndefinedValueError } from './undefined.js';

type Frame = unknown;
interface AstNode {
  typename: string;
  value?: unknown;
  target?: AstNode;
  val?: AstNode;
  lineno: number;
  colno: number;
  [key: string]: unknown;
}
interface CompilerThis {
  _emit(code: string): void;
  _emitLine(code: string): void;
  compile(node: AstNode, frame: Frame): void;
  _compileExpression(node: AstNode, frame: Frame): void;
  _compileAggregate(node: AstNode, frame: Frame, start: string, end: string): void;
  _getNodeName(node: AstNode): string;
  buffer: string;
}
type CompileMethod = (this: CompilerThis, node: AstNode, frame: Frame, ...rest: unknown[]) => void;

type Lib = {
  compiler: { Compiler: { prototype: Record<string, CompileMethod> } };
  runtime: Record<string, unknown> & { memberLookup(obj: unknown, key: unknown): unknown; SafeString: new (v: string) => { val: string } };
  nodes: { TemplateData: new (...a: unknown[]) => AstNode };
};
const lib = (): Lib => nunjucksLib() as unknown as Lib;

/** `a.b["c"]` for messages, from the expression's syntax tree. */
function pathOf(node: AstNode): string {
  if (node.typename === 'Symbol') return String(node.value);
  if (node.typename === 'LookupVal' && node.target && node.val) {
    const key = node.val;
    if (key.typename === 'Literal' && typeof key.value === 'string' && /^[A-Za-z_]\w*$/.test(key.value)) return `${pathOf(node.target)}.${key.value}`;
    if (key.typename === 'Literal') return `${pathOf(node.target)}[${JSON.stringify(key.value)}]`;
    return `${pathOf(node.target)}[${pathOf(key)}]`;
  }
  if (node.typename === 'Literal') return JSON.stringify(node.value);
  return '…';
}

/** What a missing attribute was looked up on, for "x has no key 'y'". */
function missingReason(obj: unknown, key: unknown, path: string): string {
  const owner = path.replace(/(\.[^.[\]]+|\[[^\]]*\])$/, '') || 'the value';
  if (obj === null || obj === undefined) return `${owner} is None`;
  if (Array.isArray(obj)) return `${owner} is a list of ${obj.length} item(s), without index ${JSON.stringify(key)}`;
  if (typeof obj === 'object' && !(obj instanceof PythonFloat)) return `${owner} has no key ${JSON.stringify(key)}`;
  return `${owner} is a ${pythonTypeName(obj)}, without attribute ${JSON.stringify(key)}`;
}

const helpers = {
  steerTruth: pyTruth,
  steerOr: (left: unknown, right: () => unknown) => (pyTruth(left) ? left : right()),
  steerAnd: (left: unknown, right: () => unknown) => (pyTruth(left) ? right() : left),
  steerCompare: pyCompare,
  steerIn: pyIn,
  steerArith: pyArith,
  steerConcat: (a: unknown, b: unknown) => pyStr(a) + pyStr(b),
  /** `obj.key`: an attribute of an undefined value is undefined; a missing one becomes Undefined. */
  steerMember(obj: unknown, key: unknown, path: string): unknown {
    const info = undefinedInfo(obj);
    if (info) return info.cause || info.reason ? makeUndefined({ ...info }) : makeUndefined({ ...info, path });
    const value = obj === null || obj === undefined ? undefined : lib().runtime.memberLookup(obj, key);
    return value === undefined ? makeUndefined({ path, reason: missingReason(obj, key, path) }) : value;
  },
  /** What `{{ … }}` prints: Python's str(), nothing for None (Ansible's finalize). */
  steerOutput(value: unknown, path: string): string {
    defined(value, path);
    if (value === null) return '';
    if (value instanceof lib().runtime.SafeString) return value.val;
    return pyStr(value);
  },
  /** What a `for` loop walks: a list, a string's characters, a mapping; never an undefined value. */
  steerIterable(value: unknown, path: string): unknown {
    defined(value, path);
    if (typeof value === 'string') return [...value];
    if (value === null || typeof value !== 'object') throw new PythonTypeError(`'${pythonTypeName(value)}' object is not iterable (${path})`);
    return value;
  },
  /** The function of a call: calling something undefined reports what was undefined. */
  steerCallee(fn: unknown): unknown {
    const info = undefinedInfo(fn);
    if (info) throw new UndefinedValueError(info);
    return fn;
  },
  /** A call's arguments: an undefined one is an error, as when Python reads it. */
  steerArgs(args: unknown[]): unknown[] {
    const u = firstUndefined(args);
    if (u) throw new UndefinedValueError(undefinedInfo(u)!);
    return args;
  },
};

/** Compiles `node` wrapped as `prefix(node suffix)`. */
function wrapped(c: CompilerThis, node: AstNode, frame: Frame, prefix: string, suffix = ')'): void {
  c._emit(prefix);
  c.compile(node, frame);
  c._emit(suffix);
}

/** Runs `original` with the expression `target` compiled inside `prefix … suffix`. */
function withWrappedExpression(c: CompilerThis, target: unknown, prefix: string, suffix: string, original: () => void): void {
  const own = Object.hasOwn(c, '_compileExpression');
  const inner = c._compileExpression;
  c._compileExpression = function (node: AstNode, frame: Frame) {
    if (node !== target) return inner.call(c, node, frame);
    c._emit(prefix);
    inner.call(c, node, frame);
    c._emit(suffix);
  };
  try {
    original();
  } finally {
    // Nested blocks (an `if` in a `for`) each wrap their own expression; restore the outer one.
    if (own) c._compileExpression = inner;
    else delete (c as unknown as Record<string, unknown>)['_compileExpression'];
  }
}

const binary = (op: string): CompileMethod =>
  function (node, frame) {
    wrapped(this, node['left'] as AstNode, frame, `runtime.steerArith(${JSON.stringify(op)}, `, ', ');
    wrapped(this, node['right'] as AstNode, frame, '', ')');
  };

const lazy = (helper: string): CompileMethod =>
  function (node, frame) {
    wrapped(this, node['left'] as AstNode, frame, `runtime.${helper}(`, ', () => (');
    wrapped(this, node['right'] as AstNode, frame, '', '))');
  };

const compilers: Record<string, (original: CompileMethod) => CompileMethod> = {
  compileNot: () =>
    function (node, frame) {
      wrapped(this, node.target!, frame, '!runtime.steerTruth(');
    },
  compileOr: () => lazy('steerOr'),
  compileAnd: () => lazy('steerAnd'),
  compileInlineIf: () =>
    function (node, frame) {
      wrapped(this, node['cond'] as AstNode, frame, '(runtime.steerTruth(', ') ? ');
      wrapped(this, node['body'] as AstNode, frame, '(', ') : ');
      if (node['else_']) wrapped(this, node['else_'] as AstNode, frame, '(', '))');
      else this._emit('"")');
    },
  compileIf: (original) =>
    function (node, frame, ...rest) {
      withWrappedExpression(this, node['cond'], 'runtime.steerTruth(', ')', () => original.call(this, node, frame, ...rest));
    },
  compileCompare: () =>
    function (node, frame) {
      wrapped(this, node['expr'] as AstNode, frame, 'runtime.steerCompare(', '');
      for (const op of node['ops'] as AstNode[]) wrapped(this, op['expr'] as AstNode, frame, `, ${JSON.stringify(op['type'])}, `, '');
      this._emit(')');
    },
  compileIn: () =>
    function (node, frame) {
      wrapped(this, node['left'] as AstNode, frame, 'runtime.steerIn(', ', ');
      wrapped(this, node['right'] as AstNode, frame, '', ')');
    },
  compileAdd: () => binary('+'),
  compileSub: () => binary('-'),
  compileMul: () => binary('*'),
  compileDiv: () => binary('/'),
  compileFloorDiv: () => binary('//'),
  compileMod: () => binary('%'),
  compilePow: () => binary('**'),
  compileConcat: () =>
    function (node, frame) {
      wrapped(this, node['left'] as AstNode, frame, 'runtime.steerConcat(', ', ');
      wrapped(this, node['right'] as AstNode, frame, '', ')');
    },
  compileLookupVal: () =>
    function (node, frame) {
      this._emit('runtime.steerMember((');
      this._compileExpression(node.target!, frame);
      this._emit('),');
      this._compileExpression(node.val!, frame);
      this._emit(`, ${JSON.stringify(pathOf(node))})`);
    },
  compileFunCall: () =>
    function (node, frame) {
      const name = this._getNodeName(node['name'] as AstNode).replace(/"/g, '\\"');
      this._emit(`(lineno = ${node.lineno}, colno = ${node.colno}, runtime.callWrap(runtime.steerCallee(`);
      this._compileExpression(node['name'] as AstNode, frame);
      this._emit(`), "${name}", context, runtime.steerArgs(`);
      this._compileAggregate(node['args'] as AstNode, frame, '[', ']');
      this._emit(')))');
    },
  compileOutput: () =>
    function (node, frame) {
      for (const child of node['children'] as AstNode[]) {
        if (child instanceof lib().nodes.TemplateData) {
          if (child.value) {
            this._emit(`${this.buffer} += `);
            this.compile(child, frame);
            this._emitLine(';');
          }
          continue;
        }
        this._emit(`${this.buffer} += runtime.steerOutput(`);
        this.compile(child, frame);
        this._emitLine(`, ${JSON.stringify(pathOf(child))});`);
      }
    },
  compileFor: (original) =>
    function (node, frame, ...rest) {
      const arr = node['arr'] as AstNode;
      withWrappedExpression(this, arr, 'runtime.steerIterable(', `, ${JSON.stringify(pathOf(arr))})`, () => original.call(this, node, frame, ...rest));
    },
};

let installed = false;

/**
 * Makes every template compiled from now on follow Python's semantics (see the header). Call once,
 * before compiling templates; calling again does nothing.
 */
export function installPythonSemantics(): void {
  if (installed) return;
  installed = true;
  const { runtime, compiler } = lib();
  const proto = compiler.Compiler.prototype;
  Object.assign(runtime, helpers);
  for (const [name, make] of Object.entries(compilers)) {
    const original = proto[name]!;
    proto[name] = make(original);
  }
}
