#!/usr/bin/env python3
"""Joins bench/eval/labels.csv with a local TWCS corpus CSV into labelled Post JSON Lines.

labels.csv keeps only tweet ids (the corpus is CC BY-NC-SA, so its texts stay out of the repo);
this script puts the texts back for earshot_eval. Each output line is one Post plus a label:

  {"source":"twcs","id":"<tweet_id>","text":"...","label":"none|mild|severe"}

Usage:
  python3 bench/eval/make_labelled.py CORPUS.csv [--labels labels.csv] [-o OUT.jsonl]

CORPUS.csv is a local copy of the TWCS head sample (twcs_head5000_pandas.csv, see LABELS.md); it is
not in the repository and there is no default, so a fresh clone never reads outside itself.
Exit status: 0 on success, 2 on bad input (a label id not in the corpus, a malformed file).
"""

import argparse
import csv
import io
import json
import pathlib
import re
import signal
import sys

DEFAULT_LABELS = pathlib.Path(__file__).resolve().parent / "labels.csv"
LABELS = ("none", "mild", "severe")

# The pandas export leaves a bare "\r\r" unquoted inside one text field. The csv module ends a
# record at a bare \r in an unquoted field whatever the newline= setting, which would cut that
# tweet short and shift the next one. So bare \r (one not followed by \n) is swapped for a
# private-use code point before parsing and swapped back in every field after.
_BARE_CR = re.compile(r"\r(?!\n)")
_PLACEHOLDER = "\ue000"


class InputError(Exception):
    """Bad input: reported as `file[:line]: message` with exit status 2."""


def read_corpus(path):
    """Returns {tweet_id: text} for every row of the corpus CSV."""
    try:
        with open(path, newline="", encoding="utf-8") as f:
            raw = f.read()
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(f"{path}: {e}") from e
    if _PLACEHOLDER in raw:
        raise InputError(f"{path}: contains U+E000, which this reader uses as a placeholder")
    reader = csv.DictReader(io.StringIO(_BARE_CR.sub(_PLACEHOLDER, raw), newline=""))
    missing = {"tweet_id", "text"} - set(reader.fieldnames or ())
    if missing:
        raise InputError(f"{path}: no column(s) {', '.join(sorted(missing))} in the header")
    texts = {}
    for row in reader:
        # A short row leaves fields as None; a row without an id cannot be joined, so skip it.
        tweet_id = (row["tweet_id"] or "").replace(_PLACEHOLDER, "\r")
        if tweet_id:
            texts[tweet_id] = (row["text"] or "").replace(_PLACEHOLDER, "\r")
    return texts


def read_labels(path):
    """Returns [(tweet_id, label)] in file order, rejecting unknown labels and repeated ids."""
    try:
        f = open(path, newline="", encoding="utf-8")
    except OSError as e:
        raise InputError(f"{path}: {e}") from e
    with f:
        reader = csv.reader(f)
        header = next(reader, None)
        if header != ["tweet_id", "label"]:
            raise InputError(f"{path}:1: expected the header 'tweet_id,label', got {header!r}")
        labels, seen = [], {}
        for row in reader:
            line = reader.line_num
            if len(row) != 2:
                raise InputError(f"{path}:{line}: expected 2 fields, got {len(row)}")
            tweet_id, label = row
            if label not in LABELS:
                raise InputError(f"{path}:{line}: unknown label {label!r} (expected one of {LABELS})")
            if tweet_id in seen:
                raise InputError(f"{path}:{line}: tweet {tweet_id} already labelled on line {seen[tweet_id]}")
            seen[tweet_id] = line
            labels.append((tweet_id, label))
    return labels


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", help="TWCS corpus CSV (twcs_head5000_pandas.csv; not in the repository)")
    parser.add_argument("--labels", default=str(DEFAULT_LABELS), help="labels CSV (default: %(default)s)")
    parser.add_argument("-o", "--output", help="write here instead of stdout")
    args = parser.parse_args(argv)

    try:
        labels = read_labels(args.labels)
        texts = read_corpus(args.corpus)
        missing = [tweet_id for tweet_id, _ in labels if tweet_id not in texts]
        if missing:
            shown = ", ".join(missing[:20]) + (", ..." if len(missing) > 20 else "")
            raise InputError(f"{args.corpus}: {len(missing)} labelled tweet id(s) not in the corpus: {shown}")
    except InputError as e:
        print(f"make_labelled.py: {e}", file=sys.stderr)
        return 2

    out = open(args.output, "w", encoding="utf-8", newline="\n") if args.output else sys.stdout
    try:
        for tweet_id, label in labels:
            record = {"source": "twcs", "id": tweet_id, "text": texts[tweet_id], "label": label}
            out.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n")
    finally:
        if out is not sys.stdout:
            out.close()
    return 0


if __name__ == "__main__":
    # Behave like a Unix filter when piped into `head`: die quietly on a closed pipe.
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    sys.exit(main(sys.argv[1:]))
