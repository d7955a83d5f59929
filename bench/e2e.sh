#!/usr/bin/env bash
# End-to-end benchmark (issue 7): earshot triage and earshot run --once on a generated corpus, the
# same corpus through the tools a user would otherwise reach for, in the same run (so their ratios
# are measured under the same load), post-to-commit latency under an offered load, and the
# issue's targets as measured. Prints one JSON object on stdout; progress goes to stderr.
#
#   bash bench/e2e.sh [BUILD_DIR]        BUILD_DIR defaults to build-bench; it must hold a build
#                                        configured with -DEARSHOT_BUILD_BENCH=ON (this script
#                                        builds nothing and installs nothing)
#   POSTS=N     corpus size (default 1000000)
#   SEED=S      corpus seed (default 1)
#   THREADS=N   earshot worker threads (default: nproc)
#   BASELINE_TIMEOUT=S  give up on a baseline after S seconds (default 120; reported as timed out)
#   SLOW_BASELINE_POSTS=N  the std::regex and Python `re` loops run on the first N posts only
#               (default 2000); pcre2 and rg run on that prefix too, so their counts can be compared
#   LATENCY_RATE=N, LATENCY_SECONDS=S  bench/latency.sh's offered load (default 10000 posts/s for
#               20 s after a 2 s warm-up); LATENCY_RATE=0 skips it
#
# What runs, on the same posts.jsonl:
# - earshot triage with the shipped rules and example brands; earshot triage with the 100 simple
#   complaint regexes of bench/patterns/simple100.txt as rules; earshot run --once (the durable
#   path: dedupe, cases and queue in LMDB), with its memory sampled from /proc;
# - with the 100 simple regexes: rg -c -i --no-unicode (ASCII \b and case folding, as earshot),
#   rg -c -i as typed (Unicode \b; on the prefix) and GNU grep -c -i -E in the C locale: the
#   target's yardstick;
# - with the shipped complaint include patterns: GNU grep, rg, PCRE2 (JIT) and std::regex loops,
#   Python re, and rg -F over a literal list taken from them.
#
# The baselines do far less work than earshot: they only count the lines on which a pattern matches
# anywhere in the raw JSON line. They do not parse JSON, apply excludes, attribute rules, look for
# brands or signals, score, or write results.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${1:-build-bench}
posts=${POSTS:-1000000}
seed=${SEED:-1}
threads=${THREADS:-$(nproc)}
baseline_timeout=${BASELINE_TIMEOUT:-120}
earshot=$build/cli/earshot
generator=$build/bench/earshot_corpus_gen
regex_baseline=$build/bench/earshot_regex_baseline
slow_posts=${SLOW_BASELINE_POSTS:-2000}
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

# Times `earshot triage` over the corpus with the given --rules arguments, writing NAME.jsonl and
# NAME.log in the work dir; sets triage_s, triage_rss_mb, rules_from_cache, rules_load_ms.
time_triage() {
  local name=$1 start end rss_kb results rules_line
  shift
  triage_rss_mb=null
  start=$(now)
  if [[ -x /usr/bin/time ]]; then
    /usr/bin/time -v -o "$work/$name.time" "$earshot" -v triage "$@" --cache-dir "$work/cache" \
      --threads "$threads" --in "$work/posts.jsonl" --out "$work/$name.jsonl" 2>"$work/$name.log"
    end=$(now)
    rss_kb=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$work/$name.time")
    triage_rss_mb=$(awk -v k="$rss_kb" 'BEGIN { printf "%.1f", k / 1024 }')
  else
    "$earshot" -v triage "$@" --cache-dir "$work/cache" --threads "$threads" \
      --in "$work/posts.jsonl" --out "$work/$name.jsonl" 2>"$work/$name.log"
    end=$(now)
  fi
  triage_s=$(elapsed "$start" "$end")
  results=$(wc -l <"$work/$name.jsonl")
  if [[ $results -ne $posts ]]; then
    echo "e2e.sh: earshot wrote $results results for $posts posts; see its log:" >&2
    cat "$work/$name.log" >&2
    exit 1
  fi
  # -v logs "rules: N rules, M patterns, loaded from cache (X ms)". A compile inside the timed run
  # (the rules changed after `rules check`, or the cache could not be used) is reported, not hidden.
  rules_line=$(grep -o 'rules: [0-9]* rules, [0-9]* patterns, [a-z ]* ([0-9]* ms)' "$work/$name.log" | head -n 1)
  rules_from_cache=false
  [[ $rules_line == *"loaded from cache"* ]] && rules_from_cache=true
  rules_load_ms=$(sed -n 's/.*(\([0-9]*\) ms).*/\1/p' <<<"$rules_line")
  if [[ $rules_from_cache != true ]]; then
    echo "e2e.sh: warning: earshot compiled the rules inside the timed run: ${rules_line:-no rules line in its log}" >&2
  fi
}

