# Shell functions every steer shell defines once, at its start (see framing.ts SHELL_PRELUDE):
# how steer reaches a path on a host without being sent elsewhere by a symlink another user made.
#
# The rule (docs/security.md, "Paths on hosts"): a symlink is followed only when it is trusted,
# i.e. owned by root or by the shell's own user AND in a folder that no one else can change (owned
# by root or the shell's user, not group/other-writable, or sticky). A walk goes down the path one
# folder at a time with `cd -P`, checking after each step that it landed where the name says; every
# later operation is relative to that pinned folder, so swapping a name afterwards changes nothing.
# Files are opened first and checked to be what was looked at (not a symlink, same inode), then
# read, chmod-ed and chown-ed through /proc/self/fd, never by name again.
#
# Results: 0 ok; 96 a folder on the way does not exist; 97 refused or failed ($__steer_error says
# why). Only builtins run unless a symlink is on the way (then stat and readlink).

# __steer_trusted_link NAME: the symlink NAME (in the current folder) is trusted.
__steer_trusted_link() {
  local s link dir lu du dm
  s=$(stat -c '%u %a' -- "$1" .) || return 1
  link=${s%%$'\n'*}
  dir=${s#*$'\n'}
  lu=${link%% *}
  du=${dir%% *}
  dm=$((8#${dir#* }))
  { [ "$lu" = 0 ] || [ "$lu" = "$EUID" ]; } && { [ "$du" = 0 ] || [ "$du" = "$EUID" ]; } &&
    { [ $((dm & 8#22)) = 0 ] || [ $((dm & 8#1000)) != 0 ]; }
}

# __steer_walk PATH FOLLOW CREATE: cd into the folder holding PATH's last component, for real.
# FOLLOW=1 follows a trusted symlink in the last place too (an untrusted one is left alone and its
# owner put in __steer_untrusted); CREATE=1 makes missing folders on the way (mkdir -p). Sets
# __steer_name (the last component: a name in the current folder, or '.' for a trailing slash).
__steer_walk() {
  local todo=$1 c t prev last hops=0
  __steer_untrusted=
  __steer_error=
  __steer_name=
  case $todo in
    /*) cd / || return 97 ;;
    *) __steer_error="$1: not an absolute path"; return 97 ;;
  esac
  while :; do
    while [ "${todo#/}" != "$todo" ]; do todo=${todo#/}; done
    if [ -z "$todo" ]; then
      __steer_name=.
      return 0
    fi
    c=${todo%%/*}
    last=
    if [ "$c" = "$todo" ]; then
      todo=
      last=1
    else
      todo=${todo#*/}
    fi
    case $c in
      .) continue ;;
      ..) cd -P .. || return 97; continue ;;
    esac
    if [ "$last" = 1 ]; then
      __steer_name=$c
      [ -L "$c" ] && [ "$2" = 1 ] || return 0
    fi
    if [ -L "$c" ]; then
      if ! __steer_trusted_link "$c"; then
        if [ "$last" = 1 ]; then
          __steer_untrusted=$(stat -c %U -- "$c")
          return 0
        fi
        __steer_error="$1: ${PWD%/}/$c is a symlink that another user could have made or changed; steer does not follow it"
        return 97
      fi
      hops=$((hops + 1))
      if [ $hops -gt 40 ] || ! t=$(readlink -- "$c"); then
        __steer_error="$1: cannot resolve the symlink ${PWD%/}/$c"
        return 97
      fi
      case $t in /*) cd / || return 97 ;; esac
      todo=${t#/}${todo:+/$todo}
      continue
    fi
    if [ ! -e "$c" ]; then
      if [ "$3" != 1 ]; then
        __steer_error="$1: the folder ${PWD%/}/$c does not exist"
        return 96
      fi
      # The last folder of __steer_mkdir gets its mode (mkdir -p -m does the same).
      if [ -z "$todo" ] && [ -n "$__steer_mkdir_mode" ]; then mkdir -m "$__steer_mkdir_mode" -- "$c"; else mkdir -- "$c"; fi ||
        { __steer_error="$1: cannot create the folder ${PWD%/}/$c"; return 97; }
    fi
    prev=${PWD%/}
    if ! cd -P -- "$c" 2>/dev/null; then
      __steer_error="$1: $prev/$c is not a folder steer can enter"
      return 97
    fi
    if [ "$PWD" != "$prev/$c" ]; then
      __steer_error="$1: $prev/$c changed while steer was checking it"
      return 97
    fi
  done
}

# __steer_open: fd 5 on the regular file or folder __steer_name, checked to be the very thing the
# walk found. 95: it is something else (a FIFO, a device …), 96: it does not exist, 98: an
# untrusted symlink.
__steer_open() {
  [ -z "$__steer_untrusted" ] || { __steer_error="${PWD%/}/$__steer_name is a symlink owned by $__steer_untrusted in a folder others can change; steer does not follow it"; return 98; }
  [ -e "$__steer_name" ] || return 96
  [ -f "$__steer_name" ] || [ -d "$__steer_name" ] || return 95
  exec 5<"$__steer_name" || return 97
  if [ -L "$__steer_name" ] || ! [ "$__steer_name" -ef /proc/self/fd/5 ]; then
    __steer_error="${PWD%/}/$__steer_name changed while steer was opening it"
    return 97
  fi
}

# __steer_fail STATUS: says $__steer_error on stderr and returns STATUS.
__steer_fail() {
  printf 'steer: %s\n' "$__steer_error" >&2
  return "$1"
}

# __steer_stat PATH LIMIT HASH: a probe's view of PATH (see file-state.ts fileSections): nothing
# when it does not exist; `refused|why`; else `%F|%a|%u|%U|%g|%G|%s`, the real path, and the
# sha256 of a regular file (HASH=1, or when it is larger than LIMIT and its content is not read).
# An untrusted symlink is described, never followed: its stat line, path and target text.
__steer_stat() {
  local s
  __steer_walk "$1" 1 0
  case $? in
    0) ;;
    96) return 0 ;;
    *) printf 'refused|%s\n' "$__steer_error"; return 0 ;;
  esac
  if [ -n "$__steer_untrusted" ]; then
    stat -c '%F|%a|%u|%U|%g|%G|%s' -- "$__steer_name" && printf '%s\n' "${PWD%/}/$__steer_name" && readlink -- "$__steer_name"
    return
  fi
  __steer_open
  case $? in
    0) ;;
    95) stat -c '%F|%a|%u|%U|%g|%G|%s' -- "$__steer_name" && printf '%s\n' "${PWD%/}/$__steer_name"; return ;;
    96) return 0 ;;
    *) printf 'refused|%s\n' "$__steer_error"; return 0 ;;
  esac
  s=$(stat -L -c '%F|%a|%u|%U|%g|%G|%s' /proc/self/fd/5) || return
  if [ "$__steer_name" = . ]; then printf '%s\n%s\n' "$s" "$PWD"; else printf '%s\n%s\n' "$s" "${PWD%/}/$__steer_name"; fi
  if [ -f /proc/self/fd/5 ] && { [ "$3" = 1 ] || [ "${s##*|}" -gt "$2" ]; }; then
    sha256sum <&5 | cut -d' ' -f1
  fi
}

# __steer_read PATH LIMIT: the first LIMIT bytes of the regular file PATH (fails otherwise).
__steer_read() {
  __steer_walk "$1" 1 0 && __steer_open && [ -f /proc/self/fd/5 ] && head -c "$2" <&5
}

# __steer_get PATH [OFFSET LENGTH]: the whole regular file PATH on stdout, or LENGTH bytes from
# byte OFFSET (tail seeks on the open file: a large file is read in pieces, each under the output
# cap); exit 3 when it does not exist.
__steer_get() {
  __steer_walk "$1" 1 0
  case $? in 0) ;; 96) return 3 ;; *) __steer_fail 97; return ;; esac
  __steer_open
  case $? in
    0) [ -f /proc/self/fd/5 ] || return 1
       if [ -n "$2" ]; then tail -c "+$(($2 + 1))" <&5 | head -c "$3"; else cat <&5; fi ;;
    96) return 3 ;;
    95) __steer_error="$1 is not a regular file"; __steer_fail 97 ;;
    *) __steer_fail 97 ;;
  esac
}

# __steer_on PATH CMD ARGS…: runs `CMD ARGS… /proc/self/fd/5` on the existing file or folder PATH
# (chmod, chown: never through an untrusted symlink, never on a name swapped meanwhile).
__steer_on() {
  local path=$1
  shift
  __steer_walk "$path" 1 0 || { __steer_fail 97; return; }
  __steer_open
  case $? in
    0) "$@" /proc/self/fd/5 ;;
    96) __steer_error="$path does not exist"; __steer_fail 97 ;;
    95) __steer_error="$path is neither a regular file nor a folder"; __steer_fail 97 ;;
    *) __steer_fail 97 ;;
  esac
}

# __steer_rm PATH [-r]: removes PATH itself (a symlink, not what it points to).
__steer_rm() {
  __steer_walk "$1" 0 0
  case $? in 0) ;; 96) return 0 ;; *) __steer_fail 97; return ;; esac
  [ "$__steer_name" != . ] || { __steer_error="$1: will not remove a folder given with a trailing slash"; __steer_fail 97; return; }
  rm -f ${2:+"$2"} -- "$__steer_name"
}

# __steer_mkdir PATH [MODE]: makes the folder PATH and its parents, never through an untrusted
# symlink; a new PATH gets MODE.
__steer_mkdir() {
  local __steer_mkdir_mode=$2
  __steer_walk "$1/" 1 1 || __steer_fail 97
}

# __steer_sweep: removes this user's `.steer-put.*` temp files in the current folder that nobody
# has written for 10 minutes (left by a killed upload). Regular files only, never followed.
__steer_sweep() {
  find . -maxdepth 1 -name '.steer-put.*' -type f -uid "$EUID" -mmin +10 -delete 2>/dev/null
  return 0
}

# __steer_put PATH TOKEN SWEEP MODE OWNER GROUP [UPLOAD [SIBLING]]: writes stdin (or the file
# UPLOAD) to PATH atomically: a new temp file (O_EXCL, in the pinned folder) gets the content, the
# mode and owner (as asked, else those of the file it replaces, else the umask default) through its
# fd, then is renamed over the name — which replaces an untrusted symlink instead of writing
# through it. SIBLING=1: UPLOAD is already a temp file in that folder; it is renamed, not copied.
__steer_put() {
  local path=$1 t=.steer-put.$2 mode=$4 owner=$5 group=$6 upload=$7 s
  __steer_walk "$path" 1 0 || { __steer_fail 97; return; }
  if [ "$__steer_name" = . ] || { [ -d "$__steer_name" ] && [ ! -L "$__steer_name" ]; }; then
    __steer_error="$path is a folder"
    __steer_fail 97
    return
  fi
  [ "$3" = 1 ] && __steer_sweep
  if [ "$8" = 1 ]; then
    t=${upload##*/}
    exec 6<"$t" || return 97
    if [ -L "$t" ] || ! [ -f "$t" ] || ! [ "$t" -ef /proc/self/fd/6 ]; then
      __steer_error="the upload $t is not the file steer wrote"
      __steer_fail 97
      return
    fi
  else
    # noclobber: the temp name is created new (O_EXCL), never an existing file or symlink.
    set -C
    exec 6>"$t"
    s=$?
    set +C
    [ $s = 0 ] || { __steer_error="cannot create a temp file in ${PWD%/}"; __steer_fail 97; return; }
    if [ -L "$t" ] || ! [ "$t" -ef /proc/self/fd/6 ]; then
      __steer_error="the temp file $t changed while steer was writing it"
      __steer_fail 97
      return
    fi
    if [ -n "$upload" ]; then cat -- "$upload" >&6; else cat >&6; fi || { s=$?; rm -f -- "$t"; return $s; }
  fi
  {
    if [ -n "$mode" ]; then
      chmod "$mode" /proc/self/fd/6
    elif __steer_open; then
      chmod --reference=/proc/self/fd/5 /proc/self/fd/6
    fi &&
      if [ -n "$owner$group" ]; then
        chown "$owner${group:+:$group}" /proc/self/fd/6
      elif [ "$EUID" = 0 ] && __steer_open; then
        chown --reference=/proc/self/fd/5 /proc/self/fd/6
      fi &&
      mv -fT -- "$t" "$__steer_name" &&
      { [ "$__steer_name" -ef /proc/self/fd/6 ] || { __steer_error="$path changed while steer was writing it"; __steer_fail 97; }; }
  } || {
    s=$?
    rm -f -- "$t"
    return $s
  }
}
