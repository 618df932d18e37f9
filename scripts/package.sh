#!/usr/bin/env bash
# package.sh: build the double-click release packages of QKD Chat with the
# fyne packager, in release mode (-trimpath, -ldflags "-s -w", tag release).
#
# Usage: scripts/package.sh [linux] [windows]   (default: both)
#
# Outputs, named after the Version line of FyneApp.toml:
#   dist/qkdchat-VERSION-linux-ARCH.tar.xz   binary, .desktop entry, icon and
#                                            a Makefile (install, user-install)
#   dist/qkdchat-VERSION-windows-amd64.exe   GUI executable, icon and version
#                                            info embedded; cross-built with
#                                            Debian's mingw-w64
#
# Environment:
#   FYNE  the fyne tool (default bin/tools/fyne; `make package` installs the
#         pinned version there)
#   GO    the go command (default go)
#   DIST  output directory (default dist)
#   PARALLEL  1 (default): build the targets side by side; 0: one by one
#   SOURCE  worktree (default): package the work tree as `go build` sees it,
#           with uncommitted changes; head: package the last commit only
#
# fyne package writes into the directory it builds (it injects
# fyne_metadata_init.go, writes fyne.syso for Windows and bumps Build in
# FyneApp.toml), so every build runs in a private copy of the source under
# $DIST/.stage and the work tree is never touched.
set -euo pipefail

cd "$(dirname "$0")/.."
root=$PWD

say() { echo "package: $*" >&2; }
die() {
	say "$*"
	exit 1
}

GO=${GO:-go}
FYNE=${FYNE:-bin/tools/fyne}
DIST=${DIST:-dist}
SOURCE=${SOURCE:-worktree}
[[ $FYNE == /* ]] || FYNE=$root/$FYNE
[[ $DIST == /* ]] || DIST=$root/$DIST

[[ -x $FYNE ]] || die "fyne tool not found at $FYNE (run 'make package', which installs it)"
command -v "$GO" >/dev/null || die "go command '$GO' not found"
case $SOURCE in
worktree | head) ;;
*) die "unknown SOURCE '$SOURCE' (want worktree or head)" ;;
esac

version=$(sed -n 's/^Version[[:space:]]*=[[:space:]]*"\([^"]*\)".*/\1/p' FyneApp.toml)
[[ -n $version ]] || die "no Version line in FyneApp.toml"
name=$(sed -n 's/^Name[[:space:]]*=[[:space:]]*"\([^"]*\)".*/\1/p' FyneApp.toml)
[[ -n $name ]] || die "no Name line in FyneApp.toml"
exe=qkdchat # fyne names the executable after the module path in go.mod

targets=("$@")
((${#targets[@]})) || targets=(linux windows)
for t in "${targets[@]}"; do
	case $t in
	linux | windows) ;;
	*) die "unknown target '$t' (want linux or windows)" ;;
	esac
done

stage=$DIST/.stage
mkdir -p "$DIST"
cleanup() { rm -rf "$stage"; }
trap cleanup EXIT

# stage_source DIR: copy the module's source files into DIR: with
# SOURCE=worktree the tracked and untracked ones (without ignored ones such as
# bin/ and dist/), with SOURCE=head the files of the last commit.
stage_source() {
	local dir=$1
	rm -rf "$dir"
	mkdir -p "$dir"
	if [[ $SOURCE == head ]]; then
		git archive --format=tar HEAD | tar -xf - -C "$dir"
	elif git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
		# files deleted in the work tree but still tracked are skipped
		git ls-files -z -c -o --exclude-standard |
			while IFS= read -r -d '' f; do
				[[ -e $f ]] && printf '%s\0' "$f"
			done |
			tar --null -T - -cf - | tar -xf - -C "$dir"
	else
		tar --exclude=./.git --exclude=./bin --exclude=./dist -cf - . | tar -xf - -C "$dir"
	fi
}

# check_release BIN: fail unless BIN is stripped and built with -trimpath.
check_release() {
	local bin=$1 modcache
	if command -v readelf >/dev/null && readelf -h "$bin" >/dev/null 2>&1; then
		if readelf -S "$bin" | grep -q '\.symtab'; then
			die "$bin has a symbol table: not stripped"
		fi
	fi
	modcache=$("$GO" env GOMODCACHE)
	if grep -q -a -F -e "$root/" -e "$stage/" -e "$modcache/" "$bin"; then
		die "$bin contains build paths: not built with -trimpath"
	fi
}

elapsed() { echo $((SECONDS - $1))s; }

package_linux() {
	local start=$SECONDS arch src out bin
	arch=$("$GO" env GOARCH)
	src=$stage/linux
	out=$DIST/qkdchat-$version-linux-$arch.tar.xz
	say "linux: building $out"
	stage_source "$src"
	(cd "$src" && "$FYNE" package -os linux -release) ||
		die "linux: fyne package failed"
	[[ -f "$src/$name.tar.xz" ]] || die "linux: fyne package did not produce '$name.tar.xz'"
	mv -f "$src/$name.tar.xz" "$out"

	# verify what the archive holds and that the binary is a release build
	mkdir -p "$stage/check"
	tar -xJf "$out" -C "$stage/check"
	bin=$(find "$stage/check" -path "*/bin/$exe" -type f | head -n 1)
	[[ -n $bin ]] || die "linux: $out holds no bin/$exe"
	find "$stage/check" -name '*.desktop' | grep -q . || die "linux: $out holds no .desktop entry"
	find "$stage/check" -path '*/pixmaps/*.png' | grep -q . || die "linux: $out holds no icon"
	find "$stage/check" -maxdepth 2 -name Makefile | grep -q . || die "linux: $out holds no Makefile"
	check_release "$bin"
	say "linux: $out ($(du -h "$out" | cut -f1), $(stat -c %s "$out") bytes) in $(elapsed "$start")"
}

package_windows() {
	local start=$SECONDS src out cc=${WINDOWS_CC:-x86_64-w64-mingw32-gcc}
	command -v "$cc" >/dev/null ||
		die "windows: cross compiler $cc not found (run 'scripts/install-deps.sh package')"
	src=$stage/windows
	out=$DIST/qkdchat-$version-windows-amd64.exe
	say "windows: building $out"
	stage_source "$src"
	(cd "$src" && CC=$cc CXX=${cc%gcc}g++ CGO_ENABLED=1 GOOS=windows GOARCH=amd64 \
		"$FYNE" package -os windows -release) ||
		die "windows: fyne package failed"
	[[ -f "$src/$name.exe" ]] || die "windows: fyne package did not produce '$name.exe'"
	mv -f "$src/$name.exe" "$out"
	check_release "$out"
	say "windows: $out ($(du -h "$out" | cut -f1), $(stat -c %s "$out") bytes) in $(elapsed "$start")"
}

# The two builds run side by side: each spends much of its time in a few
# long, single-threaded cgo compiles (GLFW, OpenGL), so together they keep
# both cores busy. PARALLEL=0 builds one after the other.
if ((${#targets[@]} > 1)) && [[ ${PARALLEL:-1} != 0 ]]; then
	pids=()
	for t in "${targets[@]}"; do
		"package_$t" &
		pids+=($!)
	done
	status=0
	for pid in "${pids[@]}"; do
		wait "$pid" || status=1
	done
	((status == 0)) || die "packaging failed"
else
	for t in "${targets[@]}"; do
		"package_$t"
	done
fi
