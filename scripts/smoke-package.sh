#!/usr/bin/env bash
# smoke-package.sh: check the release packages the way a user meets them.
#
# Usage: scripts/smoke-package.sh LINUX.tar.xz [WINDOWS.exe]
#
# For the Linux package it checks its size (at most 15 MB), unpacks the archive into a temporary directory,
# installs it with its own Makefile (`make install` into a DESTDIR and
# `make user-install` into a temporary HOME), then starts the installed binary
# under a private Xvfb with an empty HOME and checks that
#   - `qkdchat version` prints the Version of FyneApp.toml;
#   - the binary is a release build (no symbol table);
#   - a window named "QKD Chat" appears and its screenshot is not blank;
#   - the per-user data directory ~/.config/qkdchat is created on first run
#     and nothing is written next to the binary;
#   - SIGTERM makes it exit with status 0 within a few seconds.
# For the Windows executable (not run: there is no Windows here) it checks
# that it is a 64-bit GUI PE with an embedded icon and version information.
#
# Every check prints PASS or FAIL; the last line is
# "smoke: N passed, M failed" and the exit status is 1 if any check failed.
# SMOKE_SHOT=FILE keeps the window screenshot (default dist/smoke-window.png).
set -uo pipefail

cd "$(dirname "$0")/.." || exit 2
root=$PWD

