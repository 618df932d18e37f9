#!/usr/bin/env bash
# install-deps.sh: install the Debian packages QKD Chat needs to build, test
# and package. Idempotent: it installs only what is missing and runs
# `apt-get update` only when something has to be installed.
#
# Usage: scripts/install-deps.sh [build|test|package]
#   build    C toolchain and GL/X11 headers for Fyne (default)
#   test     build + Xvfb and ImageMagick for the GUI smoke tests
#   package  test + xz and the mingw-w64 cross compiler for Windows builds
set -euo pipefail

profile=${1:-build}
pkgs=(gcc pkg-config libgl1-mesa-dev xorg-dev)
case "$profile" in
build) ;;
test) pkgs+=(xvfb imagemagick xdotool) ;;
package) pkgs+=(xvfb imagemagick xdotool xz-utils gcc-mingw-w64-x86-64) ;;
*)
	echo "install-deps: unknown profile '$profile' (want build, test or package)" >&2
	exit 2
	;;
esac

say() { echo "install-deps: $*" >&2; }

if ! command -v dpkg-query >/dev/null 2>&1; then
	say "this script needs a Debian-based system (dpkg-query not found)."
	say "install these packages with your system's package manager: ${pkgs[*]}"
	exit 1
fi

missing=()
for p in "${pkgs[@]}"; do
	status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	[[ $status == "install ok installed" ]] || missing+=("$p")
done

if ((${#missing[@]} == 0)); then
	say "all ${#pkgs[@]} packages for '$profile' are installed."
	exit 0
fi

if [[ $(id -u) -eq 0 ]]; then
	sudo=()
elif command -v sudo >/dev/null 2>&1; then
	sudo=(sudo)
else
	say "missing packages: ${missing[*]}"
	say "run this script as root, or install sudo, to install them."
	exit 1
fi

say "installing missing packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
if ! "${sudo[@]}" apt-get update -qq; then
	say "apt-get update failed; check the network and /etc/apt/sources.list."
	exit 1
fi
if ! "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; then
	say "apt-get install failed for: ${missing[*]}"
	exit 1
fi
say "done."
