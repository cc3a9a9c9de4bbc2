// Test support: a fake sudo for become tests on the controller (local connection).
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A stand-in for sudo on PATH: asks for a password with the prompt it is given (-p) when -S is
 * used, fails like sudo -n otherwise, then runs the command with FAKE_SUDO_USER set. Every wrong
 * password read is a line in DIR/bin/failed-attempts (what pam_faillock would count).
 */
export function fakeSudo(dir: string, password: string): string {
  const bin = join(dir, 'bin');
  mkdirSync(bin, { recursive: true });
  writeFileSync(
    join(bin, 'sudo'),
    `#!/bin/bash
prompt='Password:'; user=root; stdin=0; nonint=0
while [ $# -gt 0 ]; do
  case "$1" in
    -S) stdin=1 ;; -n) nonint=1 ;; -H) ;;
    -p) prompt="$2"; shift ;; -u) user="$2"; shift ;;
    --) shift; break ;; *) break ;;
  esac
  shift
done
if [ $nonint = 1 ]; then echo "sudo: a password is required" >&2; exit 1; fi
for try in 1 2 3; do
  printf '%s' "$prompt" >&2
  IFS= read -r pw || exit 1
  [ "$pw" = ${JSON.stringify(password)} ] && { export FAKE_SUDO_USER="$user"; exec "$@"; }
  echo "$user" >> "$(dirname "$0")/failed-attempts"
  echo "Sorry, try again." >&2
done
exit 1
`,
  );
  chmodSync(join(bin, 'sudo'), 0o755);
  return bin;
}
