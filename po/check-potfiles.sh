#!/bin/sh
# Every source file with translatable strings is listed in po/POTFILES.in.
# Usage: check-potfiles.sh SOURCE_ROOT
set -u
cd "$1" || exit 1
missing=0
for f in $(grep -rlE '(^|[^A-Za-z0-9_])(N?_|C_|g_dngettext) ?\(|translatable="yes"' \
             src org.example.SpamSieve.desktop data --include='*.c' --include='*.ui' \
             --include='*.xml' --include='*.in' --include='*.desktop' 2>/dev/null | sort); do
  if ! grep -qx "$f" po/POTFILES.in; then
    echo "not in po/POTFILES.in: $f"
    missing=1
  fi
done
# and nothing listed that does not exist
for f in $(grep -v '^#' po/POTFILES.in); do
  [ -f "$f" ] || { echo "listed but missing: $f"; missing=1; }
done
exit $missing
