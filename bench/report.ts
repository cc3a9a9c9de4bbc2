// The results: one table row per comparison, with the issue's targets next to them, printed as
// Markdown (pasted as is into docs/benchmark.md and the README) and saved as JSON in bench/results/.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BenchConfig } from './config.js';
import type { WorkloadResult } from './workloads.js';

export interface Row {
  workload: string;
  steer: string;
  against: string;
  ratio: string;
  target: string;
  /** true / false when there is a target; undefined when there is none. */
  met?: boolean;
  /** How far off, when missed. */
  shortBy?: string;
}

const s = (seconds: number): string => (seconds < 1 ? `${(seconds * 1000).toFixed(0)} ms` : `${seconds.toFixed(2)} s`);
const x = (ratio: number | undefined): string => (ratio === undefined || Number.isNaN(ratio) ? '—' : `${ratio}×`);
const pct = (have: number, want: number): string => `${Math.round(Math.abs(1 - have / want) * 100)}%`;

export function rows(results: WorkloadResult[]): Row[] {
  const out: Row[] = [];
  for (const r of results) {
    const ansible = r.ansible ? `ansible ${s(r.ansible.median)}` : '—';
    if (r.id === '1') {
      const met = (r.ratioAnsible ?? 0) >= 40;
      out.push({ workload: `1. ${r.title}`, steer: s(r.steer.median), against: ansible, ratio: x(r.ratioAnsible), target: '≥ 40× ansible', met, ...(met ? {} : { shortBy: `${pct(r.ratioAnsible ?? 0, 40)} short` }) });
      if (r.ssh) {
        const metSsh = (r.ratioSsh ?? 0) >= 3;
        out.push({ workload: '1. same, against one ssh process per step (ControlMaster)', steer: s(r.steer.median), against: `ssh ${s(r.ssh.median)}`, ratio: x(r.ratioSsh), target: '≥ 3× ssh per step', met: metSsh, ...(metSsh ? {} : { shortBy: `${pct(r.ratioSsh ?? 0, 3)} short` }) });
      }
    } else if (r.id === '6') {
      const met = (r.ratioAnsible ?? 0) >= 25;
      out.push({ workload: `6. ${r.title}`, steer: s(r.steer.median), against: ansible, ratio: x(r.ratioAnsible), target: '≥ 25× ansible', met, ...(met ? {} : { shortBy: `${pct(r.ratioAnsible ?? 0, 25)} short` }) });
    } else if (r.id === '3') {
      // Issue 18 tightened issue 8's 150 ms to 100 ms.
      const after = r.steerFactsSeconds ?? NaN;
      const met = after < 0.1;
      out.push({ workload: `3. ${r.title}`, steer: `${s(r.steer.median)} (${s(after)} after connecting)`, against: ansible, ratio: x(r.ratioAnsible), target: '< 100 ms after connecting', met, ...(met ? {} : { shortBy: `${pct(after, 0.1)} over` }) });
    } else if (r.id.startsWith('5.')) {
      out.push(scaleRow(r, results));
    } else {
      const num = r.id.replace(/\D.*$/, '');
      out.push({ workload: `${num}. ${r.title}`, steer: s(r.steer.median), against: ansible, ratio: x(r.ratioAnsible), target: '—' });
    }
    if (r.hostCpuMsPerStep) out.push(hostCpuRow(r));
    if (r.problems.length) out[out.length - 1]!.workload += ' ⚠';
  }
  return out;
}

/** The hosts' CPU per step: steer against the others; no process forked per probe would be ~0. */
function hostCpuRow(r: WorkloadResult): Row {
  const c = r.hostCpuMsPerStep!;
  const ms = (v: number): string => `${v.toFixed(1)} ms`;
  const against = [c.ansible !== undefined ? `ansible ${ms(c.ansible)}` : '', c.ssh !== undefined ? `ssh ${ms(c.ssh)}` : ''].filter(Boolean).join(', ');
  return { workload: `${r.id}. host CPU per step (connecting included)`, steer: ms(c.steer), against: against || '—', ratio: c.ansible ? x(round1(c.ansible / c.steer)) : '—', target: '—' };
}

const round1 = (n: number): number => Math.round(n * 10) / 10;

/**
 * Scale targets: growth from the previous host count no worse than linear (issues 8, 18); at the
 * largest count memory < 150 MB (issue 8, 60 hosts), or ≤ 200 MB from 250 hosts on (issue 18); at
 * 200 hosts ≤ 6 s (issue 18).
 */
function scaleRow(r: WorkloadResult, all: WorkloadResult[]): Row {
  const scale = all.filter((w) => w.id.startsWith('5.'));
  const i = scale.indexOf(r);
  const prev = scale[i - 1];
  const last = i === scale.length - 1;
  const peak = r.steerPeakRssMb ?? NaN;
  const growth = prev ? r.steer.median / prev.steer.median : undefined;
  const hostsGrowth = prev ? r.hosts / prev.hosts : undefined;
  const linear = growth === undefined || growth <= hostsGrowth!;
  const memoryCap = r.hosts >= 250 ? 200 : last ? 150 : undefined;
  const memoryOk = memoryCap === undefined || (r.hosts >= 250 ? peak <= memoryCap : peak < memoryCap);
  const timeCap = r.hosts === 200 ? 6 : undefined;
  const timeOk = timeCap === undefined || r.steer.median <= timeCap;
  const targets = [
    prev ? `time ≤ ×${hostsGrowth!.toFixed(1)}` : '',
    timeCap ? `≤ ${timeCap} s` : '',
    memoryCap ? `memory ${r.hosts >= 250 ? '≤' : '<'} ${memoryCap} MB` : '',
  ].filter(Boolean);
  const misses = [
    linear ? '' : `time ×${growth!.toFixed(2)} for ×${hostsGrowth!.toFixed(1)} hosts`,
    timeOk ? '' : `time ${pct(r.steer.median, timeCap!)} over`,
    memoryOk ? '' : `memory ${pct(peak, memoryCap!)} over`,
  ].filter(Boolean);
  return {
    workload: `5. ${r.title}`,
    steer: `${s(r.steer.median)}, peak ${peak.toFixed(0)} MB`,
    against: prev ? `${prev.hosts} host${prev.hosts === 1 ? '' : 's'}: ${s(prev.steer.median)}` : '—',
    ratio: growth === undefined ? '—' : `time ×${growth.toFixed(2)}`,
    target: targets.join('; ') || '—',
    ...(targets.length ? { met: misses.length === 0 } : {}),
    ...(misses.length ? { shortBy: misses.join('; ') } : {}),
  };
}

export function markdownTable(table: Row[]): string {
  const lines = [
    '| workload | steer (median) | against (median) | steer faster by | target | met? |',
    '|---|---|---|---|---|---|',
    ...table.map((r) => `| ${r.workload} | ${r.steer} | ${r.against} | ${r.ratio} | ${r.target} | ${r.met === undefined ? '—' : r.met ? 'yes' : `**no**${r.shortBy ? ` (${r.shortBy})` : ''}`} |`),
  ];
  return lines.join('\n');
}

export async function saveResults(dir: string, data: { config: BenchConfig; results: WorkloadResult[]; table: Row[]; [key: string]: unknown }): Promise<string> {
  await mkdir(dir, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const path = join(dir, `${stamp}.json`);
  await writeFile(path, JSON.stringify({ ...data, config: { ...data.config, workloads: [...data.config.workloads] } }, null, 2) + '\n');
  return path;
}
