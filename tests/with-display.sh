#!/bin/sh
# Usage: with-display.sh [--no-keyring] [--a11y] [--] PROGRAM [ARGS...]
# Runs PROGRAM with a private Xvfb display (-displayfd), a private D-Bus session bus, a fresh
# HOME and XDG directories, its own TMPDIR and (unless --no-keyring) an unlocked
# gnome-keyring. GTK is pinned for deterministic rendering (X11, cairo renderer) and
# accessibility is off unless --a11y. /usr/bin/python3 is exported as SS_PYTHON (dbusmock
# and gi exist only there).
set -u
keyring=1
a11y=0
while [ $# -gt 0 ]; do
  case "$1" in
    --no-keyring) keyring=0; shift ;;
    --a11y) a11y=1; shift ;;
    --) shift; break ;;
    *) break ;;
  esac
done

if [ -z "${SS_IN_DISPLAY:-}" ]; then
  top="$(mktemp -d)"
  mkdir -p "$top/home" "$top/tmp" "$top/run"
  # The servers the tests start may drop privileges (dovecot, spamd as root): they must be
  # able to pass through to TMPDIR. HOME and XDG_RUNTIME_DIR stay private.
  chmod 755 "$top" "$top/tmp"
  chmod 700 "$top/home" "$top/run"
  # A private X server; -displayfd picks a free display and tells us which.
  Xvfb -displayfd 5 -screen 0 1280x1024x24 -nolisten tcp -noreset \
    5>"$top/display" >"$top/xvfb.log" 2>&1 &
  xvfb=$!
  i=0
  while [ ! -s "$top/display" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
  if [ ! -s "$top/display" ]; then
    echo "Xvfb did not start:" >&2; cat "$top/xvfb.log" >&2
    kill $xvfb 2>/dev/null; rm -rf "$top"; exit 99
  fi
  display=":$(head -n1 "$top/display")"
  # Our own bus configuration: nothing is D-Bus-activated behind the test's back (no keyring
  # unless we start one, no portal); with --a11y the standard services (AT-SPI) are allowed.
  servicedirs=""
  [ $a11y = 1 ] && servicedirs="<standard_session_servicedirs/>"
  cat >"$top/bus.conf" <<CONF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <keep_umask/>
  <listen>unix:dir=$top/run</listen>
  <auth>EXTERNAL</auth>
  $servicedirs
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
CONF
  # Everything below (and what the bus activates) sees only the private world.
  env HOME="$top/home" XDG_CONFIG_HOME="$top/home/.config" XDG_DATA_HOME="$top/home/.local/share" \
    XDG_CACHE_HOME="$top/home/.cache" XDG_STATE_HOME="$top/home/.local/state" \
    XDG_RUNTIME_DIR="$top/run" TMPDIR="$top/tmp" DISPLAY="$display" \
    GDK_BACKEND=x11 GSK_RENDERER=cairo WAYLAND_DISPLAY= \
    SS_PYTHON=/usr/bin/python3 SS_IN_DISPLAY=1 SS_WITH_KEYRING=$keyring SS_A11Y=$a11y \
    dbus-run-session --config-file="$top/bus.conf" -- "$0" "$@" 3>&1 4>&2 >"$top/bus.log" 2>&1
  rc=$?
  [ $rc -ne 0 ] && [ -s "$top/bus.log" ] && sed 's/^/# bus: /' "$top/bus.log" >&2
  kill $xvfb 2>/dev/null
  wait $xvfb 2>/dev/null
  rm -rf "$top"
  exit $rc
fi

exec 1>&3 2>&4 3>&- 4>&-
if [ "$SS_A11Y" = 0 ]; then
  export NO_AT_BRIDGE=1 GTK_A11Y=none
fi
kr=
if [ "$SS_WITH_KEYRING" = 1 ]; then
  printf 'test-keyring-password' | env -u G_DEBUG gnome-keyring-daemon --foreground --unlock \
    --components=secrets >/dev/null 2>&1 &
  kr=$!
  if ! gdbus wait --session --timeout 10 org.freedesktop.secrets; then
    echo "gnome-keyring did not start" >&2; kill $kr 2>/dev/null; exit 99
  fi
fi
"$@"
rc=$?
[ -n "$kr" ] && { kill $kr 2>/dev/null; wait $kr 2>/dev/null; }
exit $rc
