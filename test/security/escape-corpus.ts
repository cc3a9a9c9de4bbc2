// Known escapes from nunjucks and Jinja templates, for the sandbox tests (sandbox.test.ts). Every
// entry holds CODE (JavaScript that leaves traces when it runs), SHELL (the same through a shell) or
// BASE64 (CODE, encoded); instantiate() fills them in, in a double-quoted and a single-quoted variant.
// This module imports nothing from lib/, so a worker can run the corpus against unpatched nunjucks.
//
// Sources of the corpus:
//  - tplmap's nunjucks plugin (epinna/tplmap plugins/engines/nunjucks.py): range.constructor(...)()
//  - mozilla/nunjucks#338: a.constructor.__proto__.constructor(...)(); mozilla/nunjucks#1048 (no sandbox);
//    mozilla/nunjucks#1330/#1331 (prototype pollution through frame lookups)
//  - egg-view-nunjucks#20/#21 and node-modules/nunjucks#5/#6 (disse.cting.org, "sandbox break-out
//    nunjucks template engine", 2016): constructor chains from strings, lists, globals; module.require
//  - PayloadsAllTheThings, Server Side Template Injection (JavaScript.md, Python.md): constructor
//    chains, Jinja2's cycler/joiner/namespace/lipsum __globals__ payloads, attr/format filter bypasses
//  - pallets/jinja#549 and jinja2/sandbox.py (unsafe attributes, str.format, MAX_RANGE)
//  - found while building this corpus: nunjucks 3.2.4's compiler writes set/loop/macro/import/test
//    names and callee names between quotes unescaped, so a quote in one turns the rest into
//    JavaScript without any object access (lib/vars/template-names.ts)
/** Known escapes; CODE, SHELL and BASE64 stand for the JavaScript to run. */
export const CORPUS: string[] = [
  // tplmap, PayloadsAllTheThings, issue 14's own input
  '{{ range.constructor("CODE")() }}',
  '{{ range.constructor("SHELL")() }}',
  `{{range.constructor("return eval(Buffer('BASE64','base64').toString())")()}}`,
  '{{ range.constructor("return global.process.mainModule.require(\'child_process\').execSync(\'id\').toString()")() }}',
  // constructor chains from every kind of value (nunjucks#338, #1048, egg-view-nunjucks#20)
  '{{ a.constructor.__proto__.constructor("CODE")() }}',
  '{{ "".constructor.constructor("CODE")() }}',
  "{{ ''.constructor.constructor('CODE')() }}",
  '{{ [].constructor.constructor("CODE")() }}',
  '{{ {}.constructor.constructor("CODE")() }}',
  '{{ (1).constructor.constructor("CODE")() }}',
  '{{ n.constructor.constructor("CODE")() }}',
  '{{ flag.constructor.constructor("CODE")() }}',
  '{{ list.constructor.constructor("CODE")() }}',
  '{{ map.constructor.constructor("CODE")() }}',
  '{{ map.inner.x.constructor.constructor("CODE")() }}',
  '{{ hostvars.constructor.constructor("CODE")() }}',
  '{{ hostvars.h1.constructor.constructor("CODE")() }}',
  '{{ a.toString.constructor("CODE")() }}',
  '{{ a.split.constructor("CODE")() }}',
  '{{ a.split(",").constructor.constructor("CODE")() }}',
  '{{ map.items.constructor("CODE")() }}',
  '{{ map.items().constructor.constructor("CODE")() }}',
  '{{ a.__proto__.constructor.constructor("CODE")() }}',
  '{{ a.__proto__.__proto__.constructor.constructor("CODE")() }}',
  // globals and their properties: range, cycler, joiner (nunjucks' defaults), our capture helper
  '{{ cycler.constructor("CODE")() }}',
  '{{ joiner.constructor("CODE")() }}',
  '{{ cycler(1, 2).next.constructor("CODE")() }}',
  '{{ cycler(1, 2).constructor.constructor("CODE")() }}',
  '{{ joiner().constructor("CODE")() }}',
  '{{ __steer_capture.constructor("CODE")() }}',
  '{{ range.call.constructor("CODE")() }}',
  '{{ range.apply(null, ["CODE"]) }}',
  '{{ range.bind(null)("CODE") }}',
  '{{ range.constructor.call(null, "CODE")() }}',
  '{{ range.__proto__.constructor("CODE")() }}',
  '{{ range.prototype.constructor.constructor("CODE")() }}',
  '{{ range.caller }}{{ range.arguments }}{{ range.name }}{{ range.length }}',
  '{{ range(100000000000) }}',
  '{{ range(0, 1, 0) }}',
  // computed attribute names and string building (filter bypasses)
  '{{ range["constructor"]("CODE")() }}',
  '{{ range["const" ~ "ructor"]("CODE")() }}',
  '{{ range[["con", "structor"]|join]("CODE")() }}',
  "{{ range['\\x63onstructor']('CODE')() }}",
  '{% set c = "constructor" %}{{ range[c][c]("CODE")() }}',
  '{{ a["__proto__"]["constructor"]["constructor"]("CODE")() }}',
  // set tricks and names that are inherited properties
  '{% set f = range.constructor("CODE") %}{{ f() }}',
  '{% set r = range %}{{ r.constructor("CODE")() }}',
  '{% set __proto__ = {"polluted": "yes"} %}{{ polluted }}',
  '{% set x = {"__proto__": {"polluted": 1}} %}{{ x.polluted }}',
  '{{ constructor("CODE")() }}',
  '{{ constructor.constructor("CODE")() }}',
  '{{ __proto__.constructor.constructor("CODE")() }}',
  '{{ toString.constructor("CODE")() }}',
  '{{ valueOf.call() }}',
  '{{ hasOwnProperty.constructor("CODE")() }}',
  '{{ __defineGetter__("x", range) }}',
  '{{ __lookupGetter__("__proto__") }}',
  '{{ isPrototypeOf.constructor("CODE")() }}',
  // macros, callers and loops
  '{% macro m() %}x{% endmacro %}{{ m.constructor("CODE")() }}',
  '{% macro m() %}{{ caller.constructor("CODE")() }}{% endmacro %}{% call m() %}x{% endcall %}',
  '{% for x in [1] %}{{ loop.constructor.constructor("CODE")() }}{% endfor %}',
  '{% for k, v in range %}{{ v }}{% endfor %}{% for k in range.constructor %}{{ k }}{% endfor %}',
  '{{ (m|default(range)).constructor("CODE")() }}',
  // filters that read attributes (nunjucks' map/sort/sum/groupby/selectattr, Ansible's map)
  '{{ ([range]|map(attribute="constructor")|first)("CODE")() }}',
  '{{ (["x"]|map(attribute="constructor")|first).constructor("CODE")() }}',
  '{{ ([[]]|map(attribute="constructor")|list)[0]("CODE") }}',
  '{{ [a]|sort(attribute="constructor") }}',
  '{{ [a]|sum(attribute="constructor") }}',
  '{{ [a]|groupby("constructor") }}',
  '{{ [a]|selectattr("constructor")|list }}',
  '{{ [map]|join(",", "constructor") }}',
  '{{ [range]|first }}',
  // implicit calls of functions put in data: toString, toJSON, valueOf, join
  '{{ {"toString": range.constructor} ~ "" }}',
  '{{ {"toJSON": range.constructor}|to_json }}',
  '{{ {"toJSON": range}|dump }}',
  '{{ {"valueOf": range.constructor}|int }}',
  '{{ {"join": range.constructor}|join("CODE") }}',
  '{{ {"toString": ([a]|map(attribute="constructor")|first)} ~ "" }}',
  // Jinja2 payloads (PayloadsAllTheThings Python.md, pallets/jinja#549): nothing of Python exists here
  "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
  "{{ joiner.__init__.__globals__.os.popen('id').read() }}",
  "{{ namespace.__init__.__globals__.os.popen('id').read() }}",
  '{{ lipsum.__globals__["os"].popen("id").read() }}',
  "{{ ''.__class__.__mro__[1].__subclasses__() }}",
  "{{ self.__init__.__globals__ }}",
  "{{ config.__class__.__init__.__globals__['os'].popen('ls').read() }}",
  '{{ a|attr("constructor") }}',
  "{{ '{0.__class__}'.format(a) }}",
  "{{ '{0.constructor.constructor}'.format(a) }}",
  "{{ '{0[constructor]}'.format(a) }}",
  // reading files: no loader, so include/import/extends find nothing
  "{% include '/etc/passwd' %}",
  "{% import '/etc/passwd' as p %}{{ p }}",
  "{% from '/etc/passwd' import root %}{{ root }}",
  "{% extends '/etc/passwd' %}",
  // the compiler: quotes and escapes inside literals and names never become code
  '{{ "\\"); CODE; (\\"" }}',
  "{{ '\\'); CODE; (\\'' }}",
  '{{ map["\\"]); CODE; //"] }}',
  '{{ a ~ "`${CODE}`" }}',
  '{{ "\\u0022); CODE; //" }}',
  '{% set x = "</script>" %}{{ x }}',
  // the compiler: names written between quotes unescaped (set/loop/macro/import/test/callee names)
  '{% set "a\\"); CODE; //" = 1 %}',
  '{% set "a\\"); CODE; //" %}x{% endset %}',
  '{% set x, "a\\"); CODE; //" = 1 %}',
  '{% for k, "a\\"); CODE; //" in {"k": 1} %}{% endfor %}',
  '{% macro "a\\"); CODE; //"() %}{% endmacro %}',
  '{% from "x" import "a\\"); CODE; //" %}',
  '{% import "x" as "a\\"); CODE; //" %}',
  '{{ 1 is "defined\\").call(context, 1) === true, (function () { CODE })(), env.opts.autoescape); //" }}',
  '{{ 1 is "defined\\").call(context, 1, 2) === true, (function () { CODE })(), env.opts.autoescape); //"(2) }}',
  '{{ "a\\\\\\", context, [])), env.opts.autoescape); (function () { CODE })(); //".split() }}',
  '{{ "a\\\\\\", context, [])), env.opts.autoescape); (function () { CODE })(); //".toUpperCase() }}',
  '{{ a\\ ~ b\\ }}',
];

/** JavaScript that, if it ever runs, sets globalThis[flag] and writes `marker`; returns CODE_RAN. */
export function payloadCode(marker: string, flag: string): string {
  return `globalThis.${flag} = 1; process.getBuiltinModule('fs').writeFileSync('${marker}', 'x'); return ['CODE', 'RAN'].join('_')`;
}

/** The same through a shell: touches `marker` and prints `id`. */
export function payloadShell(marker: string): string {
  return `return process.getBuiltinModule('child_process').execSync('touch ${marker}; id').toString()`;
}

/** An entry with its placeholders filled: for double-quoted and for single-quoted template strings. */
export function instantiate(raw: string, marker: string, flag: string): [string, string] {
  const code = payloadCode(marker, flag);
  const shell = payloadShell(marker);
  const fill = (quote: string) =>
    raw
      .replaceAll('BASE64', Buffer.from(code).toString('base64'))
      .replaceAll('SHELL', shell.replaceAll(quote, `\\${quote}`))
      .replaceAll('CODE', code.replaceAll(quote, `\\${quote}`));
  return [fill('"'), fill("'")];
}

/** What a template's output or error looks like when a payload ran. */
export const RAN = /CODE_RAN|uid=\d+/;
