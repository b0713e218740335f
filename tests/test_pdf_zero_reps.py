"""A PDF for a clip with no reps says so on page 1 and explains why."""
from __future__ import annotations

import shutil
import subprocess

import pytest

from knee_cv.analysis import analyze_track
from knee_cv.pdf import write_pdf
from knee_cv.report import to_dict

from synth import squat_track


def test_zero_reps_pdf_explains(tmp_path):
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) not installed")
    a = analyze_track(squat_track(reps=2, depth_px=10.0))  # 10 px dips: below the rep threshold
    assert not a.reps
    report = to_dict(a, video={"path": "standing.mp4", "fps": 30.0, "frames": len(a.track), "width": 640,
                               "height": 800, "duration_s": 6.0}, model={"name": "full", "sha256": ""})
    write_pdf(tmp_path / "r.pdf", a, report)
    text = subprocess.run(["pdftotext", str(tmp_path / "r.pdf"), "-"], capture_output=True, text=True).stdout
    first = text.split("\f")[0]
    assert "No reps were detected" in first and "no reps found" in first and "hips never dropped" in first
