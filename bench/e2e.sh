#!/usr/bin/env bash
# End-to-end throughput of `earshot triage` on a generated corpus, with grep (and ripgrep, if it is
# installed) run in the same session as baselines, so their ratio is measured under the same load.
#
#   bash bench/e2e.sh [BUILD_DIR]        BUILD_DIR defaults to build-bench; it must hold a build
#                                        configured with -DEARSHOT_BUILD_BENCH=ON (this script
#                                        builds nothing and installs nothing)
#   POSTS=N     corpus size (default 1000000)
#   SEED=S      corpus seed (default 1)
#   THREADS=N   earshot worker threads (default: nproc)
#   BASELINE_TIMEOUT=S  give up on a baseline after S seconds (default 300; reported as timed out)
#
# Prints one JSON object on stdout; progress goes to stderr.
#
# The baselines do far less work than earshot: `grep -c -i -E -f` / `rg -c -i -f` only count the
# lines on which any shipped complaint include-pattern matches anywhere in the raw JSON line. They
# do not parse JSON, apply excludes, attribute rules, look for brands or signals, score, or write
# results. The ratio says what the whole triage costs over a bare multi-pattern line filter.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${1:-build-bench}
posts=${POSTS:-1000000}
seed=${SEED:-1}
threads=${THREADS:-$(nproc)}
baseline_timeout=${BASELINE_TIMEOUT:-300}
earshot=$build/cli/earshot
generator=$build/bench/earshot_corpus_gen
for tool in "$earshot" "$generator"; do
  if [[ ! -x $tool ]]; then
    echo "e2e.sh: $tool not found; build with -DEARSHOT_BUILD_BENCH=ON first (make bench)" >&2
    exit 2
  fi
done

work=$(mktemp -d "${TMPDIR:-/tmp}/earshot-e2e.XXXXXX")
trap 'rm -rf "$work"' EXIT

rule_paths=("$root/rules" "$root/examples/brands.yaml")
rule_args=(--rules "$root/rules" --rules "$root/examples/brands.yaml")

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }

echo "e2e.sh: generating $posts posts (seed $seed)" >&2
"$generator" --posts "$posts" --seed "$seed" >"$work/posts.jsonl"
bytes=$(stat -c %s "$work/posts.jsonl")

# Warm the rule cache (in the temp dir, so the run is hermetic): triage then loads, not compiles.
"$earshot" rules check --cache-dir "$work/cache" "${rule_paths[@]}" >&2

# Page the corpus in once, so the first timed reader does not pay for the disk alone.
cat "$work/posts.jsonl" >/dev/null

echo "e2e.sh: earshot triage, $threads threads" >&2
rss_mb=null
start=$(now)
if [[ -x /usr/bin/time ]]; then
  /usr/bin/time -v -o "$work/time.txt" "$earshot" -v triage "${rule_args[@]}" --cache-dir "$work/cache" \
    --threads "$threads" --in "$work/posts.jsonl" --out "$work/results.jsonl" 2>"$work/earshot.log"
  end=$(now)
  rss_kb=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$work/time.txt")
  rss_mb=$(awk -v k="$rss_kb" 'BEGIN { printf "%.1f", k / 1024 }')
else
  "$earshot" -v triage "${rule_args[@]}" --cache-dir "$work/cache" --threads "$threads" \
    --in "$work/posts.jsonl" --out "$work/results.jsonl" 2>"$work/earshot.log"
  end=$(now)
fi
earshot_s=$(elapsed "$start" "$end")
results=$(wc -l <"$work/results.jsonl")
if [[ $results -ne $posts ]]; then
  echo "e2e.sh: earshot wrote $results results for $posts posts; see its log:" >&2
  cat "$work/earshot.log" >&2
  exit 1
fi
complaints=$(grep -c -v '"severity":"none"' "$work/results.jsonl" || true)
# -v logs "rules: N rules, M patterns, loaded from cache (X ms)". A compile inside the timed run
# (the rules changed after `rules check`, or the cache could not be used) is reported, not hidden.
rules_line=$(grep -o 'rules: [0-9]* rules, [0-9]* patterns, [a-z ]* ([0-9]* ms)' "$work/earshot.log" | head -n 1)
rules_from_cache=false
[[ $rules_line == *"loaded from cache"* ]] && rules_from_cache=true
rules_load_ms=$(sed -n 's/.*(\([0-9]*\) ms).*/\1/p' <<<"$rules_line")
if [[ $rules_from_cache != true ]]; then
  echo "e2e.sh: warning: earshot compiled the rules inside the timed run: ${rules_line:-no rules line in its log}" >&2
