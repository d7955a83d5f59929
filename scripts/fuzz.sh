#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan + UBSan) and runs each for SECONDS (default 60)
# from its seed corpus. Usage: scripts/fuzz.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
bash scripts/install-deps.sh --dev
build=build-fuzz
CXX=clang++ cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DEARSHOT_BUILD_FUZZ=ON -DEARSHOT_BUILD_TESTS=ON -DEARSHOT_SANITIZE=address,undefined \
  -DCMAKE_CXX_FLAGS=-fsanitize=fuzzer-no-link >/dev/null
cmake --build "$build" --target post_parser_fuzz rule_loader_fuzz config_fuzz adapter_fuzz
for target in post_parser_fuzz rule_loader_fuzz config_fuzz adapter_fuzz; do
  work=$(mktemp -d)
  mkdir -p "$work/corpus"
  cp tests/fuzz/corpus/"${target%_fuzz}"/* "$work/corpus"/
  if [[ $target == adapter_fuzz ]]; then
    # The replay server's recorded responses, each behind the byte that picks its adapter.
    seed() { { printf "\\x$1"; cat "tests/replay/fixtures/$2"; } >"$work/corpus/$(basename "$2")"; }
    seed 00 mastodon/timeline_tag_rstats.json
    seed 01 reddit/askreddit_new.json
    seed 02 hackernews/search_by_date_hits.json
    seed 03 bluesky/search_posts.json
    seed 04 wordpress/comments_collection.json
    for feed in tests/replay/fixtures/feeds/*; do seed 05 "feeds/$(basename "$feed")"; done
  fi
  echo "fuzz: $target for ${seconds}s"
  if ! "$build/tests/fuzz/$target" -max_total_time="$seconds" -print_final_stats=1 \
      -artifact_prefix="$work/" "$work/corpus" >"$work/log" 2>&1; then
    tail -n 60 "$work/log" >&2
    echo "fuzz: $target FAILED; reproducer kept in $work" >&2
    exit 1
  fi
  grep -E '^stat::(number_of_executed_units|peak_rss_mb)|^Done' "$work/log" || true
  rm -rf "$work"
done
