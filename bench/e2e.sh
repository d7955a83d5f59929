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
#   SLOW_BASELINE_POSTS=N  the std::regex and Python `re` loops run on the first N posts only
#               (default 20000); pcre2 and rg run on that prefix too, so their counts can be compared
#
# Also times `earshot run --once` (the durable path: dedupe, cases and queue in LMDB) on the same
# corpus, from a config written to the temp dir with one jsonl source.
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
regex_baseline=$build/bench/earshot_regex_baseline
slow_posts=${SLOW_BASELINE_POSTS:-20000}
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
run_rss_mb=null
start=$(now)
run_status=0
if [[ -x /usr/bin/time ]]; then
  /usr/bin/time -v -o "$work/run_time.txt" "$earshot" run --config "$work/run.yaml" --once \
    --cache-dir "$work/cache" >/dev/null 2>"$work/run.log" || run_status=$?
  end=$(now)
  rss_kb=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$work/run_time.txt")
  run_rss_mb=$(awk -v k="$rss_kb" 'BEGIN { printf "%.1f", k / 1024 }')
else
  "$earshot" run --config "$work/run.yaml" --once --cache-dir "$work/cache" >/dev/null 2>"$work/run.log" ||
    run_status=$?
  end=$(now)
fi
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
  run_json=$(awk -v s="$run_s" -v n="$run_posts" -v b="$bytes" -v rss="$run_rss_mb" -v e="$earshot_s" 'BEGIN {
    printf "{\"seconds\":%.3f,\"posts\":%d,\"posts_per_s\":%.0f,\"mb_per_s\":%.1f,\"peak_rss_mb\":%s,\"ratio_vs_triage\":%.2f}",
           s, n, n / s, b / 1e6 / s, rss, s / e }')
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

model=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
awk -v posts="$posts" -v bytes="$bytes" -v threads="$threads" -v s="$earshot_s" -v rss="$rss_mb" \
    -v complaints="$complaints" -v grep_json="$grep_json" -v rg_json="$rg_json" \
    -v rg_literal_json="$rg_literal_json" -v pcre2_json="$pcre2_json" -v std_json="$std_json" \
    -v python_json="$python_json" -v pcre2_prefix_json="$pcre2_prefix_json" -v counts_agree="$counts_agree" -v prefix_counts="$prefix_counts" \
    -v prefix_posts="$prefix_posts" -v literals="$literal_count" -v run_json="$run_json" \
    -v from_cache="$rules_from_cache" -v load_ms="${rules_load_ms:-null}" \
    -v machine="$(nproc) cores, $model" -v patterns="$pattern_count" 'BEGIN {
  printf "{\"posts\":%d,\"bytes\":%d,\"threads\":%d,", posts, bytes, threads
  printf "\"earshot_triage\":{\"seconds\":%.3f,\"posts_per_s\":%.0f,\"mb_per_s\":%.1f,\"peak_rss_mb\":%s,\"complaints\":%d,\"rules_from_cache\":%s,\"rules_load_ms\":%s},",
         s, posts / s, bytes / 1e6 / s, rss, complaints, from_cache, load_ms
  printf "\"earshot_run_once\":%s,", run_json
  printf "\"baselines\":{\"grep_E\":%s,\"ripgrep\":%s,\"ripgrep_literals\":%s,\"pcre2_jit_loop\":%s,\"pcre2_jit_loop_prefix\":%s,\"std_regex_loop\":%s,\"python_re\":%s},",
         grep_json, rg_json, rg_literal_json, pcre2_json, pcre2_prefix_json, std_json, python_json
  printf "\"prefix_posts\":%d,\"prefix_counts\":%s,\"counts_agree\":%s,", prefix_posts, prefix_counts, counts_agree
  printf "\"note\":\"regex baselines count lines matching any of the %d complaint include patterns in the raw JSON; ripgrep_literals counts lines containing any of %d literals taken from them (a different filter). None parses JSON, applies excludes, matches brands or signals, scores or writes results. std_regex_loop and python_re ran on the first prefix_posts posts (compare them by posts_per_s / rate_vs_earshot = baseline posts/s over earshot triage posts/s); counts_agree compares rg, pcre2, std::regex and python on that prefix. ratio_vs_earshot = baseline seconds / earshot seconds (whole corpus only). earshot seconds include loading the cached rule database.\",", patterns, literals
  printf "\"machine\":\"%s\"}\n", machine
}'
