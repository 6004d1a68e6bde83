#!/usr/bin/python3
"""Validates argtrace's JSON lines against its JSON Schema (draft 2020-12)
with a real validator: Debian's python3-jsonschema (scripts/deps.sh installs
it; run with /usr/bin/python3, whose packages they are).

    validate-json.py SCHEMA [--require KIND,...] FILE...

Every line of every FILE must be one JSON object that the schema accepts.
The kind of a line is its "event" (clone, mmap, ..., syscall), or, for the
objects under "summary", "summary" (a streamed run's counts), "calls" (-s of
call subjects) or "counts" (-s of sock and skb). --require names the kinds
that must each appear at least once. Prints one line per kind with its count,
then the first failures (at most 20); exits 1 on any failure.
"""

import json
import sys
from collections import Counter

from jsonschema import Draft202012Validator


def kind_of(obj):
    if "event" in obj:
        return obj["event"]
    summary = obj.get("summary")
    if isinstance(summary, dict):
        for k in ("calls", "counts"):
            if k in summary:
                return k
        return "summary"
    return "?"


def main(argv):
    args = argv[1:]
    require = []
    if len(args) >= 3 and args[1] == "--require":
        require = [k for k in args[2].split(",") if k]
        del args[1:3]
    if len(args) < 2:
        print(__doc__.strip().splitlines()[4], file=sys.stderr)
        return 2
    with open(args[0]) as f:
        schema = json.load(f)
    Draft202012Validator.check_schema(schema)
    validator = Draft202012Validator(schema)
    kinds = Counter()
    failures = []
    for path in args[1:]:
        with open(path) as f:
            for n, line in enumerate(f, 1):
                try:
                    obj = json.loads(line)
                except ValueError as e:
                    failures.append(f"{path}:{n}: not JSON ({e}): {line.strip()[:300]}")
                    continue
                kinds[kind_of(obj)] += 1
                errors = sorted(validator.iter_errors(obj), key=lambda e: list(e.absolute_path))
                for e in errors[:3]:
                    where = "/".join(str(p) for p in e.absolute_path) or "(top)"
                    failures.append(f"{path}:{n}: at {where}: {e.message[:300]}; line: {line.strip()[:400]}")
    for k in sorted(kinds):
        print(f"schema: {kinds[k]:>7} {k} lines valid" if not failures else f"schema: {kinds[k]:>7} {k} lines")
    for k in require:
        if kinds[k] == 0:
            failures.append(f"no {k} line among the files: every kind must be validated")
    for f in failures[:20]:
        print(f"schema: FAIL {f}")
    if len(failures) > 20:
        print(f"schema: ... and {len(failures) - 20} more failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
