#!/usr/bin/env bash
# Installs Mesa 25's lavapipe (a software Vulkan driver) into a folder, without changing the system,
# so that WebGPU through Dawn runs on a machine with no GPU (CI). Debian 12 (bookworm) only:
# bookworm's own Mesa 22 is rejected by Dawn, so it takes mesa-vulkan-drivers from bookworm-backports.
#
#   scripts/setup-lavapipe.sh            # installs into .vendor/lavapipe (or $LAVAPIPE_DIR), prints the env
#   set -a; . .vendor/lavapipe/env; set +a   # then run node: VK_DRIVER_FILES and LD_LIBRARY_PATH are set
#
# How: a private apt configuration (sources: the machine's bookworm mirror, plus bookworm-backports),
# `apt-get install --simulate` against the machine's installed packages to learn exactly what is
# missing or too old, `apt-get download` of those, `dpkg-deb -x` into the folder, and an ICD json
# that points at the extracted libvulkan_lvp.so. Nothing outside the folder is written. A second
# run finds the finished folder and only prints the env.
set -euo pipefail

repo_root="$(cd "$(dirname "$0")/.." && pwd)"
target="${LAVAPIPE_DIR:-$repo_root/.vendor/lavapipe}"
env_file="$target/env"
stamp="$target/installed"
multiarch="$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || gcc -dumpmachine 2>/dev/null || echo "$(uname -m)-linux-gnu")"
icd="$target/lvp_icd.$(uname -m).json"
libdir="$target/root/usr/lib/$multiarch"
# Only the libraries lavapipe takes from the folder are linked here, so LD_LIBRARY_PATH shadows
# nothing else of the system's (the folder also holds upgraded GL/EGL/gbm libraries it does not need).
linkdir="$target/lib"

say() { printf 'setup-lavapipe: %s\n' "$*" >&2; }
fail() { say "error: $*"; exit 1; }

print_env() {
  say "ready in $target; use it with:"
  cat "$env_file"
}

# The Vulkan loader: the folder's, or the system's where apt found it installed and recent enough.
loader() {
  if [[ -e "$libdir/libvulkan.so.1" ]]; then
    echo "$libdir/libvulkan.so.1"
  else
    ldconfig -p | awk '$1 == "libvulkan.so.1" { print $NF; exit }'
  fi
}

# Every library libvulkan_lvp.so and the loader need must resolve, from $linkdir or the system.
check_libraries() {
  local missing vulkan
  vulkan="$(loader)"
  [[ -n "$vulkan" ]] || fail "no Vulkan loader (libvulkan.so.1) in $libdir or on the system"
  missing="$(LD_LIBRARY_PATH="$linkdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" ldd "$libdir/libvulkan_lvp.so" "$vulkan" | grep 'not found' || true)"
  [[ -z "$missing" ]] || fail "libraries not found for lavapipe:
$missing"
}

# Links every library of the folder that lavapipe or the loader resolves to (the loader included).
link_libraries() {
  local vulkan
  rm -rf "$linkdir"
  mkdir -p "$linkdir"
  vulkan="$(loader)"
  if [[ "$vulkan" == "$libdir/"* ]]; then ln -s "$vulkan" "$linkdir/libvulkan.so.1"; fi
  LD_LIBRARY_PATH="$libdir" ldd "$libdir/libvulkan_lvp.so" ${vulkan:+"$vulkan"} |
    awk -v dir="$libdir/" '$2 == "=>" && index($3, dir) == 1 { print $1 }' | sort -u |
    while read -r soname; do ln -sf "$libdir/$soname" "$linkdir/$soname"; done
}

if [[ -f "$stamp" && -f "$icd" && -f "$libdir/libvulkan_lvp.so" && -d "$linkdir" && -f "$env_file" ]]; then
  check_libraries
  print_env
  exit 0
fi

[[ -r /etc/os-release ]] && . /etc/os-release
[[ "${VERSION_CODENAME:-}" == bookworm ]] || fail "this script needs Debian 12 (bookworm); this is ${PRETTY_NAME:-unknown}. Elsewhere install Mesa >= 24 (mesa-vulkan-drivers) from your distribution."
for tool in apt-get dpkg-deb ldd; do command -v "$tool" >/dev/null || fail "$tool is missing"; done

