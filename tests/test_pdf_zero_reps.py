"""A PDF for a clip with no reps says so on page 1 and explains why."""
from __future__ import annotations

import shutil
import subprocess

import pytest

from knee_cv.analysis import analyze_track
from knee_cv.api import Result
from knee_cv.meta import ModelMeta, VideoMeta
from knee_cv.pdf import write_pdf

from synth import squat_track


def test_zero_reps_pdf_explains(tmp_path):
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) not installed")
    a = analyze_track(squat_track(reps=2, depth_px=10.0))  # 10 px dips: below the rep threshold
    assert not a.reps
    video = VideoMeta("standing.mp4", 30.0, len(a.track), len(a.track), 640, 800, 6.0)
    write_pdf(tmp_path / "r.pdf", Result(a, video, ModelMeta("full", ""), tmp_path))
    text = subprocess.run(["pdftotext", str(tmp_path / "r.pdf"), "-"], capture_output=True, text=True).stdout
    first = text.split("\f")[0]
    assert "No reps were detected" in first and "no reps found" in first and "hips never dropped" in first
