// The Debian mirror the image is bootstrapped from: the one the controller's apt already uses, so
// the lab works where only that mirror is reachable. STEER_LAB_MIRROR overrides it.
import { readFile, readdir } from 'node:fs/promises';

const FALLBACK = 'http://deb.debian.org/debian';

export async function debianMirror(): Promise<string> {
  if (process.env.STEER_LAB_MIRROR) return process.env.STEER_LAB_MIRROR;
  const files = ['/etc/apt/sources.list'];
  try {
    for (const name of (await readdir('/etc/apt/sources.list.d')).sort()) {
      if (name.endsWith('.list') || name.endsWith('.sources')) files.push(`/etc/apt/sources.list.d/${name}`);
    }
  } catch {
    // no sources.list.d
  }
  for (const file of files) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch {
      continue;
    }
    const found = mirrorFromSources(text, file.endsWith('.sources') ? 'deb822' : 'one-line');
    if (found) return found;
  }
  return FALLBACK;
}

/** The first Debian bookworm archive named in an apt sources file. */
export function mirrorFromSources(text: string, format: 'one-line' | 'deb822'): string | undefined {
  return format === 'deb822' ? fromDeb822(text) : fromOneLine(text);
}

/** Is this a Debian archive carrying bookworm (not the security archive, not a third-party repo)? */
function isDebianMain(uri: string, suites: string[]): boolean {
  return suites.includes('bookworm') && !/security/.test(uri);
}

function fromOneLine(text: string): string | undefined {
  for (const line of text.split('\n')) {
    const words = line.replace(/#.*/, '').replace(/\[[^\]]*\]/, '').trim().split(/\s+/);
    if (words[0] === 'deb' && words[1] && isDebianMain(words[1], [words[2] ?? ''])) return words[1];
  }
  return undefined;
}

function fromDeb822(text: string): string | undefined {
  for (const stanza of text.split(/\n\s*\n/)) {
    const field = (name: string) =>
      stanza
        .split('\n')
        .find((l) => l.toLowerCase().startsWith(name.toLowerCase() + ':'))
        ?.slice(name.length + 1)
        .trim()
        .split(/\s+/) ?? [];
    const types = field('Types');
    const uris = field('URIs');
    if (types.includes('deb') && uris[0] && isDebianMain(uris[0], field('Suites'))) return uris[0];
  }
  return undefined;
}