echo "e2e.sh: earshot triage, $threads threads" >&2
time_triage results "${rule_args[@]}"
earshot_s=$triage_s rss_mb=$triage_rss_mb earshot_from_cache=$rules_from_cache earshot_load_ms=$rules_load_ms
complaints=$(grep -c -v '"severity":"none"' "$work/results.jsonl" || true)
rm -f "$work/results.jsonl"

# The yardstick of the issue-7 target: 100 simple complaint regexes (bench/patterns/simple100.txt),
# one complaint rule each, through earshot triage (no brand rules: every post is still scanned and
# scored), and the same file through ripgrep and GNU grep below. A post matches when its result
# lists a rule.
python3 - "$root/bench/patterns/simple100.txt" >"$work/simple100.yaml" <<'EOF'
import json, sys
print("complaints:")
for number, line in enumerate(open(sys.argv[1], encoding="utf-8"), 1):
    print(f"  - id: bench.simple_{number:03d}\n    category: general_negative\n    patterns: [{json.dumps(line.rstrip())}]")
EOF
"$earshot" rules check --cache-dir "$work/cache" "$work/simple100.yaml" >&2
echo "e2e.sh: earshot triage with the 100 simple regexes, $threads threads" >&2
time_triage simple100 --rules "$work/simple100.yaml"
simple_s=$triage_s simple_rss_mb=$triage_rss_mb simple_from_cache=$rules_from_cache
simple_matched=$(grep -c -v '"rules":\[\]' "$work/simple100.jsonl" || true)
rm -f "$work/simple100.jsonl"

