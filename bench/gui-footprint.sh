#!/bin/sh
# gui-footprint.sh: bench/run's GUI memory probe. Runs inside tests/with-display.sh (private
# Xvfb, session bus, unlocked gnome-keyring, temporary HOME and XDG directories).
# Sets up the GSettings account (keyfile backend), stores the password in the keyring,
# installs a pre-filled journal (state.sqlite) as the app's history, starts the GUI, waits
# until its window is mapped, waits SETTLE seconds, then writes VmHWM/VmRSS to OUT/gui.txt,
# a screenshot to OUT/gui.png, and stops the app.
# Usage: gui-footprint.sh SPAMSIEVE SCHEMA_DIR JOURNAL URL USER PASSWORD CA_FILE SPAMD OUT SETTLE
set -eu
bin=$1 schema_dir=$2 journal=$3 url=$4 user=$5 password=$6 ca=$7 spamd=$8 out=$9
shift 9
settle=$1

export GSETTINGS_BACKEND=keyfile GSETTINGS_SCHEMA_DIR="$schema_dir"
gsettings set org.example.SpamSieve url "$url"
gsettings set org.example.SpamSieve tls starttls
gsettings set org.example.SpamSieve user "$user"
gsettings set org.example.SpamSieve ca-file "$ca"
gsettings set org.example.SpamSieve spamd-address "$spamd"
gsettings set org.example.SpamSieve autostart false

# The password, where the app looks for it (src/engine/ss-credentials.c: server + user)
server=${url#*://}
SS_SERVER=$server SS_USER=$user SS_PASSWORD=$password /usr/bin/python3 - <<'EOF'
import os
import gi
gi.require_version('Secret', '1')
from gi.repository import Secret
schema = Secret.Schema.new('org.example.SpamSieve.Account', Secret.SchemaFlags.NONE,
                           {'server': Secret.SchemaAttributeType.STRING,
                            'user': Secret.SchemaAttributeType.STRING})
ok = Secret.password_store_sync(schema, {'server': os.environ['SS_SERVER'],
                                         'user': os.environ['SS_USER']},
                                Secret.COLLECTION_DEFAULT, 'SpamSieve bench',
                                os.environ['SS_PASSWORD'], None)
assert ok
EOF

mkdir -p "$XDG_DATA_HOME/spamsieve"
cp "$journal" "$XDG_DATA_HOME/spamsieve/state.sqlite"

"$bin" >"$out/gui.log" 2>&1 &
pid=$!
i=0
while ! xwininfo -root -tree 2>/dev/null | grep -q '"SpamSieve'; do
  i=$((i + 1))
  if [ $i -gt 300 ] || ! kill -0 $pid 2>/dev/null; then
    echo "gui-footprint: no SpamSieve window after $((i / 10)) s" >&2
    kill $pid 2>/dev/null || true
    exit 1
  fi
  sleep 0.1
done
echo "window_after_s=$(awk "BEGIN{print $i/10}")" >"$out/gui.txt"
sleep "$settle"
grep -E '^(VmHWM|VmRSS):' /proc/$pid/status >>"$out/gui.txt"
xwininfo -root -tree 2>/dev/null | grep '"SpamSieve' | head -3 >"$out/gui-windows.txt" || true
import -window root "$out/gui.png" 2>/dev/null || true
kill -TERM $pid
i=0
while kill -0 $pid 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
kill -KILL $pid 2>/dev/null || true
wait $pid 2>/dev/null || true
