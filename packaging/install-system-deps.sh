#!/usr/bin/env bash
# Installs what docgen needs from the system when it is missing: LibreOffice (PDF), poppler
# (reading PDFs back), fontconfig and the free faces that stand in for the GB/T 9704 font names
# (docgen/fonts.py maps the names; packaging/fonts/README.md says why these faces).
# Runs on every `make test` and `make demo`: when everything is there it only checks and exits.
set -euo pipefail
APT=(apt-get -o DPkg::Lock::Timeout=600)
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
updated=""
apt_update() { [ -n "$updated" ] || { $SUDO "${APT[@]}" update -qq; updated=1; }; }

need=()
command -v soffice >/dev/null 2>&1 || need+=(libreoffice-writer-nogui)
command -v pdftoppm >/dev/null 2>&1 || need+=(poppler-utils)
# the UNO bridge docgen/office.py drives one warm LibreOffice per process through
dpkg-query -W -f='${Status}' python3-uno 2>/dev/null | grep -q ' installed$' || need+=(python3-uno)
# Headless Chromium and its WebDriver for the web application's browser tests (tests/test_web_browser.py).
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v chromedriver >/dev/null 2>&1 || need+=(chromium-driver)
# fontconfig for fc-match and fc-scan; Noto Serif CJK for 宋体 and the 小标宋 stand-in;
# Liberation Serif for Times New Roman (same metrics).
for p in fontconfig fonts-noto-cjk fonts-liberation2; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q ' installed$' || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
  apt_update
  DEBIAN_FRONTEND=noninteractive $SUDO "${APT[@]}" install -y -qq --no-install-recommends "${need[@]}"
fi

# FandolFang (仿宋), FandolKai (楷体) and FandolHei (黑体), GB2312-complete: only their OTF files, from
# the Debian package texlive-lang-chinese (downloaded and unpacked, not installed: no TeX).
if [ "$(id -u)" -eq 0 ]; then fontdir=/usr/local/share/fonts/fandol; else fontdir="${XDG_DATA_HOME:-$HOME/.local/share}/fonts/fandol"; fi
fandol=(FandolFang-Regular.otf FandolKai-Regular.otf FandolHei-Regular.otf)
missing=""
for f in "${fandol[@]}"; do [ -s "$fontdir/$f" ] || missing=1; done
if [ -n "$missing" ]; then
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  apt_update
  # as root, apt would hand the download to its unprivileged _apt user, who cannot write here
  (cd "$tmp" && "${APT[@]}" -o APT::Sandbox::User=root download texlive-lang-chinese >/dev/null)
  dpkg-deb -x "$tmp"/texlive-lang-chinese_*.deb "$tmp/pkg"
  mkdir -p "$fontdir"
  for f in "${fandol[@]}"; do
    src="$(find "$tmp/pkg" -name "$f" -print -quit)"
    [ -n "$src" ] || { echo "texlive-lang-chinese 中没有 $f" >&2; exit 1; }
    install -m 0644 "$src" "$fontdir/$f.tmp"
    mv -f "$fontdir/$f.tmp" "$fontdir/$f"
  done
  fc-cache "$fontdir" >/dev/null 2>&1 || true
fi

# Earlier versions mapped the font names with a system-wide fontconfig file. Each conversion
# now has a configuration of its own that such a file cannot affect; remove it all the same,
# so that fc-match outside docgen does not report stale faces.
for old in /etc/fonts/conf.d/65-docgen-gbt9704.conf \
           "${XDG_CONFIG_HOME:-$HOME/.config}/fontconfig/conf.d/65-docgen-gbt9704.conf"; do
  if [ -e "$old" ]; then
    if [ -w "$(dirname "$old")" ]; then rm -f "$old"; else $SUDO rm -f "$old"; fi
  fi
done
