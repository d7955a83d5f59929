#!/usr/bin/env bash
# Installs the Debian packages Earshot builds and tests with, and nothing else.
# Idempotent: packages already present are skipped, and apt is not touched at all when nothing is
# missing, so `make run` / `make test` stay fast on a machine that already has everything.
set -euo pipefail

packages=(
  build-essential cmake pkg-config ninja-build
  libcurl4-openssl-dev libsimdjson-dev libhyperscan-dev libtbb-dev liblmdb-dev
  libyaml-cpp-dev libcli11-dev libspdlog-dev libfmt-dev libxxhash-dev
  libpugixml-dev libcpp-httplib-dev libhiredis-dev
  # Test peers started by the tests themselves on loopback: the Redis Streams hand-off and the
  # operator console in headless Chromium.
  redis-server redis-tools chromium
  libgtest-dev libgmock-dev libbenchmark-dev
)
# Fuzzing and the sanitizer build use clang's runtime; optional elsewhere, so only with --dev.
dev_packages=(clang libclang-rt-14-dev)
# The benchmarks (`make bench`, bench/README.md): e2e.sh is driven by python3 (with PyYAML, to read
# the rule files) and /usr/bin/time, and runs ripgrep and a PCRE2 loop as baselines.
bench_packages=(python3 python3-yaml time ripgrep libpcre2-dev)

want=("${packages[@]}")
case "${1:-}" in
  --dev) want+=("${dev_packages[@]}") ;;
  --bench) want+=("${bench_packages[@]}") ;;
esac

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
((${#missing[@]} == 0)) && exit 0

if [[ $(id -u) -ne 0 ]]; then
  echo "install-deps: missing packages: ${missing[*]}" >&2
  echo "install-deps: run as root (or: sudo apt-get install ${missing[*]})" >&2
  exit 1
fi
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
