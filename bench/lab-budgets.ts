// Checks the lab's budgets (issue 3) on this machine; run by hand as root, not by the tests:
//   node --import tsx bench/lab-budgets.ts [--fresh-image] [--skip-10]
// Budgets: image build ≤ 3 min (measured with --fresh-image, which deletes the cached image first),
// `up 3` ≤ 30 s with the image cached, ≤ 64 MB per idle host, `up 10` works.
import { rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ensureImage } from '../lab/image.js';
import { labDown, labStatus, labUp } from '../lab/lab.js';
import { hostMemory } from '../lab/memory.js';
import { checkController } from '../lab/preflight.js';
import { allLabs } from '../lab/state.js';

const MB = 1024 * 1024;
const args = process.argv.slice(2);
const results: { budget: string; measured: string; ok: boolean }[] = [];
const log = (line: string) => process.stderr.write(`  ${line}\n`);

await checkController();

if (args.includes('--fresh-image')) {
  if ((await allLabs()).length > 0) throw new Error('--fresh-image needs every lab down (they boot from the cached image)');
  const current = await ensureImage(log);
  await rm(dirname(current.rootfs), { recursive: true, force: true });
  const built = await ensureImage(log);
  results.push({ budget: 'image build ≤ 180 s', measured: `${built.builtSeconds} s`, ok: (built.builtSeconds ?? 0) <= 180 });
} else {
  await ensureImage(log);
}

// Warm the package cache so `up 3` is measured as users see it after their first lab.
await labUp({ name: 'budget-warm', hosts: 1, inventoryPath: null, log });
await labDown('budget-warm');

try {
  const info = await labUp({ name: 'budget', hosts: 3, inventoryPath: null, log });
  const seconds = info.timings.total ?? Infinity;
  results.push({ budget: 'up 3 ≤ 30 s (cached image)', measured: `${seconds.toFixed(1)} s (${Object.entries(info.timings).map(([k, v]) => `${k} ${v.toFixed(1)}`).join(', ')})`, ok: seconds <= 30 });
  // Idle: let boot-time services settle.
  await new Promise((r) => setTimeout(r, 20_000));
  let worst = 0;
  const per: string[] = [];
  for (const host of info.hosts) {
    const memory = await hostMemory('budget', host.name);
    if (!memory) throw new Error(`no cgroup found for ${host.name}`);
    worst = Math.max(worst, memory.totalBytes);
    per.push(`${host.name} PSS ${(memory.totalBytes / MB).toFixed(1)} MB (host ${(memory.containerBytes / MB).toFixed(1)} + nspawn/supervisor ${((memory.totalBytes - memory.containerBytes) / MB).toFixed(1)}), RSS ${(memory.rssBytes / MB).toFixed(1)} MB`);
  }
  results.push({ budget: '≤ 64 MB per idle host (PSS)', measured: per.join('; '), ok: worst <= 64 * MB });
} finally {
  await labDown('budget');
}

if (!args.includes('--skip-10')) {
  try {
    const started = Date.now();
    const info = await labUp({ name: 'budget10', hosts: 10, inventoryPath: null, log });
    const status = await labStatus('budget10');
    const running = status.filter((h) => h.power === 'running').length;
    results.push({ budget: 'up 10 works', measured: `${running}/10 running in ${((Date.now() - started) / 1000).toFixed(1)} s`, ok: running === 10 && info.hosts.length === 10 });
  } finally {
    await labDown('budget10');
  }
}

for (const r of results) process.stdout.write(`${r.ok ? 'ok  ' : 'OVER'}  ${r.budget.padEnd(30)}  ${r.measured}\n`);
process.exitCode = results.every((r) => r.ok) ? 0 : 1;
