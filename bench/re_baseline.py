#!/usr/bin/env python3
"""Python `re` baseline for bench/e2e.sh.

    python3 bench/re_baseline.py PATTERNS_FILE < posts.jsonl

Prints how many lines of stdin match at least one pattern of PATTERNS_FILE (one per line, blank
lines ignored), case-insensitively, anywhere in the raw line: what `rg -c -i -f PATTERNS_FILE`
counts. It does not parse JSON.

The patterns are joined into one alternation `(?:p1)|(?:p2)|...` compiled with re.IGNORECASE (str
patterns: Unicode case folding, Unicode \\b and \\w, as ripgrep's defaults). If the alternation does
not compile, each pattern is compiled on its own and tried in turn; stderr says which mode ran.
Lines are decoded as UTF-8 with surrogateescape, so invalid bytes do not stop the count.
"""
import re
import sys


def main() -> int:
    if len(sys.argv) != 2:
        print("usage: re_baseline.py PATTERNS_FILE < lines", file=sys.stderr)
        return 2
    with open(sys.argv[1], encoding="utf-8") as f:
        patterns = [line.rstrip("\n") for line in f if line.rstrip("\n")]
    try:
        combined = re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE)
        matchers = [combined.search]
        mode = "one alternation"
    except re.error as error:
        print(f"re_baseline.py: alternation does not compile ({error}); per-pattern loop", file=sys.stderr)
        matchers = [re.compile(p, re.IGNORECASE).search for p in patterns]
        mode = "per-pattern loop"
    print(f"re_baseline.py: {len(patterns)} patterns, {mode}", file=sys.stderr)

    count = 0
    stdin = open(sys.stdin.fileno(), encoding="utf-8", errors="surrogateescape", newline="\n", closefd=False)
    for line in stdin:
        line = line.rstrip("\n")
        for search in matchers:
            if search(line):
                count += 1
                break
    print(count)
    return 0


if __name__ == "__main__":
    sys.exit(main())
