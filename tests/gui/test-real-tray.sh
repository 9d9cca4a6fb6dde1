#!/bin/sh
# The tray under a REAL StatusNotifierItem host: xfce4-panel with its systray plugin, under
# Xvfb (run by with-display.sh --a11y: xfconfd is D-Bus activated). The app runs from the
# build tree as ./tools/run runs it, in the background (tray only). Checks: the icon is drawn
# (the panel's pixels differ from a run without the app), a click on it opens the window, and
# the menu works (com.canonical.dbusmenu Event "clicked" on Quit ends the app).
# With --installed BUILD_DIR: the same checks on the app as `meson install` lays it out
# (--destdir into a temp dir; its share/ in XDG_DATA_DIRS for app and panel, its compiled
# schemas), and its IconThemePath must be the installed icon directory.
# Exit 77 (skip) only when xfce4-panel is not installed (tools/install-deps --tests has it).
set -u
command -v xfce4-panel >/dev/null 2>&1 || { echo "# SKIP xfce4-panel is not installed"; exit 77; }
for tool in xdotool convert compare gdbus; do
  command -v $tool >/dev/null 2>&1 || { echo "Bail out! $tool is missing"; exit 99; }
done
: "${SS_SPAMSIEVE:?}" "${SS_SCREENSHOT_DIR:?}"
work="$(mktemp -d)"
mkdir -p "$SS_SCREENSHOT_DIR"
shot=tray-xfce4-panel
panel= app=
cleanup () {
  [ -n "$app" ] && kill "$app" 2>/dev/null
  [ -n "$panel" ] && kill "$panel" 2>/dev/null
  wait 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
n=0
ok () { n=$((n + 1)); echo "ok $n - $1"; }
fail () { n=$((n + 1)); echo "not ok $n - $1"; [ -s "$work/panel.log" ] && sed 's/^/# panel: /' "$work/panel.log"
          [ -s "$work/app.log" ] && sed 's/^/# app: /' "$work/app.log"; echo "1..$n"; exit 1; }
# wait_for SECONDS COMMAND...: polls every 0.1 s
wait_for () {
  t=$(($1 * 10)); shift
  while [ $t -gt 0 ]; do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; t=$((t - 1)); done
  return 1
}

if [ "${1:-}" = --installed ]; then
  build="${2:?--installed needs the build dir}"
  meson install -C "$build" --no-rebuild --quiet --destdir "$work/dest" >"$work/install.log" 2>&1 ||
    { sed 's/^/# install: /' "$work/install.log"; echo "Bail out! meson install failed"; exit 99; }
  SS_SPAMSIEVE=$(find "$work/dest" -path '*/bin/spamsieve' -type f | head -n1)
  share="${SS_SPAMSIEVE%/bin/spamsieve}/share"
  [ -x "$SS_SPAMSIEVE" ] && [ -d "$share/icons" ] || { echo "Bail out! no bin/spamsieve, share/icons"; exit 99; }
  glib-compile-schemas "$share/glib-2.0/schemas" || { echo "Bail out! schemas"; exit 99; }
  export GSETTINGS_SCHEMA_DIR="$share/glib-2.0/schemas"
  export XDG_DATA_DIRS="$share:${XDG_DATA_DIRS:-/usr/local/share:/usr/share}"
  unset SPAMSIEVE_LOCALEDIR
  shot=tray-xfce4-panel-installed
  n=$((n + 1)); echo "ok $n - installed with meson install --destdir: ${SS_SPAMSIEVE#$work/dest}"
fi

# One panel at the top, 32 px, with only the systray plugin (its SNI host, the watcher).
conf="$XDG_CONFIG_HOME/xfce4/xfconf/xfce-perchannel-xml"
mkdir -p "$conf"
cat >"$conf/xfce4-panel.xml" <<'XML'
<?xml version="1.0" encoding="UTF-8"?>
<channel name="xfce4-panel" version="1.0"><property name="configver" type="int" value="2"/>
  <property name="panels" type="array"><value type="int" value="1"/><property name="panel-1" type="empty">
      <property name="position" type="string" value="p=6;x=0;y=0"/><property name="position-locked" type="bool" value="true"/>
      <property name="length" type="uint" value="100"/><property name="size" type="uint" value="32"/>
      <property name="plugin-ids" type="array"><value type="int" value="1"/></property></property></property>
  <property name="plugins" type="empty"><property name="plugin-1" type="string" value="systray"/></property></channel>
XML
NO_AT_BRIDGE=1 xfce4-panel --disable-wm-check >"$work/panel.log" 2>&1 &
panel=$!
gdbus wait --session --timeout 30 org.kde.StatusNotifierWatcher || fail "the panel's watcher appears"
ok "xfce4-panel runs, its StatusNotifierWatcher is on the bus"
sleep 1
import -window root -crop 64x32+0+0 +repage "$work/before.png"

# The app as ./tools/run starts it (from the build tree, schemas from the build dir), or
# installed.
"$SS_SPAMSIEVE" --background >"$work/app.log" 2>&1 &
app=$!
registered () {
  gdbus call --session --dest org.kde.StatusNotifierWatcher --object-path /StatusNotifierWatcher \
    --method org.freedesktop.DBus.Properties.Get org.kde.StatusNotifierWatcher \
    RegisteredStatusNotifierItems | grep -q StatusNotifierItem
}
wait_for 30 registered || fail "the app registers its item with the panel"
ok "the app's item is registered with xfce4-panel"

# Drawn: the tray corner differs from the panel without the app, in enough pixels.
drawn () {
  import -window root "$work/with.png" &&
  convert "$work/with.png" -crop 64x32+0+0 +repage "$work/after.png" &&
  px=$(compare -metric AE "$work/before.png" "$work/after.png" null: 2>&1 | cut -d' ' -f1) &&
  [ "${px%.*}" -ge 40 ]
}
wait_for 10 drawn || { cp "$work/with.png" "$SS_SCREENSHOT_DIR/$shot-failed.png"
  fail "the icon is drawn in the panel (differing pixels: ${px:-none})"; }
ok "the icon is drawn: $px of 2048 pixels of the tray corner changed"
convert "$work/with.png" -crop 320x32+0+0 +repage -scale 300% "$SS_SCREENSHOT_DIR/$shot.png"

# A click on the icon (as the panel gets it from X) opens the window.
window_shown () { xdotool search --onlyvisible --name '^SpamSieve' | grep -q .; }
window_shown && fail "no window before the click (--background)"
xdotool mousemove 16 16 click 1
wait_for 10 window_shown || fail "a click on the icon opens the window"
ok "a click on the icon opens the window"

# The menu the panel shows: Quit through com.canonical.dbusmenu's Event ends the app cleanly.
item=$(gdbus call --session --dest org.kde.StatusNotifierWatcher --object-path /StatusNotifierWatcher \
  --method org.freedesktop.DBus.Properties.Get org.kde.StatusNotifierWatcher \
  RegisteredStatusNotifierItems | grep -o "':[0-9.]*" | head -n1 | tr -d "'")
# Installed, the item points the host at the installed icons.
if [ -n "${share:-}" ]; then
  path=$(gdbus call --session --dest "$item" --object-path /StatusNotifierItem \
    --method org.freedesktop.DBus.Properties.Get org.kde.StatusNotifierItem IconThemePath)
  [ "$path" = "(<'$share/icons'>,)" ] || fail "IconThemePath is the installed $share/icons (got $path)"
  ok "IconThemePath is the installed icon directory"
fi
layout=$(gdbus call --session --dest "$item" --object-path /MenuBar \
  --method com.canonical.dbusmenu.GetLayout 0 10 '[]')
quit=$(printf '%s' "$layout" | grep -o "([0-9]*, {[^}]*'_Quit'" | grep -o '^([0-9]*' | tr -d '(')
[ -n "$quit" ] || fail "the menu has a Quit item: $layout"
ok "the menu (GetLayout on $item) has Quit as item $quit"
gdbus call --session --dest "$item" --object-path /MenuBar --method com.canonical.dbusmenu.Event \
  "$quit" clicked '<"">' 0 >/dev/null || fail "Event clicked on Quit"
gone () { ! kill -0 "$app" 2>/dev/null; }
wait_for 20 gone || fail "Quit from the menu ends the app"
wait "$app"; rc=$?; app=
[ $rc = 0 ] || fail "the app exits 0 after Quit (got $rc)"
ok "Quit from the menu ends the app (exit 0)"
echo "1..$n"
