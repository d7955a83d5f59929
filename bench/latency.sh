#!/usr/bin/env bash
# Post-to-committed-case latency under an offered load.
#
#   bash bench/latency.sh [BUILD_DIR]     BUILD_DIR defaults to build-bench (-DEARSHOT_BUILD_BENCH=ON)
#   RATE=N      posts offered per second (default 10000)
#   SECONDS_=S  how long to offer them, after the warm-up (default 20)
#   WARMUP=S    seconds offered first without created_at, so not timed: earshot starts up (loads
#               its rules, opens its store) while they flow (default 2)
#   THREADS=N   earshot worker threads (default: nproc)
#   SEED=S      corpus seed (default 7)
#   BATCH=N     pipeline.batch (default: earshot's, 2048)
#   EVERY=D     the source's `every` (default: earshot's, 1s; a stream is read when a line
#               arrives, `every` is only its fallback; a tailed file is polled every D)
#   INPUT=pipe|file  pipe (default): the posts go to earshot's stdin. file: they are appended to a
#               file that earshot tails, polled every EVERY, and earshot is stopped with SIGINT
#               two seconds after the last post (what the run loop did for stdin too before it
#               learned to wait on the descriptor, so `INPUT=file EVERY=10ms` shows that cost)
#
# `earshot_corpus_gen --rate RATE` writes posts into `earshot run`'s stdin (a jsonl source on "-"),
# every millisecond the posts due by then, each stamped with the wall-clock time it was due as its
# created_at (not the time it was written: a write blocked by a full pipe must count as latency).
# earshot commits every batch durably (LMDB, fsync) as usual and counts, per new post, the time
# from created_at to that commit (earshot_post_age_at_commit_seconds in /metrics); `-v` logs its
# p50/p99 at the end of the run, which this script reads. So the latency is the whole way: waiting
# in the pipe, reading, parsing, matching, scoring, case filing and the commit. The generator
# reports how late it started its writes (its own scheduling) and how long they blocked (earshot
# not reading), so a tail can be told apart.
#
# Prints one JSON object on stdout; progress goes to stderr.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${1:-build-bench}
rate=${RATE:-10000}
duration=${SECONDS_:-20}
every=${EVERY:-}
threads=${THREADS:-$(nproc)}
seed=${SEED:-7}
warmup=${WARMUP:-2}
earshot=$build/cli/earshot
generator=$build/bench/earshot_corpus_gen
for tool in "$earshot" "$generator"; do
  if [[ ! -x $tool ]]; then
    echo "latency.sh: $tool not found; build with -DEARSHOT_BUILD_BENCH=ON first (make bench)" >&2
    exit 2
  fi
done

work=$(mktemp -d "${TMPDIR:-/tmp}/earshot-latency.XXXXXX")
trap 'rm -rf "$work"' EXIT
posts=$((rate * (duration + warmup)))

input=${INPUT:-pipe}
case $input in
  pipe) input_path=- ;;
  file) input_path=$work/stream.jsonl && : >"$input_path" ;;
  *) echo "latency.sh: INPUT must be pipe or file, not $input" >&2 && exit 2 ;;
esac

"$earshot" rules check --cache-dir "$work/cache" "$root/rules" "$root/examples/brands.yaml" >&2
cat >"$work/run.yaml" <<YAML
data_dir: $work/data
rules: ['$root/rules/', '$root/examples/brands.yaml']
pipeline: {threads: $threads${BATCH:+, batch: $BATCH}}
sources: [{id: load, kind: jsonl, path: '${input_path}'${every:+, every: $every}}]
YAML

echo "latency.sh: offering $posts posts at $rate/s for ${warmup} + ${duration} s to earshot run through a $input (${every:+every $every, }$threads threads)" >&2
rss_kb=null
generate() { "$generator" --posts "$posts" --rate "$rate" --warmup "$((rate * warmup))" --seed "$seed" 2>"$work/gen.log"; }
run_earshot() {
  /usr/bin/time -v -o "$work/time.txt" "$earshot" -v run --config "$work/run.yaml" --cache-dir "$work/cache" \
    2>"$work/run.log" >/dev/null
}
if [[ $input == pipe ]]; then
  generate | run_earshot
else
  run_earshot &
  earshot_pid=$!
  generate >>"$input_path"
  sleep 2
  pkill -INT -f -- "--config $work/run.yaml" || true  # earshot (and /usr/bin/time, which ignores it)
  wait "$earshot_pid" || true
fi
[[ -s $work/time.txt ]] && rss_kb=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$work/time.txt")

latency_line=$(grep -o 'latency: [0-9]* new posts.*' "$work/run.log" | tail -n 1 || true)
stages=$(grep -o 'latency: per batch .*' "$work/run.log" | sed 's/^latency: //' || true)
offered_line=$(grep -o 'wrote .*' "$work/gen.log" || true)
if [[ -z $latency_line || -z $offered_line ]]; then
  echo "latency.sh: no latency line from earshot or no summary from the generator; their logs:" >&2
  cat "$work/gen.log" "$work/run.log" >&2
  exit 1
fi
# "latency: N new posts with created_at: age at commit p50 A ms, p99 B ms, C% within 50 ms; batch
# read to commit p50 D ms, p99 E ms" and "wrote N posts in S s (R/s offered at RATE/s)".
read -r counted p50 p99 within batch_p50 batch_p99 < <(sed -E \
  's/latency: ([0-9]+) new posts.*p50 ([0-9.]+) ms, p99 ([0-9.]+) ms, ([0-9.]+)% within 50 ms; batch read to commit p50 ([0-9.]+) ms, p99 ([0-9.]+) ms/\1 \2 \3 \4 \5 \6/' \
  <<<"$latency_line")
achieved=$(sed -E 's/.*\(([0-9.]+)\/s offered.*/\1/' <<<"$offered_line")
writer=$(sed -E 's/.*; (writer late .*)$/\1/' <<<"$offered_line")
summary=$(grep -o 'run: .*' "$work/run.log" | tail -n 1)

awk -v rate="$rate" -v achieved="$achieved" -v posts="$posts" -v counted="$counted" -v p50="$p50" -v p99="$p99" \
    -v within="$within" -v bp50="$batch_p50" -v bp99="$batch_p99" -v input="$input" -v every="${every:-default}" -v threads="$threads" \
    -v rss_kb="$rss_kb" -v summary="$summary" -v stages="$stages" -v writer="$writer" 'BEGIN {
  printf "{\"offered_posts_per_s\":%d,\"achieved_posts_per_s\":%.0f,\"posts\":%d,\"new_posts_timed\":%d,", rate, achieved, posts, counted
  printf "\"p50_ms\":%.1f,\"p99_ms\":%.1f,\"within_50ms_pct\":%.2f,", p50, p99, within
  printf "\"batch_read_to_commit_p50_ms\":%.1f,\"batch_read_to_commit_p99_ms\":%.1f,", bp50, bp99
  printf "\"input\":\"%s\",\"poll_every\":\"%s\",\"threads\":%d,\"peak_rss_mb\":%s,", input, every, threads, rss_kb == "null" ? "null" : sprintf("%.1f", rss_kb / 1024)
  gsub(/"/, "\\\"", summary)
  printf "\"earshot_summary\":\"%s\",\"stages\":\"%s\",\"load_generator\":\"%s\"}\n", summary, stages, writer
}'
