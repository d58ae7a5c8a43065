#!/usr/bin/env bash
# Installs the system packages docgen needs (LibreOffice for PDF, CJK fonts) when missing.
# Runs on every `make test`, so when everything is present it only checks and exits.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
need=()
command -v soffice >/dev/null 2>&1 || need+=(libreoffice-writer-nogui)
command -v pdftoppm >/dev/null 2>&1 || need+=(poppler-utils)
# the UNO bridge docgen/office.py drives one warm LibreOffice per process through
dpkg-query -W -f='${Status}' python3-uno 2>/dev/null | grep -q ' installed$' || need+=(python3-uno)

# Fonts: the faces packaging/fonts/65-docgen-gbt9704.conf maps the GB/T 9704 font names to.
# noto-cjk-extra carries the Light weight used for 仿宋; liberation2 stands in for Times New Roman.
fonts=(fontconfig fonts-noto-cjk fonts-noto-cjk-extra fonts-arphic-ukai fonts-arphic-uming fonts-liberation2)
for p in "${fonts[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q ' installed$' || need+=("$p")
done

if [ ${#need[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}"
fi

# Font name aliases: system-wide when root, else for this user. Copied (and fc-cache run) only
# when the installed copy differs, so a repeat run costs a file comparison.
if [ "$(id -u)" -eq 0 ]; then confdir=/etc/fonts/conf.d; else confdir="${XDG_CONFIG_HOME:-$HOME/.config}/fontconfig/conf.d"; fi
conf="$here/fonts/65-docgen-gbt9704.conf"
if ! cmp -s "$conf" "$confdir/65-docgen-gbt9704.conf"; then
  mkdir -p "$confdir"
  install -m 0644 "$conf" "$confdir/65-docgen-gbt9704.conf.tmp"
  mv -f "$confdir/65-docgen-gbt9704.conf.tmp" "$confdir/65-docgen-gbt9704.conf"
  fc-cache -f >/dev/null 2>&1 || true
fi
