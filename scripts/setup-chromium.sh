#!/usr/bin/env bash
# Makes Chromium available for the playground's browser tests (apps/playground) and prints its path.
# The tests drive the system's Chromium through playwright-core; no tool downloads a browser.
#
#   scripts/setup-chromium.sh        # prints e.g. /usr/bin/chromium; FLOWDIT_CHROMIUM=<path> names one
#
# How: a Chromium already on the PATH (or named by FLOWDIT_CHROMIUM) is used as it is. Otherwise, on
# Debian or Ubuntu as root (or with passwordless sudo), Debian's `chromium` package is installed with
# apt-get, after `apt-get install --simulate` shows that this only adds packages: when it would
# upgrade or remove anything already installed, the script stops and says what, and changes nothing.
set -euo pipefail

say() { printf 'setup-chromium: %s\n' "$*" >&2; }
fail() { say "error: $*"; exit 1; }

found() {
  if [[ -n "${FLOWDIT_CHROMIUM:-}" ]]; then
    [[ -x "$FLOWDIT_CHROMIUM" ]] || fail "FLOWDIT_CHROMIUM=$FLOWDIT_CHROMIUM is not an executable file"
    echo "$FLOWDIT_CHROMIUM"
    return 0
  fi
  command -v chromium || command -v chromium-browser
}

if path="$(found)"; then
  say "using $path ($("$path" --version 2>/dev/null | head -n 1 || echo 'version unknown'))"
  echo "$path"
  exit 0
fi

command -v apt-get >/dev/null || fail "no Chromium on the PATH and no apt-get to install one; install Chromium and put it on the PATH, or set FLOWDIT_CHROMIUM"
if [[ "$(id -u)" == 0 ]]; then
  as_root=()
elif sudo -n true 2>/dev/null; then
  as_root=(sudo -n)
else
  fail "no Chromium on the PATH, and installing Debian's chromium package needs root (or passwordless sudo)"
fi

started=$SECONDS
export DEBIAN_FRONTEND=noninteractive
# Package lists may be missing on a fresh container: read them when apt knows no chromium.
if ! apt-cache show chromium >/dev/null 2>&1; then
  say "reading package lists"
  "${as_root[@]}" apt-get -qq update >&2
fi
plan="$(apt-get -s install --no-install-recommends chromium)"
changes="$(awk '$1 == "Remv" || ($1 == "Inst" && $3 ~ /^\[/) { print $1, $2, $3 }' <<<"$plan")"
[[ -z "$changes" ]] || fail "installing chromium would change packages already installed, so nothing was done:
$changes"
count="$(awk '$1 == "Inst"' <<<"$plan" | wc -l)"
say "installing chromium and $((count - 1)) packages it needs (nothing installed is upgraded or removed)"
"${as_root[@]}" apt-get -qq install -y --no-install-recommends chromium >&2
path="$(found)" || fail "apt-get installed chromium but it is not on the PATH"
say "installed $("$path" --version 2>/dev/null | head -n 1) in $((SECONDS - started)) s"
echo "$path"
