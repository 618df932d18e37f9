#!/usr/bin/env bash
# screenshots.sh: PNGs of every pane of QKD Chat, in light and dark, for the
# docs/desktop.md. Everything is captured from the real windows under Xvfb:
#   - `qkdchat demo --screenshot-dir` walks Alice, Bob and Eve through a short
#     story (a key, a chat, a health record, an attack) and has xdotool and
#     ImageMagick's import capture each window;
#   - the desktop app itself, started in an empty home directory, is captured
#     on its first-run form with `import -window root`.
# The PNGs are reduced to 256 colours to keep the repository small.
#
# Usage: scripts/screenshots.sh BINARY [OUTDIR]   (default OUTDIR: docs/screenshots)
set -euo pipefail

bin=${1:?usage: scripts/screenshots.sh BINARY [OUTDIR]}
out=${2:-docs/screenshots}
for tool in xvfb-run xdotool import convert; do
	command -v "$tool" >/dev/null || {
		echo "screenshots: $tool is missing; run scripts/install-deps.sh test" >&2
		exit 1
	}
done
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
screen="-screen 0 1280x1024x24"

echo "screenshots: the demo's panes" >&2
LANG=C.UTF-8 xvfb-run -a -s "$screen" "$bin" demo --screenshot-dir "$tmp/shots" >/dev/null 2>"$tmp/demo.log" || {
	cat "$tmp/demo.log" >&2
	exit 1
}

echo "screenshots: the desktop app's first run" >&2
for theme in light dark; do
	home="$tmp/home-$theme"
	mkdir -p "$home"
	HOME=$home XDG_CONFIG_HOME=$home/.config QKDCHAT_THEME=$theme LANG=C.UTF-8 \
		xvfb-run -a -s "$screen" bash -c '
			"$1" 2>/dev/null & pid=$!
			xdotool search --sync --name "^QKD Chat$" >/dev/null
			sleep 2
			import -window root -crop 1100x720+0+0 "$2"
			kill -TERM $pid
			wait $pid
		' _ "$bin" "$tmp/shots/first-run-$theme.png"
done

n=0
for f in "$tmp"/shots/*.png; do
	convert "$f" -strip -colors 256 "PNG8:$out/$(basename "$f")"
	n=$((n + 1))
done
echo "screenshots: wrote $n PNGs to $out" >&2
