#!/bin/sh
# Usage: with-keyring.sh PROGRAM [ARGS...]
# Runs PROGRAM on a private session bus with an unlocked gnome-keyring in a temporary HOME.
set -u
if [ -z "${SS_IN_PRIVATE_BUS:-}" ]; then
  KR_HOME="$(mktemp -d)"
  # HOME before the bus: D-Bus-activated services inherit the bus's environment.
  HOME="$KR_HOME" XDG_DATA_HOME="$KR_HOME/.local/share" XDG_CACHE_HOME="$KR_HOME/.cache" \
  XDG_CONFIG_HOME="$KR_HOME/.config" XDG_RUNTIME_DIR="$KR_HOME/run" SS_IN_PRIVATE_BUS=1 \
    dbus-run-session -- "$0" "$@" 3>&1 4>&2 >"$KR_HOME/bus.log" 2>&1
  rc=$?
  [ $rc -ne 0 ] && sed 's/^/# bus: /' "$KR_HOME/bus.log" >&2
  rm -rf "$KR_HOME"
  exit $rc
fi
exec 1>&3 2>&4 3>&- 4>&-
mkdir -p -m 700 "$XDG_RUNTIME_DIR"
printf 'ci-password' | env -u G_DEBUG gnome-keyring-daemon --foreground --unlock --components=secrets >/dev/null 2>&1 &
KR_PID=$!
gdbus wait --session --timeout 10 org.freedesktop.secrets || { echo "keyring did not start" >&2; kill $KR_PID; exit 99; }
"$@"; rc=$?
kill $KR_PID 2>/dev/null; wait $KR_PID 2>/dev/null
exit $rc
