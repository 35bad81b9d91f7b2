#!/usr/bin/env python3
"""Peer of bench_audit_png.py: CleanVision's default audit of an image folder.

    .venv-bench/bin/python bench/python_cleanvision.py DIR [FLAGGED.json]

Runs `Imagelab(data_path=DIR).find_issues()` (every default check: exact and near
duplicates, dark, light, blurry, low information, odd aspect ratio, odd size, grayscale).
With FLAGGED.json, writes the files flagged per issue type, as paths relative to DIR:
`{"exact_duplicates": [...], "dark": [...], ...}` (from the `is_<type>_issue` columns of
`imagelab.issues`). bench/setup-cleanvision.sh makes the venv.
"""
import json
import os
import sys

from cleanvision import Imagelab


def main(data, out=None):
    imagelab = Imagelab(data_path=data)
    imagelab.find_issues()
    if out:
        issues = imagelab.issues
        flagged = {}
        for column in issues.columns:
            if column.startswith("is_") and column.endswith("_issue"):
                paths = issues.index[issues[column].astype(bool)]
                flagged[column[3:-6]] = sorted(os.path.relpath(str(p), data) for p in paths)
        with open(out, "w") as f:
            json.dump(flagged, f)
    return 0


if __name__ == "__main__":
    if len(sys.argv) not in (2, 3):
        sys.exit(f"usage: {sys.argv[0]} DIR [FLAGGED.json]")
    sys.exit(main(*sys.argv[1:]))
