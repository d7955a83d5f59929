#!/usr/bin/env bash
# Structural rules the compiler cannot check (STYLE.md 2): no folder includes another folder's
# internal/ headers, and dependencies point one way: core ← crawler, matchers, store ← triage ← serve ← cli.
set -euo pipefail
cd "$(dirname "$0")/.."
status=0
for dir in core crawler matchers store triage serve cli; do
  while IFS= read -r hit; do
    [[ -z $hit ]] && continue
    echo "layout: $hit includes another folder's internal/ header" >&2
    status=1
  done < <(grep -rnE '#include "[a-z]+/internal/' "$dir" 2>/dev/null | grep -vE "#include \"$dir/internal/" || true)
done
# Which folders each may include.
declare -A allowed=(
  [core]="core" [crawler]="core crawler" [matchers]="core matchers" [store]="core store"
  [triage]="core crawler matchers store triage" [serve]="core crawler matchers store triage serve"
  [cli]="core crawler matchers store triage serve cli"
)
for dir in "${!allowed[@]}"; do
  [[ -d $dir ]] || continue
  while IFS= read -r line; do
    target=$(sed -E 's/.*#include "([a-z]+)\/.*/\1/' <<<"$line")
    [[ " ${allowed[$dir]} " == *" $target "* ]] && continue
    echo "layout: ${line%%:*}: $dir/ must not include $target/ (${line#*:})" >&2
    status=1
  done < <(grep -rnoE '#include "(core|crawler|matchers|store|triage|serve|cli)/[^"]+"' "$dir" 2>/dev/null || true)
done
exit $status
