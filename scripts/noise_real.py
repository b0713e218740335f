"""Rep-to-rep noise of the judged knee measure on the labelled-good reps of the real clips.

    .venv/bin/python scripts/noise_real.py [--clips DIR] [--cache DIR]

For every knee labelled ``none`` in MANIFEST.csv (and reps 4-6 of the valgus-then-good
clip), the per-rep judged measure of each clip with at least 3 judged reps gives a
within-clip standard deviation; their pooled SD (weighted by degrees of freedom) is
the noise a severity onset must clear twice over (issue 13). Prints a table and the
pooled SD per measure.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from accuracy_real import CLIPS, MIXED, ROOT, analyze_all  # noqa: E402

MEASURES = (("knee_valgus_deg", "judged knee measure (deg)"), ("fppa_deg", "peak FPPA (deg)"),
            ("knee_toe_medial_pct", "knee over toe (% leg)"))


def good_reps(results: dict) -> dict[tuple[str, str], list[dict]]:
    """Per (clip, side): the judged reps labelled good."""
    out = {}
    for name, d in results.items():
        row, rep = d["row"], d["report"]
        for side in ("left", "right"):
            keep = [r for r in rep["reps"] if r[side]["judged"]
                    and (MIXED[name].get(r["index"]) == "none" if name in MIXED else row[f"valgus_{side}"] == "none")]
            if len(keep) >= 3:
                out[(name, side)] = keep
    return out


def pooled_sd(groups: list[np.ndarray]) -> tuple[float, int]:
    groups = [g for g in groups if len(g) >= 2]
    dof = sum(len(g) - 1 for g in groups)
    return float(np.sqrt(sum((len(g) - 1) * np.var(g, ddof=1) for g in groups) / dof)) if dof else float("nan"), dof


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--clips", type=Path, default=CLIPS)
    ap.add_argument("--cache", type=Path, default=ROOT / ".knee-cv-cache" / "real")
    args = ap.parse_args(argv)
    reps = good_reps(analyze_all(args.clips, args.cache))
    print("| clip | knee | reps | " + " | ".join(f"SD of {label}" for _, label in MEASURES) + " |")
    print("|---|---|---|" + "---|" * len(MEASURES))
    for (name, side), rr in sorted(reps.items()):
        sds = [np.std([r[side][k] for r in rr], ddof=1) for k, _ in MEASURES]
        print(f"| {name} | {side} | {len(rr)} | " + " | ".join(f"{v:.2f}" for v in sds) + " |")
    for key, label in MEASURES:
        sd, dof = pooled_sd([np.array([r[side][key] for r in rr]) for (_, side), rr in reps.items()])
        print(f"\npooled within-clip SD of the {label}: {sd:.2f} ({dof} degrees of freedom); 2 x SD = {2 * sd:.2f}")
    hips = {name: [r["pelvic_drop_signed_deg"] for r in rr if r["hip_judged"]]
            for (name, side), rr in reps.items() if side == "left"}
    sd, dof = pooled_sd([np.array(v) for v in hips.values()])
    print(f"\npooled within-clip SD of the pelvic drop (deg), same clips: {sd:.2f} ({dof} degrees of freedom); "
          f"2 x SD = {2 * sd:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