# `earshot run --once`: the durable path (posts deduplicated, complaints joined into cases and
# queued, the source offset saved, all in LMDB under the temp dir) over the same corpus, read as a
# jsonl source; same rules, same warm cache, same threads.
cat >"$work/run.yaml" <<YAML
data_dir: $work/data
rules: ['$root/rules/', '$root/examples/brands.yaml']
pipeline: {threads: $threads}
sources: [{id: corpus, kind: jsonl, path: '$work/posts.jsonl'}]
YAML
echo "e2e.sh: earshot run --once (durable), $threads threads" >&2
# Memory is sampled from /proc every 50 ms: VmHWM (the kernel's exact peak RSS so far), and the
# largest RssAnon and RssFile seen. RSS counts the pages of LMDB's memory map that the run has read
# (page cache, which the kernel can reclaim; its size follows the data file), RssAnon the process's
# own memory (buffers, batches, Hyperscan scratch), which must stay flat whatever the input size.
start=$(now)
run_status=0
"$earshot" run --config "$work/run.yaml" --once --cache-dir "$work/cache" >/dev/null 2>"$work/run.log" &
run_pid=$!
peak_kb=0 anon_kb=0 file_kb=0
while kill -0 "$run_pid" 2>/dev/null; do
  if read -r hwm anon file < <(awk '/^VmHWM/ { h = $2 } /^RssAnon/ { a = $2 } /^RssFile/ { f = $2 }
                                     END { if (h != "") print h, a, f }' "/proc/$run_pid/status" 2>/dev/null); then
    ((hwm > peak_kb)) && peak_kb=$hwm
    ((anon > anon_kb)) && anon_kb=$anon
    ((file > file_kb)) && file_kb=$file
  fi
  sleep 0.05
done
wait "$run_pid" || run_status=$?
end=$(now)
run_rss_mb=$(awk -v k="$peak_kb" 'BEGIN { printf "%.1f", k / 1024 }')
run_anon_mb=$(awk -v k="$anon_kb" 'BEGIN { printf "%.1f", k / 1024 }')
run_file_mb=$(awk -v k="$file_kb" 'BEGIN { printf "%.1f", k / 1024 }')
run_s=$(elapsed "$start" "$end")
# The summary counts new posts and duplicates (the corpus re-polls ~5% of its lines) separately.
run_new=$(grep -oE 'run: [0-9]+ posts' "$work/run.log" | tail -n 1 | grep -oE '[0-9]+' || true)
run_dups=$(grep -oE '[0-9]+ duplicates' "$work/run.log" | tail -n 1 | grep -oE '[0-9]+' || echo 0)
run_posts=${run_new:+$((run_new + run_dups))}
if [[ $run_status -ne 0 || -z $run_posts ]]; then
  echo "e2e.sh: earshot run --once failed (status $run_status); its log:" >&2
  cat "$work/run.log" >&2
  run_json=null
else
  [[ $run_posts -ne $posts ]] && echo "e2e.sh: warning: earshot run read $run_posts of $posts posts" >&2
  run_json=$(awk -v s="$run_s" -v n="$run_posts" -v b="$bytes" -v rss="$run_rss_mb" -v anon="$run_anon_mb" \
      -v file="$run_file_mb" -v e="$earshot_s" -v data="$(du -sm "$work/data" | cut -f1)" 'BEGIN {
    printf "{\"seconds\":%.3f,\"posts\":%d,\"posts_per_s\":%.0f,\"mb_per_s\":%.1f,\"peak_rss_mb\":%s,", s, n, n / s, b / 1e6 / s, rss
    printf "\"peak_rss_anon_mb\":%s,\"peak_rss_file_mb\":%s,\"data_dir_mb\":%d,\"ratio_vs_triage\":%.2f}", anon, file, data, s / e }')
fi
rm -rf "$work/data"

# The include patterns of the shipped complaint rules, one per line: the file every regex baseline
# (rg, PCRE2, std::regex, Python re) reads, so all count the same thing. An escaped punctuation
# character that is not a regex metacharacter (`\/`) is written bare, because ripgrep 13 rejects
# it ("unrecognized escape sequence") and it means the same in every engine. \d is PCRE, not ERE:
# GNU grep would read it as a literal 'd', so the grep file spells it [0-9].
python3 - "$root"/rules/complaints/*.yaml >"$work/patterns.txt" <<'EOF'
import re, sys, yaml
meta = set(".+*?()|[]{}^$#&-~\\")
def bare(m):
    c = m.group(1)
    return c if not c.isalnum() and not c.isspace() and c not in meta else m.group(0)
for path in sys.argv[1:]:
    with open(path, encoding="utf-8") as f:
        for rule in (yaml.safe_load(f) or {}).get("complaints", []):
            for p in rule.get("patterns", []):
                print(re.sub(r"\\(.)", bare, p["pattern"] if isinstance(p, dict) else p))
EOF
sed 's/\\d/[0-9]/g' "$work/patterns.txt" >"$work/patterns.ere"
pattern_count=$(wc -l <"$work/patterns.txt")

# The literal-list variant for `rg -F`: from each pattern (each branch of a top-level `|`), the
# longest run of plain characters outside groups, classes and escapes, without a character that a
# following `?`, `*` or `{` makes optional; lowercased, at least 6 characters (shorter ones are mostly
# function words such as `for` or `than` that would match nearly every line), deduplicated. It is
# what a user would grep for without regexes: a different, cheaper filter (no \b, no optional
# parts, alternations inside groups dropped), so its count is reported but not compared.
python3 - "$work/patterns.txt" >"$work/literals.txt" <<'EOF'
import sys

def branches(p):
    out, depth, cur, i = [], 0, "", 0
    while i < len(p):
        c = p[i]
        if c == "\\":
            cur += p[i:i + 2]; i += 2; continue
        if c == "[":
            j = p.index("]", i + 2 if p[i + 1:i + 2] in ("]", "^") else i + 1)
            cur += p[i:j + 1]; i = j + 1; continue
        depth += c == "("; depth -= c == ")"
        if c == "|" and depth == 0:
            out.append(cur); cur = ""
        else:
            cur += c
        i += 1
    return out + [cur]

def longest_literal(b):
    runs, cur, depth, i = [], "", 0, 0
    def end():
        nonlocal cur
        runs.append(cur); cur = ""
    while i < len(b):
        c = b[i]
        if c == "\\":
            e = b[i + 1]
            if depth == 0 and not e.isalnum():
                cur += e
            else:
                end()
            i += 2; continue
        if c == "[":
            end(); j = b.index("]", i + 2 if b[i + 1:i + 2] in ("]", "^") else i + 1); i = j + 1; continue
        if c in "?*{":
            if depth == 0: cur = cur[:-1]
            end()
            if c == "{": i = b.index("}", i)
            i += 1; continue
        if c == "(":
            depth += 1; end()
        elif c == ")":
            depth -= 1
        elif c in ".^$+":
            end()
        elif depth == 0:
            cur += c
        i += 1
    end()
    return max((r.strip() for r in runs), key=len)

seen = set()
for line in open(sys.argv[1], encoding="utf-8"):
    for b in branches(line.rstrip("\n")):
        lit = longest_literal(b).lower()
        if len(lit) >= 6 and lit not in seen:
            seen.add(lit); print(lit)
EOF
literal_count=$(wc -l <"$work/literals.txt")

# The slow loops (std::regex, Python re) run on a prefix of the corpus; pcre2 and rg run on it too.
head -n "$slow_posts" "$work/posts.jsonl" >"$work/prefix.jsonl"
prefix_posts=$(wc -l <"$work/prefix.jsonl")
prefix_bytes=$(stat -c %s "$work/prefix.jsonl")

# Runs one baseline under BASELINE_TIMEOUT with stdin from INPUT (a command that prints a line
# count) and prints its JSON object: seconds, rates, matching_lines. ratio_vs_earshot is baseline
# seconds / earshot triage seconds and is given only for runs over the whole corpus; rate_vs_earshot
# (baseline posts/s / earshot triage posts/s) compares prefix runs too. A richer rule set can push
# GNU grep off its DFA onto backtracking: with 485 patterns full of `( \w+){0,3}` it ran for over
# 15 minutes on 1M posts where earshot took 5.5 s.
run_baseline() {
  local input=$1 n=$2 size=$3 start end status=0 count
  shift 3
  start=$(now)
  count=$(timeout "$baseline_timeout" "$@" <"$input") || status=$?
  end=$(now)
  if [[ $status -eq 124 ]]; then
    printf '{"posts":%d,"seconds":null,"ratio_vs_earshot":null,"timed_out_after_s":%s}' "$n" "$baseline_timeout"
  elif [[ $status -gt 1 || ! ${count:-0} =~ ^[0-9]+$ ]]; then  # 1 only means "no line matched"
    echo "e2e.sh: baseline failed with status $status: $*" >&2
    printf 'null'
  else
    awk -v s="$(elapsed "$start" "$end")" -v e="$earshot_s" -v c="${count:-0}" -v n="$n" -v b="$size" \
        -v all="$posts" -v eps="$(awk -v p="$posts" -v e="$earshot_s" 'BEGIN { printf "%.3f", p / e }')" 'BEGIN {
      if (s <= 0) s = 0.001
      printf "{\"posts\":%d,\"seconds\":%.3f,\"posts_per_s\":%.0f,\"mb_per_s\":%.3f,", n, s, n / s, b / 1e6 / s
      if (n == all) printf "\"ratio_vs_earshot\":%.2f,", s / e; else printf "\"ratio_vs_earshot\":null,"
      printf "\"rate_vs_earshot\":%.4f,\"matching_lines\":%d}", n / s / eps, c }'
  fi
}
# The count out of a baseline's JSON object ("" when it did not run or timed out).
count_of() { sed -n 's/.*"matching_lines":\([0-9]*\).*/\1/p' <<<"$1"; }

full=("$work/posts.jsonl" "$posts" "$bytes")
prefix=("$work/prefix.jsonl" "$prefix_posts" "$prefix_bytes")

# LC_ALL=C: byte semantics and ASCII case folding, as earshot's matcher (and grep's fast path).
echo "e2e.sh: grep -c -i -E -f ($pattern_count patterns)" >&2
grep_json=$(run_baseline "${full[@]}" env LC_ALL=C grep -c -i -E -f "$work/patterns.ere")

# ripgrep joins the patterns into one regex; with ~1,100 patterns it exceeds its default 100 MB
# compiled-size limit ("Compiled regex exceeds size limit"), so both limits are raised to 1 GB.
rg_limits=(--regex-size-limit 1G --dfa-size-limit 1G)
rg_json=null rg_literal_json=null rg_prefix_json=null
if command -v rg >/dev/null 2>&1; then
  echo "e2e.sh: rg -c -i -f ($pattern_count patterns)" >&2
  rg_json=$(run_baseline "${full[@]}" rg -c -i "${rg_limits[@]}" -f "$work/patterns.txt" -)
  echo "e2e.sh: rg -c -i -F -f ($literal_count literals)" >&2
  rg_literal_json=$(run_baseline "${full[@]}" rg -c -i -F -f "$work/literals.txt" -)
  rg_prefix_json=$(run_baseline "${prefix[@]}" rg -c -i "${rg_limits[@]}" -f "$work/patterns.txt" -)
fi

# The 100 simple regexes: ripgrep with ASCII word boundaries and case folding (--no-unicode: what
# earshot's matcher does) over the whole corpus, and as a user would type it (Unicode \b, which
# sends ripgrep 13 off its DFA on every line with a non-ASCII character: emoji, accents) on the
# prefix; GNU grep in the C locale on the whole corpus.
simple_patterns=$root/bench/patterns/simple100.txt
grep_simple_json=$(run_baseline "${full[@]}" env LC_ALL=C grep -c -i -E -f "$simple_patterns")
rg_simple_json=null rg_simple_unicode_json=null
if command -v rg >/dev/null 2>&1; then
  echo "e2e.sh: rg -c -i --no-unicode -f simple100.txt" >&2
  rg_simple_json=$(run_baseline "${full[@]}" rg -c -i --no-unicode -f "$simple_patterns" -)
  echo "e2e.sh: rg -c -i -f simple100.txt on the first $prefix_posts posts" >&2
  rg_simple_unicode_json=$(run_baseline "${prefix[@]}" rg -c -i -f "$simple_patterns" -)
fi

pcre2_json=null pcre2_prefix_json=null std_json=null
if [[ -x $regex_baseline ]]; then
  echo "e2e.sh: PCRE2 JIT loop ($pattern_count patterns)" >&2
  pcre2_json=$(run_baseline "${full[@]}" "$regex_baseline" --engine pcre2 --patterns "$work/patterns.txt")
  pcre2_prefix_json=$(run_baseline "${prefix[@]}" "$regex_baseline" --engine pcre2 --patterns "$work/patterns.txt")
  echo "e2e.sh: std::regex loop on the first $prefix_posts posts" >&2
  std_json=$(run_baseline "${prefix[@]}" "$regex_baseline" --engine std --patterns "$work/patterns.txt")
else
  echo "e2e.sh: $regex_baseline not built (needs libpcre2-dev): no PCRE2/std::regex baselines" >&2
fi

echo "e2e.sh: Python re on the first $prefix_posts posts" >&2
python_json=$(run_baseline "${prefix[@]}" python3 "$root/bench/re_baseline.py" "$work/patterns.txt")

# Every regex baseline counts the same thing on the prefix; they agree when all that ran give the
# same count (and rg and PCRE2 also agree on the whole corpus when both ran).
counts=()
for json in "$rg_prefix_json" "$pcre2_prefix_json" "$std_json" "$python_json"; do
  c=$(count_of "$json"); [[ -n $c ]] && counts+=("$c")
done
counts_agree=false
if ((${#counts[@]} >= 2)) && [[ $(printf '%s\n' "${counts[@]}" | sort -u | wc -l) -eq 1 ]]; then
  counts_agree=true
  a=$(count_of "$rg_json") b=$(count_of "$pcre2_json")
  [[ -n $a && -n $b && $a != "$b" ]] && counts_agree=false
fi
prefix_counts=$(printf '{"rg":%s,"pcre2":%s,"std_regex":%s,"python_re":%s}' \
  "$(count_of "$rg_prefix_json" | grep . || echo null)" "$(count_of "$pcre2_prefix_json" | grep . || echo null)" \
  "$(count_of "$std_json" | grep . || echo null)" "$(count_of "$python_json" | grep . || echo null)")

# Post-to-commit latency under 10,000 posts/s offered (bench/latency.sh); LATENCY_RATE=0 skips it.
latency_json=null
if [[ ${LATENCY_RATE:-10000} -gt 0 ]]; then
  latency_json=$(RATE=${LATENCY_RATE:-10000} SECONDS_=${LATENCY_SECONDS:-20} THREADS=$threads \
    bash "$root/bench/latency.sh" "$build") || latency_json=null
fi

simple_json=$(awk -v s="$simple_s" -v posts="$posts" -v bytes="$bytes" -v rss="$simple_rss_mb" -v m="$simple_matched" \
    -v cache="$simple_from_cache" 'BEGIN {
  printf "{\"seconds\":%.3f,\"posts_per_s\":%.0f,\"mb_per_s\":%.1f,\"peak_rss_mb\":%s,\"posts_matched\":%d,\"rules_from_cache\":%s}",
         s, posts / s, bytes / 1e6 / s, rss, m, cache }')
seconds_of() { sed -n 's/^{[^{]*"seconds":\([0-9.]*\),.*/\1/p' <<<"$1"; }
# The issue-7 targets, each as measured here (null when a part did not run).
targets=$(awk -v e="$earshot_s" -v rg="$(seconds_of "$rg_simple_json")" -v run="$(seconds_of "$run_json")" \
    -v rss="$rss_mb" -v run_rss="$(sed -n 's/.*"peak_rss_anon_mb":\([0-9.]*\).*/\1/p' <<<"$run_json")" \
    -v p99="$(sed -n 's/.*"p99_ms":\([0-9.]*\).*/\1/p' <<<"$latency_json")" 'BEGIN {
  printf "{"
  if (rg != "") printf "\"triage_speed_vs_rg_simple100\":%.3f,\"triage_at_least_rg\":%s,", rg / e, (rg / e >= 1) ? "true" : "false"
  if (rg != "" && run != "") printf "\"run_once_seconds_over_rg\":%.2f,\"run_once_within_2x_rg\":%s,", run / rg, (run / rg <= 2) ? "true" : "false"
  peak = rss + 0; if (run_rss + 0 > peak) peak = run_rss + 0
  # Own memory: the peak RSS of triage (it maps no data file) and the peak RssAnon of run --once.
  printf "\"peak_own_memory_mb\":%.1f,\"own_memory_under_512mb\":%s", peak, (peak < 512) ? "true" : "false"
  if (p99 != "") printf ",\"latency_p99_ms\":%.1f,\"p99_under_50ms\":%s", p99, (p99 < 50) ? "true" : "false"
  printf "}" }')

model=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
awk -v posts="$posts" -v bytes="$bytes" -v threads="$threads" -v s="$earshot_s" -v rss="$rss_mb" \
    -v complaints="$complaints" -v grep_json="$grep_json" -v rg_json="$rg_json" \
    -v rg_literal_json="$rg_literal_json" -v pcre2_json="$pcre2_json" -v std_json="$std_json" \
    -v python_json="$python_json" -v pcre2_prefix_json="$pcre2_prefix_json" -v counts_agree="$counts_agree" -v prefix_counts="$prefix_counts" \
    -v prefix_posts="$prefix_posts" -v literals="$literal_count" -v run_json="$run_json" \
    -v from_cache="$earshot_from_cache" -v load_ms="${earshot_load_ms:-null}" \
    -v latency_json="$latency_json" -v targets="$targets" -v simple_json="$simple_json" -v rg_simple_json="$rg_simple_json" \
    -v rg_simple_unicode_json="$rg_simple_unicode_json" -v grep_simple_json="$grep_simple_json" \
    -v machine="$(nproc) cores, $model" -v patterns="$pattern_count" 'BEGIN {
  printf "{\"posts\":%d,\"bytes\":%d,\"threads\":%d,", posts, bytes, threads
  printf "\"earshot_triage\":{\"seconds\":%.3f,\"posts_per_s\":%.0f,\"mb_per_s\":%.1f,\"peak_rss_mb\":%s,\"complaints\":%d,\"rules_from_cache\":%s,\"rules_load_ms\":%s},",
         s, posts / s, bytes / 1e6 / s, rss, complaints, from_cache, load_ms
  printf "\"earshot_run_once\":%s,\"latency\":%s,\"targets\":%s,", run_json, latency_json, targets
  printf "\"simple100\":{\"patterns\":100,\"earshot_triage\":%s,\"ripgrep_ascii\":%s,\"ripgrep_unicode_prefix\":%s,\"grep_E\":%s},", simple_json, rg_simple_json, rg_simple_unicode_json, grep_simple_json
  printf "\"baselines\":{\"grep_E\":%s,\"ripgrep\":%s,\"ripgrep_literals\":%s,\"pcre2_jit_loop\":%s,\"pcre2_jit_loop_prefix\":%s,\"std_regex_loop\":%s,\"python_re\":%s},",
         grep_json, rg_json, rg_literal_json, pcre2_json, pcre2_prefix_json, std_json, python_json
  printf "\"prefix_posts\":%d,\"prefix_counts\":%s,\"counts_agree\":%s,", prefix_posts, prefix_counts, counts_agree
  printf "\"note\":\"regex baselines count lines matching any of the %d complaint include patterns in the raw JSON; ripgrep_literals counts lines containing any of %d literals taken from them (a different filter). None parses JSON, applies excludes, matches brands or signals, scores or writes results. std_regex_loop and python_re ran on the first prefix_posts posts (compare them by posts_per_s / rate_vs_earshot = baseline posts/s over earshot triage posts/s); counts_agree compares rg, pcre2, std::regex and python on that prefix. ratio_vs_earshot = baseline seconds / earshot seconds (whole corpus only). earshot seconds include loading the cached rule database.\",", patterns, literals
  printf "\"machine\":\"%s\"}\n", machine
}'