usage() {
	echo "usage: scripts/smoke-package.sh LINUX.tar.xz [WINDOWS.exe]" >&2
	exit 2
}
(($# >= 1 && $# <= 2)) || usage
tarball=$1
winexe=${2:-}
[[ -f $tarball ]] || {
	echo "smoke: no such package: $tarball" >&2
	exit 2
}
[[ -z $winexe || -f $winexe ]] || {
	echo "smoke: no such executable: $winexe" >&2
	exit 2
}

need=(tar xz make Xvfb xdotool import convert)
for c in "${need[@]}"; do
	command -v "$c" >/dev/null || {
		echo "smoke: '$c' not found (run 'scripts/install-deps.sh package')" >&2
		exit 2
	}
done

version=$(sed -n 's/^Version[[:space:]]*=[[:space:]]*"\([^"]*\)".*/\1/p' FyneApp.toml)
shot_keep=${SMOKE_SHOT:-$root/dist/smoke-window.png}
title="QKD Chat"
window_timeout=${SMOKE_WINDOW_TIMEOUT:-60} # seconds for the window to appear (cold GL start on a busy machine)
render_timeout=30 # seconds for the window to show something
term_timeout=10   # seconds to exit after SIGTERM

passed=0
failed=0
pass() {
	echo "PASS: $*"
	passed=$((passed + 1))
}
fail() {
	echo "FAIL: $*"
	failed=$((failed + 1))
}
finish() {
	echo "smoke: $passed passed, $failed failed"
	((failed == 0))
	exit
}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/qkdchat-smoke.XXXXXX")
xvfb_pid=
app_pid=
app_pgid=
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
	[[ -n $app_pid ]] && kill -KILL "$app_pid" 2>/dev/null
	[[ -n $app_pgid ]] && kill -KILL -- "-$app_pgid" 2>/dev/null
	[[ -n $xvfb_pid ]] && kill "$xvfb_pid" 2>/dev/null && wait "$xvfb_pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- Linux package: size, unpack and install -----------------------------

max_bytes=15000000 # the issue's limit: 15 MB
size=$(stat -c %s "$tarball")
if ((size <= max_bytes)); then
	pass "the Linux package is $size bytes (limit $max_bytes)"
else
	fail "the Linux package is $size bytes, over the limit of $max_bytes"
fi

unpack=$tmp/unpack
prefix=$tmp/prefix
home=$tmp/home
mkdir -p "$unpack" "$prefix" "$home"
if ! tar -xJf "$tarball" -C "$unpack"; then
	fail "unpack $tarball"
	finish
fi
pkgdir=$(dirname "$(find "$unpack" -maxdepth 2 -name Makefile | head -n 1)")
if [[ $pkgdir == . ]]; then
	fail "package holds a Makefile"
	finish
fi

bin=$prefix/usr/bin/qkdchat
if make -s -C "$pkgdir" install DESTDIR="$prefix" PREFIX=/usr >"$tmp/install.log" 2>&1 &&
	[[ -x $bin ]] &&
	compgen -G "$prefix/usr/share/applications/*.desktop" >/dev/null &&
	compgen -G "$prefix/usr/share/pixmaps/*.png" >/dev/null &&
	make -s -C "$pkgdir" user-install HOME="$home" >>"$tmp/install.log" 2>&1 &&
	[[ -x $home/.local/bin/qkdchat ]] &&
	grep -q "^Exec=$home/.local/bin/qkdchat" "$home"/.local/share/applications/*.desktop; then
	pass "make install and make user-install put the binary, .desktop entry and icon in place"
else
	cat "$tmp/install.log"
	fail "make install / make user-install from the package"
	finish
fi
rm -rf "$home/.local"

# ---- version and release build ---------------------------------------------

got=$(env -i HOME="$home" PATH=/usr/bin:/bin LANG=en_US.UTF-8 "$bin" version 2>"$tmp/version.err")
if [[ -n $version && ${got##* } == "$version" ]]; then
	pass "qkdchat version prints '$got', matching FyneApp.toml ($version)"
else
	cat "$tmp/version.err"
	fail "qkdchat version printed '$got', FyneApp.toml says '$version'"
fi

if ! command -v readelf >/dev/null; then
	fail "release build: readelf not found"
elif ! readelf -h "$bin" >/dev/null 2>&1; then
	fail "release build: the binary is not an ELF executable"
elif readelf -S "$bin" | grep -q '\.symtab'; then
	fail "release build: the binary has a symbol table (not stripped)"
else
	pass "release build: the binary is stripped"
fi

# ---- GUI under Xvfb ---------------------------------------------------------

# Xvfb picks a free display itself and writes its number to fd 3 once ready.
exec 3>"$tmp/display"
Xvfb -displayfd 3 -screen 0 1280x800x24 -nolisten tcp >"$tmp/xvfb.log" 2>&1 &
xvfb_pid=$!
exec 3>&-
for _ in $(seq 100); do
	[[ -s $tmp/display ]] && break
	kill -0 "$xvfb_pid" 2>/dev/null || break
	sleep 0.2
done
if [[ ! -s $tmp/display ]]; then
	cat "$tmp/xvfb.log"
	fail "Xvfb did not start"
	finish
fi
DISPLAY=:$(head -n 1 "$tmp/display")
export DISPLAY

ls -A "$(dirname "$bin")" >"$tmp/bindir.before"
touch "$tmp/marker"
sleep 1 # so that anything written during the run is strictly newer

# a clean environment: an empty HOME and no XDG_* overrides; a process group
# of its own, so that cleanup also ends anything it started
setsid env -i HOME="$home" PATH=/usr/bin:/bin LANG=en_US.UTF-8 DISPLAY="$DISPLAY" \
	"$bin" >"$tmp/app.log" 2>&1 &
app_pid=$!
app_pgid=$app_pid

wid=$(timeout "$window_timeout" xdotool search --sync --onlyvisible --name "^$title\$" 2>/dev/null | head -n 1)
if [[ -n $wid ]]; then
	pass "a window named '$title' appeared"
else
	fail "no window named '$title' within ${window_timeout}s"
fi

if [[ -n $wid ]]; then
	# poll until the window shows something: the first frames may be blank
	sd=0 colours=0
	for _ in $(seq "$render_timeout"); do
		if import -window "$wid" "$tmp/shot.png" 2>/dev/null; then
			read -r sd colours < <(convert "$tmp/shot.png" -format '%[fx:standard_deviation] %k\n' info: 2>/dev/null)
			awk -v sd="${sd:-0}" -v k="${colours:-0}" 'BEGIN { exit !(sd > 0.01 && k >= 16) }' && break
		fi
		sleep 1
	done
	if awk -v sd="${sd:-0}" -v k="${colours:-0}" 'BEGIN { exit !(sd > 0.01 && k >= 16) }'; then
		pass "the window is not blank (standard deviation $sd, $colours colours)"
		mkdir -p "$(dirname "$shot_keep")" && cp "$tmp/shot.png" "$shot_keep" 2>/dev/null
	else
		fail "the window stayed blank (standard deviation ${sd:-?}, ${colours:-?} colours)"
	fi
fi

datadir=$home/.config/qkdchat
if [[ -d $datadir && $(stat -c %a "$datadir") == 700 ]]; then
	pass "first run created the data directory ~/.config/qkdchat (mode 700)"
else
	fail "no data directory ~/.config/qkdchat with mode 700 after the first run"
fi

# ---- SIGTERM ----------------------------------------------------------------

if kill -0 "$app_pid" 2>/dev/null; then
	kill -TERM "$app_pid"
	for _ in $(seq $((term_timeout * 5))); do
		kill -0 "$app_pid" 2>/dev/null || break
		sleep 0.2
	done
	if kill -0 "$app_pid" 2>/dev/null; then
		fail "still running ${term_timeout}s after SIGTERM"
		kill -KILL "$app_pid" 2>/dev/null
		wait "$app_pid" 2>/dev/null
	else
		wait "$app_pid"
		code=$?
		if ((code == 0)); then
			pass "exited with status 0 after SIGTERM"
		else
			fail "exited with status $code after SIGTERM"
		fi
	fi
else
	wait "$app_pid"
	fail "the app exited by itself (status $?) before SIGTERM"
fi
app_pid=

ls -A "$(dirname "$bin")" >"$tmp/bindir.after"
written=$(find "$prefix" -newer "$tmp/marker" 2>/dev/null | tr '\n' ' ')
if cmp -s "$tmp/bindir.before" "$tmp/bindir.after" && [[ -z $written ]]; then
	pass "nothing was written next to the binary"
else
	fail "something was written in the install prefix: $written$(diff "$tmp/bindir.before" "$tmp/bindir.after" | sed -n 's/^> //p' | tr '\n' ' ')"
fi

if ((failed > 0)); then
	echo "--- app output"
	cat "$tmp/app.log"
fi

# ---- Windows executable (static checks) --------------------------------------

if [[ -n $winexe ]]; then
	objdump=$(command -v x86_64-w64-mingw32-objdump || command -v objdump)
	headers=$("$objdump" -p "$winexe" 2>/dev/null)
	if grep -q 'file format pei-x86-64' <<<"$headers" &&
		grep -q 'Subsystem[[:space:]]*00000002' <<<"$headers"; then
		pass "windows: $winexe is a 64-bit GUI executable"
	else
		fail "windows: $winexe is not a 64-bit Windows GUI executable"
	fi
	# top-level resource types: 3 RT_ICON, 0xe RT_GROUP_ICON, 0x10 RT_VERSION
	types=$(sed -n 's/^[0-9a-f]\{3\}   Entry: ID: 0x\([0-9a-f]*\),.*/\1/p' <<<"$headers" | tr '\n' ' ')
	if [[ " $types " == *" 000003 "* && " $types " == *" 00000e "* ]]; then
		pass "windows: the icon is embedded (resource types: $types)"
	else
		fail "windows: no icon resource (resource types: ${types:-none})"
	fi
	if [[ " $types " == *" 000010 "* ]] && strings -el "$winexe" | grep -qx "$version\.[0-9]*"; then
		pass "windows: version information $version is embedded"
	else
		fail "windows: no version information for $version"
	fi
fi

finish
