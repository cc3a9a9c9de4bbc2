// A clean Debian machine for the README's test command: debootstrap minbase, nothing added, cached
// under the lab's cache root (built once, one build at a time, like the lab image).
import { join } from 'node:path';
import { ensureCachedRoot, IMAGE_SUITE, type CachedRootSpec, type ImageInfo } from '../../lab/image.js';
import { CACHE_ROOT } from '../../lab/paths.js';

export const CLEAN_ROOT: CachedRootSpec = {
  dir: join(CACHE_ROOT, `clean-root-${IMAGE_SUITE}`),
  lock: join(CACHE_ROOT, 'clean-root.lock'),
  what: 'the clean-machine root',
  suite: IMAGE_SUITE,
  packages: [],
  revision: 1,
};

/** The cached minimal root (its rootfs is only ever a read-only lower layer). */
export function ensureCleanRoot(log: (line: string) => void): Promise<ImageInfo> {
  return ensureCachedRoot(CLEAN_ROOT, log);
}