fi

# The include patterns of the shipped complaint rules, one per line. \d is PCRE, not ERE: GNU grep
# would read it as a literal 'd', so the grep file spells it [0-9]. ripgrep takes them as written.
python3 - "$root"/rules/complaints/*.yaml >"$work/patterns.txt" <<'EOF'
import sys, yaml
for path in sys.argv[1:]:
    with open(path, encoding="utf-8") as f:
        for rule in (yaml.safe_load(f) or {}).get("complaints", []):
            for p in rule.get("patterns", []):
                print(p["pattern"] if isinstance(p, dict) else p)
EOF
sed 's/\\d/[0-9]/g' "$work/patterns.txt" >"$work/patterns.ere"
pattern_count=$(wc -l <"$work/patterns.txt")

# Runs one baseline (a command that prints a line count) under BASELINE_TIMEOUT and prints its JSON
# object. A richer rule set can push GNU grep off its DFA onto backtracking: with 485 patterns full
# of `( \w+){0,3}` it ran for over 15 minutes on 1M posts where earshot took 5.5 s.
run_baseline() {
  local start end status=0 count
  start=$(now)
  count=$(timeout "$baseline_timeout" "$@") || status=$?
  end=$(now)
  if [[ $status -eq 124 ]]; then
    printf '{"seconds":null,"ratio_vs_earshot":null,"timed_out_after_s":%s}' "$baseline_timeout"
  elif [[ $status -gt 1 ]]; then  # 1 only means "no line matched"
    echo "e2e.sh: baseline failed with status $status: $*" >&2
    printf 'null'
  else
    awk -v s="$(elapsed "$start" "$end")" -v e="$earshot_s" -v c="${count:-0}" \
      'BEGIN { printf "{\"seconds\":%.3f,\"ratio_vs_earshot\":%.2f,\"matching_lines\":%d}", s, s / e, c }'
  fi
}

# LC_ALL=C: byte semantics and ASCII case folding, as earshot's matcher (and grep's fast path).
echo "e2e.sh: grep -c -i -E -f ($pattern_count patterns)" >&2
grep_json=$(run_baseline env LC_ALL=C grep -c -i -E -f "$work/patterns.ere" "$work/posts.jsonl")

rg_json=null
if command -v rg >/dev/null 2>&1; then
  echo "e2e.sh: rg -c -i -f" >&2
  rg_json=$(run_baseline rg -c -i -f "$work/patterns.txt" "$work/posts.jsonl")
fi

model=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
awk -v posts="$posts" -v bytes="$bytes" -v threads="$threads" -v s="$earshot_s" -v rss="$rss_mb" \
    -v complaints="$complaints" -v grep_json="$grep_json" -v rg_json="$rg_json" \
    -v from_cache="$rules_from_cache" -v load_ms="${rules_load_ms:-null}" \
    -v machine="$(nproc) cores, $model" -v patterns="$pattern_count" 'BEGIN {
  printf "{\"posts\":%d,\"bytes\":%d,\"threads\":%d,", posts, bytes, threads
  printf "\"earshot_triage\":{\"seconds\":%.3f,\"posts_per_s\":%.0f,\"mb_per_s\":%.1f,\"peak_rss_mb\":%s,\"complaints\":%d,\"rules_from_cache\":%s,\"rules_load_ms\":%s},",
         s, posts / s, bytes / 1e6 / s, rss, complaints, from_cache, load_ms
  printf "\"baselines\":{\"grep_E\":%s,\"ripgrep\":%s},", grep_json, rg_json
  printf "\"note\":\"baselines count lines matching any of the %d complaint include patterns in the raw JSON; they do not parse JSON, apply excludes, match brands or signals, score or write results. ratio_vs_earshot = baseline seconds / earshot seconds. earshot seconds include loading the cached rule database.\",", patterns
  printf "\"machine\":\"%s\"}\n", machine
}'