# The machine's bookworm mirror and keyring (deb822 .sources files or one-line .list files).
mirror=""
keyring=""
shopt -s nullglob
for file in /etc/apt/sources.list.d/*.sources; do
  if grep -Eq '^Suites:.*\bbookworm\b' "$file" && ! grep -Eq '^Enabled: *no' "$file"; then
    uri="$(awk '/^URIs:/ {print $2; exit}' "$file")"
    if [[ "$uri" != *security* ]]; then
      mirror="$uri"
      keyring="$(awk '/^Signed-By:/ {print $2; exit}' "$file")"
      break
    fi
  fi
done
if [[ -z "$mirror" ]]; then
  for file in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [[ -f "$file" ]] || continue
    uri="$(awk '$1 == "deb" && $0 ~ / bookworm / && $0 !~ /security/ { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z+]+:\/\//) { print $i; exit } }' "$file")"
    if [[ -n "$uri" ]]; then mirror="$uri"; break; fi
  done
fi
mirror="${mirror:-http://deb.debian.org/debian}"
keyring="${keyring:-/usr/share/keyrings/debian-archive-keyring.gpg}"
signed_by=""
[[ -f "$keyring" ]] && signed_by="[signed-by=$keyring] "

started=$SECONDS
apt_dir="$target/apt"
rm -rf "$target/root" "$target/debs" "$linkdir" "$stamp"
mkdir -p "$apt_dir/lists/partial" "$apt_dir/archives/partial" "$apt_dir/parts" "$apt_dir/preferences.d" "$target/debs" "$target/root"
cat >"$apt_dir/sources.list" <<EOF
deb ${signed_by}$mirror bookworm main
deb ${signed_by}$mirror bookworm-updates main
deb ${signed_by}$mirror bookworm-backports main
EOF
apt_options=(
  -o "Dir::Etc::SourceList=$apt_dir/sources.list"
  -o "Dir::Etc::SourceParts=$apt_dir/parts"
  -o "Dir::Etc::Preferences=$apt_dir/preferences"
  -o "Dir::Etc::PreferencesParts=$apt_dir/preferences.d"
  -o "Dir::State::Lists=$apt_dir/lists"
  -o "Dir::Cache=$apt_dir"
  -o "Dir::Cache::archives=$apt_dir/archives"
  -o "Dir::Cache::pkgcache=" -o "Dir::Cache::srcpkgcache="
  -o "Debug::NoLocking=1"
  -o "APT::Get::List-Cleanup=0"
)
# As root apt downloads as the _apt user, who cannot write into this folder.
[[ "$(id -u)" == 0 ]] && apt_options+=(-o "APT::Sandbox::User=root")

say "reading package lists from $mirror (bookworm, bookworm-updates, bookworm-backports)"
apt-get "${apt_options[@]}" -qq update >&2

# What installing lavapipe from backports would add or upgrade on this machine: that is what we fetch.
plan="$(apt-get "${apt_options[@]}" -s -t bookworm-backports install --no-install-recommends mesa-vulkan-drivers libvulkan1)"
mapfile -t packages < <(awk '$1 == "Inst" { version = $3; if (version ~ /^\[/) version = $4; gsub(/[()]/, "", version); print $2 "=" version }' <<<"$plan")
((${#packages[@]} > 0)) || fail "apt planned nothing to install; its output was:
$plan"
mesa_version="$(printf '%s\n' "${packages[@]}" | awk -F= '$1 == "mesa-vulkan-drivers" { print $2 }')"
[[ "$mesa_version" == 2[5-9].* ]] || fail "expected mesa-vulkan-drivers 25 or later from bookworm-backports, apt offers '${mesa_version:-none}'"

say "downloading ${#packages[@]} packages: ${packages[*]}"
(cd "$target/debs" && apt-get "${apt_options[@]}" -qq download "${packages[@]}" >&2)
for deb in "$target"/debs/*.deb; do dpkg-deb -x "$deb" "$target/root"; done

[[ -f "$libdir/libvulkan_lvp.so" ]] || fail "libvulkan_lvp.so not found in $libdir after extracting"
package_icd="$target/root/usr/share/vulkan/icd.d/lvp_icd.json"
[[ -f "$package_icd" ]] || package_icd="$(ls "$target"/root/usr/share/vulkan/icd.d/lvp_icd.*.json 2>/dev/null | head -n 1)"
[[ -f "$package_icd" ]] || fail "lavapipe's ICD json not found in $target/root/usr/share/vulkan/icd.d"
# The package's ICD names the library bare (found on the system path): point it at our copy.
sed -E "s|\"library_path\": *\"[^\"]*\"|\"library_path\": \"$libdir/libvulkan_lvp.so\"|" "$package_icd" >"$icd"
grep -q "\"$libdir/libvulkan_lvp.so\"" "$icd" || fail "could not rewrite library_path in $package_icd"
link_libraries
check_libraries
cat >"$env_file" <<EOF
export VK_DRIVER_FILES="$icd"
export LD_LIBRARY_PATH="$linkdir\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}"
EOF
rm -rf "$target/debs"
printf 'mesa-vulkan-drivers=%s\n%s\n' "$mesa_version" "$(printf '%s\n' "${packages[@]}")" >"$stamp"
say "installed Mesa $mesa_version lavapipe in $((SECONDS - started)) s"
print_env
