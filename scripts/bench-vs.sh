#!/usr/bin/env bash
# bench-vs.sh: time two qkdchat binaries side by side as fresh processes,
# the way issue #17 measures the BB84 pipeline.
#
#   scripts/bench-vs.sh OLD NEW [REPS] [-- simulate flags]
#
# Runs `OLD simulate ... --seed i --json` and `NEW simulate ... --seed i
# --json` alternately for seeds 1..REPS (default 7; OLD first on odd seeds,
# NEW first on even ones), each a fresh process, and prints one line per
# run (binary, seed, Alice's total in ms from the JSON, CPU time of the
# process in ms, peak RSS in kB) and then the medians and the ratio
# OLD/NEW of the medians. The simulate flags default to the issue's
# `--qubits 1000000 --noise 0.02 --key-bits 0`; for the abort use
# `-- --qubits 8000000 --eve 1 --key-bits 0`. The load average is printed
# before and after: on a shared machine only ratios from one run compare.
# Needs GNU time (/usr/bin/time).
#
# Build the old binary once, e.g. for commit 73e73d8:
#   git worktree add /tmp/old73 73e73d8 && (cd /tmp/old73 && go build -o /tmp/qkdchat-73e73d8 .)
set -euo pipefail

if [[ $# -lt 2 ]]; then
	sed -n '2,20p' "$0" >&2
	exit 2
fi
old=$1 new=$2
shift 2
reps=7
if [[ $# -gt 0 && $1 != -- ]]; then
	reps=$1
	shift
fi
[[ ${1:-} == -- ]] && shift
flags=("$@")
if [[ ${#flags[@]} -eq 0 ]]; then
	flags=(--qubits 1000000 --noise 0.02 --key-bits 0)
fi
for b in "$old" "$new"; do
	[[ -x $b ]] || { echo "bench-vs: $b is not an executable" >&2; exit 2; }
done
[[ -x /usr/bin/time ]] || { echo "bench-vs: needs GNU time at /usr/bin/time" >&2; exit 2; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)"
echo "flags: ${flags[*]}"
printf '%-10s %4s %10s %8s %9s\n' binary seed total_ms cpu_ms rss_kb
one() { # label binary seed
	local out
	out=$(/usr/bin/time -f 'TIME %U %S %M' -o "$tmp/time" "$2" simulate "${flags[@]}" --seed "$3" --json 2>/dev/null || true)
	local total
	total=$(grep -o '"total":[0-9.]*' <<<"$out" | tail -1 | cut -d: -f2)
	# GNU time puts "Command exited with non-zero status N" first when
	# simulate exits non-zero (a run to its abort does); the figures are last.
	read -r _ u s rss < <(grep '^TIME ' "$tmp/time" | tail -1)
	local cpu
	cpu=$(awk -v u="$u" -v s="$s" 'BEGIN { printf "%.0f", (u + s) * 1000 }')
	printf '%-10s %4d %10s %8s %9s\n' "$1" "$3" "${total:-?}" "$cpu" "$rss"
	echo "$1 $total $cpu" >>"$tmp/runs"
}
for ((i = 1; i <= reps; i++)); do
	if ((i % 2 == 1)); then
		one old "$old" "$i"
		one new "$new" "$i"
	else
		one new "$new" "$i"
		one old "$old" "$i"
	fi
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)"
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) { print "?"; exit } if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
ot=$(awk '$1 == "old" { print $2 }' "$tmp/runs" | median)
nt=$(awk '$1 == "new" { print $2 }' "$tmp/runs" | median)
oc=$(awk '$1 == "old" { print $3 }' "$tmp/runs" | median)
nc=$(awk '$1 == "new" { print $3 }' "$tmp/runs" | median)
echo "median total (Alice's clock): old $ot ms, new $nt ms, old/new $(awk -v a="$ot" -v b="$nt" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "?" }')"
echo "median process CPU:           old $oc ms, new $nc ms, old/new $(awk -v a="$oc" -v b="$nc" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "?" }')"
