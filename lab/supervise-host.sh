#!/bin/bash
# steer lab: keeps one lab host's systemd-nspawn running the way a real machine behaves. A reboot
# inside the host (nspawn exits 133) boots it again after the boot delay, with a new boot id; a
# power-off inside the host (exit 0), or SIGTERM from `steer lab stop`/`down` (which makes nspawn
# shut the host down cleanly), ends it.
# Usage: supervise-host.sh HOST_DIR BOOT_DELAY CGROUP_NAME -- SYSTEMD_NSPAWN_ARGS...
set -u
host_dir=$1 boot_delay=$2 cgroup_name=$3
shift 4
stopping=0
child=
on_term() {
  stopping=1
  if [ -n "$child" ]; then kill -TERM "$child" 2>/dev/null; fi
}
trap on_term TERM INT HUP

# `steer lab up` records our pid right after starting us; a supervisor it could not record (the
# `up` was killed in between) would be invisible to `down`, so it ends here instead of booting.
recorded=
for _ in $(seq 100); do
  if [ -s "$host_dir/supervisor.pid" ]; then read -r recorded _ < "$host_dir/supervisor.pid"; break; fi
  sleep 0.1
done
if [ "$recorded" != $$ ]; then
  echo "supervise-host: not recorded in $host_dir/supervisor.pid; not starting" >&2
  exit 1
fi

start_time() {
  local s
  s=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
  s=${s##*) }
  set -- $s
  echo "${20}"
}

# nspawn --keep-unit splits the cgroup it runs in (into "supervisor" and "payload"): give each host
# a cgroup of its own, under ours, in the hierarchies nspawn uses. Recorded before creation.
cgroups=()
: > "$host_dir/cgroups"
# Read once: /proc/self/cgroup changes as we move.
own=$(cat /proc/self/cgroup)
while IFS=: read -r _ controllers path; do
  case $controllers in
    '') mount_point=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/self/mounts) ;;
    name=systemd) mount_point=/sys/fs/cgroup/systemd ;;
    *) continue ;;
  esac
  [ -n "$mount_point" ] && [ -d "$mount_point" ] || continue
  dir=$mount_point${path%/}/steer-lab-$cgroup_name
  echo "$dir" >> "$host_dir/cgroups"
  if mkdir -p "$dir" && echo $$ > "$dir/cgroup.procs"; then cgroups+=("$dir"); fi
done <<< "$own"

remove_sub_cgroups() {
  local dir
  for dir in "${cgroups[@]}"; do
    find "$dir" -mindepth 1 -depth -type d -exec rmdir {} + 2>/dev/null
  done
}

rc=0
while [ "$stopping" = 0 ]; do
  echo booting > "$host_dir/phase"
  # API_VFS_WRITABLE=network: `sysctl net.*` works in the host. UNIFIED_HIERARCHY: the host sees
  # cgroup v2, as Raspberry Pi OS bookworm does.
  SYSTEMD_NSPAWN_API_VFS_WRITABLE=network SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=1 systemd-nspawn "$@" &
  child=$!
  echo "$child $(start_time "$child")" > "$host_dir/nspawn.pid"
  # A stop that arrived before $child was known.
  if [ "$stopping" = 1 ]; then kill -TERM "$child" 2>/dev/null; fi
  # `wait` also returns when a trapped signal arrives: wait again until nspawn has really ended.
  while kill -0 "$child" 2>/dev/null; do
    wait "$child"
    rc=$?
  done
  child=
  rm -f "$host_dir/nspawn.pid"
  remove_sub_cgroups
  echo "nspawn exited with $rc" >&2
  [ "$rc" = 133 ] && [ "$stopping" = 0 ] || break
  echo rebooting > "$host_dir/phase"
  if [ "$boot_delay" != 0 ]; then
    sleep "$boot_delay" &
    child=$!
    wait "$child"
    kill "$child" 2>/dev/null
    child=
  fi
done

echo off > "$host_dir/phase"
# Leave our cgroups (a cgroup holding a process cannot be removed), then remove them.
for dir in "${cgroups[@]}"; do
  echo $$ > "${dir%/*}/cgroup.procs" 2>/dev/null
  rmdir "$dir" 2>/dev/null
done
exit 0
