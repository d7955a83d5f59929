#!/usr/bin/env bash
# The Redis Streams hand-off: what `queue.kind: redis` costs a durable `earshot run --once` over
# the embedded queue, and how fast a backlog drains from the outbox when Redis comes back. All in
# one run (ratios, not absolute figures: these machines are noisy). Prints one JSON object.
#
#   bench/redis_handoff.sh [BUILD_DIR] [POSTS]     defaults: build, 200000
#
# The corpus: POSTS posts by as many authors, 30% of them complaints under the test rules
# (tests/cli/run_corpus.h), each complaint its own case. A redis-server is started on a free
# loopback port (no persistence) and stopped at the end.
set -euo pipefail
build=${1:-build}
posts=${2:-200000}
root=$(cd "$(dirname "$0")/.." && pwd)
earshot=$build/cli/earshot
[[ -x $earshot ]] || { echo "redis_handoff.sh: $earshot not found; run make build first" >&2; exit 2; }
work=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
redis_pid=
start_redis() {
  redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --dir "$work" >"$work/redis.log" 2>&1 &
  redis_pid=$!
  for _ in $(seq 100); do redis-cli -p "$port" ping >/dev/null 2>&1 && return; sleep 0.05; done
  echo "redis_handoff.sh: redis-server did not start" >&2; exit 1
}
stop_redis() { kill "$redis_pid" 2>/dev/null || true; wait "$redis_pid" 2>/dev/null || true; }
trap 'stop_redis; rm -rf "$work"' EXIT

python3 - "$root/tests/cli/run_corpus.h" "$work" "$posts" <<'PY'
import json, random, re, sys
header, work, posts = sys.argv[1], sys.argv[2], int(sys.argv[3])
source = open(header).read()
for name, file in (("kComplaintRules", "complaints.yaml"), ("kBrandRules", "brands.yaml")):
    open(f"{work}/{file}", "w").write(re.search(name + r'\[\] = R"\((.*?)\)";', source, re.S).group(1))
complaints = re.search(r"kComplaints\[\] = \{(.*?)\};", source, re.S).group(1)
complaints = re.findall(r'"([^"]+)"', complaints)
chatter = ["lovely weather today", "what a game last night", "coffee time", "reading a good book"]
random.seed(7)
with open(f"{work}/posts.jsonl", "w") as out:
    for i in range(posts):
        text = random.choice(complaints if random.random() < 0.3 else chatter) + f" @acmenet ref {i}"
        out.write(json.dumps({"source": "tw", "id": f"p{i}", "author": f"@a{i}", "text": text,
                              "created_at": "2026-11-20T08:00:00Z"}) + "\n")
PY
for kind in lmdb redis; do
  cat >"$work/$kind.yaml" <<YAML
data_dir: data-$kind
rules: [complaints.yaml, brands.yaml]
sources: [{id: feed, kind: jsonl, path: posts.jsonl}]
queue: {kind: $kind, redis: {url: 'redis://127.0.0.1:$port'}}
YAML
done

seconds() { local start=$1; python3 -c "import time; print(round(time.monotonic() - $start, 3))"; }
now() { python3 -c 'import time; print(time.monotonic())'; }
run_once() {  # config → wall seconds of `earshot run --once` (exit status ignored: an outage is measured too)
  rm -rf "$work/data-${1%.yaml}"
  local start; start=$(now)
  "$earshot" run --config "$work/$1" --once --cache-dir "$work/hs" >/dev/null 2>"$work/last.log" || true
  seconds "$start"
}

start_redis
run_once lmdb.yaml >/dev/null  # compile the rules into the cache once, outside the timings
lmdb=() redis=()
for _ in 1 2 3; do
  lmdb+=("$(run_once lmdb.yaml)")
  redis-cli -p "$port" flushall >/dev/null
  redis+=("$(run_once redis.yaml)")
done
cases=$(grep -oE '[0-9]+ cases opened' "$work/last.log" | grep -oE '^[0-9]+')
published=0
for severity in critical high medium low; do
  published=$((published + $(redis-cli -p "$port" xlen "earshot:cases:$severity")))
done

# A backlog: Redis down while the run commits (it gives up waiting after 5 s without progress),
# then Redis back and a run with nothing new to read, which only drains the outbox.
stop_redis
redis-cli -p "$port" ping >/dev/null 2>&1 && { echo "redis_handoff.sh: redis still answers" >&2; exit 1; }
run_once redis.yaml >/dev/null
start_redis
start=$(now)
"$earshot" run --config "$work/redis.yaml" --once --cache-dir "$work/hs" >/dev/null 2>"$work/drain.log"
drain=$(seconds "$start")
drained=0
for severity in critical high medium low; do
  drained=$((drained + $(redis-cli -p "$port" xlen "earshot:cases:$severity")))
done

python3 - "$posts" "$cases" "$published" "$drained" "$drain" "${lmdb[*]}" "${redis[*]}" <<'PY'
import json, statistics, sys
posts, cases, published, drained = map(int, sys.argv[1:5])
drain = float(sys.argv[5])
lmdb = [float(x) for x in sys.argv[6].split()]
redis = [float(x) for x in sys.argv[7].split()]
print(json.dumps({
    "posts": posts, "cases": cases, "published_to_streams": published,
    "run_once_lmdb_s": lmdb, "run_once_redis_s": redis,
    "redis_over_lmdb": round(statistics.median(redis) / statistics.median(lmdb), 2),
    "backlog_drained": drained, "drain_run_s": drain,
    "drain_updates_per_s": round(drained / drain) if drain > 0 else None,
}, indent=1))
PY
