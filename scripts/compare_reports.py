"""Compare the verdicts of earlier report.json files with a fresh analysis of the same landmarks.

    .venv/bin/python scripts/compare_reports.py OLD_RESULTS_DIR [--config FILE.toml]

OLD_RESULTS_DIR holds one folder per clip with ``report.json`` and ``landmarks.npz``
(for example a ``knee-cv batch --no-pdf --no-video`` run made with an older version).
Each clip is re-analyzed from its landmarks (no pose run), and the reps, per-knee and
hip verdicts and fault codes are compared. Schema 1 reports said "n/a", "rear leg" or
"free leg" for an unjudged knee; these count as "not judged". Exit code 1 if anything differs.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

UNJUDGED_V1 = {"n/a", "rear leg", "free leg"}


def _verdicts(report: dict) -> list[tuple]:
    def word(v: str) -> str:
        return "not judged" if v in UNJUDGED_V1 else v
    return [(r["index"], word(r["left"]["verdict"]), word(r["right"]["verdict"]), word(r["hip_verdict"]),
             tuple(sorted((f["code"], f["side"], f["severity"]) for f in r["faults"]))) for r in report["reps"]]


def main(argv: list[str] | None = None) -> int:
    from knee_cv.api import analyze
    from knee_cv.settings import load_settings

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("old", type=Path)
    ap.add_argument("--config")
    args = ap.parse_args(argv)
    differ = 0
    with tempfile.TemporaryDirectory() as tmp:
        for old_json in sorted(args.old.glob("*/report.json")):
            old = json.loads(old_json.read_text())
            new = analyze(from_landmarks=old_json.parent / "landmarks.npz", out_dir=Path(tmp) / old_json.parent.name,
                          settings=load_settings(args.config), progress=False, pdf=False, annotate=False).report
            a, b = _verdicts(old), _verdicts(new)
            extra = [] if old["view"] == new["view"] and old["exercise"] == new["exercise"] else \
                [f"view/exercise {old['view']}/{old['exercise']} -> {new['view']}/{new['exercise']}"]
            if a == b and not extra:
                print(f"same     {old_json.parent.name}: {len(b)} reps")
                continue
            differ += 1
            print(f"DIFFERS  {old_json.parent.name}: " + "; ".join(extra))
            for x, y in zip(a, b):
                if x != y:
                    print(f"    rep {x[0]}: {x[1:]} -> {y[1:]}")
            if len(a) != len(b):
                print(f"    reps {len(a)} -> {len(b)}")
    print(f"{differ} clip(s) differ")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
