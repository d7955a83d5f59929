#!/usr/bin/env bash
# Fetch throughput of `earshot crawl --once` against the replay server, and of wrk and
# `curl --parallel` fetching the same URLs from the same server in the same run (ratios, not
# absolute figures: these machines are noisy). Prints one JSON object.
#
#   bench/fetch_throughput.sh [BUILD_DIR] [HOSTS] [SOURCES_PER_HOST]
#
# Each source is a Mastodon hashtag timeline (limit 40) on one of HOSTS replay listeners, polled
# once; politeness limits are raised out of the way (max_requests_per_minute: 1000000) so what is
# measured is the engine, not the budget. Every response carries the same 25 recorded statuses, so
# after the first few the posts are duplicates: "posts" counts every post line handed to the
# pipeline (new + duplicates).
set -euo pipefail
build=${1:-build}
hosts=${2:-20}
per_host=${3:-100}
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'kill $replay 2>/dev/null || true; wait $replay 2>/dev/null || true; rm -rf "$work"' EXIT

"$build/tests/replay/earshot-replay" --listeners "$hosts" --mastodon-limit 100000000 >"$work/replay.log" 2>&1 &
# Note: the server's log is read once, after earshot and before curl and wrk, so it holds earshot's
# requests only.
replay=$!
for _ in $(seq 100); do
  [[ $(grep -c '^listening' "$work/replay.log" || true) -ge $hosts ]] && break
  sleep 0.05
done
mapfile -t bases < <(sed -n 's/^listening \(http:[^ ]*\).*/\1/p' "$work/replay.log")

printf 'brands:\n  - id: acme\n    name: Acme\n    patterns: [acme]\n' >"$work/brands.yaml"
{
  echo "data_dir: data"
  echo "rules: [brands.yaml]"
  echo "sources:"
  # Hosts interleaved, so curl's 64 parallel transfers spread over the hosts as earshot's do.
  for s in $(seq "$per_host"); do
    for h in "${!bases[@]}"; do
      echo "  - {id: m$h-$s, kind: mastodon, base_url: '${bases[$h]}', hashtag: tag$s, limit: 40, max_requests_per_minute: 1000000}"
      echo "${bases[$h]}/api/v1/timelines/tag/tag$s?limit=40" >>"$work/urls.txt"
    done
  done
} >"$work/earshot.yaml"
requests=$((hosts * per_host))

start=$(date +%s.%N)
"$build/cli/earshot" crawl --once --config "$work/earshot.yaml" --out "$work/posts.jsonl" 2>"$work/crawl.log"
end=$(date +%s.%N)
earshot_s=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f", b - a }')
posts=$(sed -n 's/.*crawl: \([0-9]*\) new posts.*, \([0-9]*\) duplicates.*/\1 \2/p' "$work/crawl.log" | awk '{print $1 + $2}')
responses=$(sed -n 's/.*fetch: [0-9]* requests, \([0-9]*\) responses.*/\1/p' "$work/crawl.log")
# The fetch phase alone, from the server's log: first request to last (the whole run also opens
# the store and commits one transaction per source, each with its fsyncs).
fetch_span_s=$(curl -s "${bases[0]}/_replay/log?listener=all" | sed -n 's/.*"t_ms":\([0-9]*\).*/\1/p' |
  awk 'NR == 1 || $1 < lo { lo = $1 } NR == 1 || $1 > hi { hi = $1 } END { printf "%.3f", (hi - lo) / 1000 }')

# curl --parallel: the same URLs, 64 at a time (curl's default is 50), bodies discarded unparsed.
sed 's/.*/url = "&"\noutput = "\/dev\/null"/' "$work/urls.txt" >"$work/curl.cfg"
start=$(date +%s.%N)
curl --parallel --parallel-max 64 -s -K "$work/curl.cfg" -w '%{http_code}\n' >"$work/curl.codes" 2>/dev/null || true
end=$(date +%s.%N)
curl_s=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f", b - a }')
curl_ok=$(grep -c '^200$' "$work/curl.codes" || true)

# wrk: one of those URLs, 64 connections on 2 threads, for 5 s: the server's own ceiling.
wrk_rps=null
if command -v wrk >/dev/null; then
  wrk_rps=$(wrk -t2 -c64 -d5s "$(head -1 "$work/urls.txt")" 2>/dev/null | sed -n 's/^Requests\/sec: *\([0-9.]*\).*/\1/p')
fi

cat <<JSON
{"hosts": $hosts, "sources": $requests,
 "earshot_crawl": {"seconds": $(echo "$earshot_s"), "responses": $responses, "responses_per_s": $(awk "BEGIN { printf \"%.0f\", $responses / $earshot_s }"), "posts": $posts, "posts_per_s": $(awk "BEGIN { printf \"%.0f\", $posts / $earshot_s }"),
                   "fetch_span_s": $fetch_span_s, "fetch_responses_per_s": $(awk "BEGIN { printf \"%.0f\", $responses / $fetch_span_s }")},
 "curl_parallel_64": {"seconds": $(echo "$curl_s"), "responses": $curl_ok, "responses_per_s": $(awk "BEGIN { printf \"%.0f\", $curl_ok / $curl_s }")},
 "wrk_t2_c64_one_url": {"responses_per_s": ${wrk_rps:-null}},
 "earshot_fetch_vs_curl": $(awk "BEGIN { printf \"%.2f\", ($responses / $fetch_span_s) / ($curl_ok / $curl_s) }"),
 "earshot_run_vs_curl": $(awk "BEGIN { printf \"%.2f\", ($responses / $earshot_s) / ($curl_ok / $curl_s) }")}
JSON
