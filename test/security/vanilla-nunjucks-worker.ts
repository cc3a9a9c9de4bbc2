// Runs the escape corpus against nunjucks as it ships (no steer sandbox: this process never imports
// lib/), and prints which entries ran their code. The sandbox test uses it to show the corpus is live:
// these inputs do run code on an unprotected controller. argv[2]: a scratch folder for the markers.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import nunjucks from 'nunjucks';
import { CORPUS, instantiate } from './escape-corpus.js';

const dir = process.argv[2]!;
const env = new nunjucks.Environment(null, { autoescape: false });
const vars = { a: 'text', n: 7, flag: true, list: [1, 'two'], map: { k: 'v', inner: { x: [1] } }, empty: {}, hostvars: { h1: { banner: 'hi' } } };
const ran: number[] = [];
CORPUS.forEach((raw, i) => {
  // An unbounded range() takes unpatched nunjucks down with the whole process.
  if (/range\(\d{6,}/.test(raw)) return;
  const marker = join(dir, `marker-${i}`);
  const flag = `__vanillaRan${i}`;
  for (const template of instantiate(raw, marker, flag)) {
    try {
      new nunjucks.Template(template, env, undefined, true).render(vars);
    } catch {
      // Most fail one way or another; what matters is whether the code ran first.
    }
  }
  if (existsSync(marker) || (globalThis as Record<string, unknown>)[flag] !== undefined) ran.push(i);
});
process.stdout.write(JSON.stringify({ ran }));
