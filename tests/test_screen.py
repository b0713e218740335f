"""The clinical single-leg squat screen (issue 18): exact protocol arithmetic, and `knee-cv screen` on two
rendered single-leg squat videos, one leg clean and one caving in."""
from __future__ import annotations

import json
import os
import shutil
import subprocess

import numpy as np
import pytest

from knee_cv.codes import NotJudged
from knee_cv.norms import SLS_FPPA_CONTROL, SLS_FPPA_PFP, SLS_FPPA_SDD
from knee_cv.screen import band_of, knee_bend_deg


def test_knee_bend_from_hip_descent_is_exact():
    # equal thigh and shank bent by b: hip-to-ankle 2 l cos(b / 2), i.e. a descent of 1 - cos(b / 2) leg lengths
    for bend in (30.0, 45.0, 60.0, 90.0):
        assert knee_bend_deg(1 - np.cos(np.radians(bend / 2))) == pytest.approx(bend, abs=1e-9)
    assert knee_bend_deg(0.0) == 0.0


def test_bands_follow_the_published_groups():
    lo, hi = SLS_FPPA_CONTROL.mean - SLS_FPPA_CONTROL.sd, SLS_FPPA_CONTROL.mean + SLS_FPPA_CONTROL.sd
    assert band_of(lo - 0.1) == "below" and band_of(lo) == "control" and band_of(hi) == "control"
    assert band_of(hi + 0.1) == "above" and band_of(SLS_FPPA_PFP.mean - 0.1) == "above"
    assert band_of(SLS_FPPA_PFP.mean) == "pfp"
    assert band_of(float("nan")) == "none"
    assert (SLS_FPPA_SDD.low, SLS_FPPA_SDD.high) == (7.5, 8.9)      # Munro 2012, as in clinical-metrics.md


def _render_legs(folder):
    from knee_cv.demo import render_video
    from knee_cv.mannequin import Body, RepSpec, Scenario
    from knee_cv.reps import Exercise

    b = Body(toe_out_deg=5.0)
    # the left leg: four clean reps, then one too shallow for the protocol (about 41 degrees of knee bend)
    left = Scenario(exercise=Exercise.SINGLE_LEG_SQUAT, lead_leg="left", body=b,
                    reps=(RepSpec(depth=0.22),) * 4 + (RepSpec(depth=0.075),))
    right = Scenario(exercise=Exercise.SINGLE_LEG_SQUAT, lead_leg="right", body=b,
                     reps=(RepSpec((0.0, 14.0), depth=0.22),) * 5)          # the right knee caves 14 cm
    return render_video(left, folder / "left.mp4"), render_video(right, folder / "right.mp4")


@pytest.mark.video
def test_screen_flags_the_caving_leg_from_two_rendered_videos(tmp_path, model_dir, capsys):
    from knee_cv.cli import main

    os.environ["KNEE_CV_MODELS"] = str(model_dir)
    left, right = _render_legs(tmp_path)
    out = tmp_path / "screen"
    assert main(["screen", str(left), str(right), "--out", str(out), "-q", "--subject", "A. Person",
                 "--date", "2026-11-21"]) == 0
    text = capsys.readouterr().out
    doc = json.loads((out / "report.json").read_text())           # strict JSON: no NaN
    s = doc["screen"]
    assert doc["session"]["subject"] == "A. Person" and doc["kind"] == "single_leg_squat_screen"
    assert s["right"]["flagged"] and not s["left"]["flagged"]
    assert s["right"]["judged_reps"] == 5 and s["left"]["judged_reps"] == 4
    shallow = [r for r in s["left"]["reps"] if not r["judged"]]
    assert [r["reason"] for r in shallow] == [NotJudged.TOO_SHALLOW.value] and shallow[0]["knee_bend_deg"] < 45
    assert all(r["peak_fppa_deg"] is None for r in shallow)
    diff = s["left"]["mean_peak_fppa_deg"] - s["right"]["mean_peak_fppa_deg"]
    assert s["difference_deg"] == pytest.approx(diff, abs=0.11)
    assert abs(s["difference_deg"]) > SLS_FPPA_SDD.high and s["difference"] == "above"
    assert s["right"]["band"] in ("above", "pfp") and s["left"]["band"] in ("below", "control")
    assert "Standing on the right leg: 5 of 5 reps judged" in text and "too shallow" in text
    assert "not a diagnosis" in text and "gives way" in text and "gives way" in doc["safety"]  # the red flags
    pdf = (out / "screen.pdf").read_bytes()
    assert pdf.startswith(b"%PDF") and pdf.count(b"/Type /Page\n") + pdf.count(b"/Type /Page ") <= 1
    if shutil.which("pdftoppm"):                                    # one page, rendered
        subprocess.run(["pdftoppm", "-r", "30", "-png", str(out / "screen.pdf"), str(tmp_path / "p")], check=True)
        assert sorted(p.name for p in tmp_path.glob("p*.png")) == ["p-1.png"]
    for k in (1, 2):                                                # each clip's own analysis is kept
        assert json.loads((out / f"clip{k}" / "report.json").read_text())["exercise"] == "single_leg_squat"


def test_screen_refuses_three_videos_in_one_line(tmp_path, capsys):
    from knee_cv.cli import main

    assert main(["screen", "a.mp4", "b.mp4", "c.mp4", "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "one video with both legs, two videos (one per leg)" in err


@pytest.mark.video
def test_one_video_with_both_legs_file_and_guided_live(tmp_path, model_dir):
    """A set on each leg in one video (the way the guided live screen films it): each leg's stretch is measured
    against its own standing posture, from the file and from a replay through the live session alike."""
    import imageio_ffmpeg

    from knee_cv.demo import render_video
    from knee_cv.mannequin import Body, RepSpec, Scenario
    from knee_cv.reps import Exercise
    from knee_cv.screen_out import run_screen

    os.environ["KNEE_CV_MODELS"] = str(model_dir)
    kw = dict(exercise=Exercise.SINGLE_LEG_SQUAT, body=Body(toe_out_deg=5.0), stand_s=3.0)
    render_video(Scenario(lead_leg="left", reps=(RepSpec(depth=0.22),) * 3, **kw), tmp_path / "l.mp4")
    render_video(Scenario(lead_leg="right", reps=(RepSpec((0.0, 14.0), depth=0.22),) * 3, **kw), tmp_path / "r.mp4")
    (tmp_path / "list.txt").write_text("file 'l.mp4'\nfile 'r.mp4'\n")
    both = tmp_path / "both.mp4"
    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-loglevel", "error", "-f", "concat", "-safe", "0", "-i",
                    str(tmp_path / "list.txt"), "-c", "copy", str(both)], check=True)
    for kind, kw in (("file", dict(videos=[both])), ("live", dict(source=both, headless=True, realtime=False))):
        res = run_screen(out_dir=tmp_path / kind, progress=False, pdf=False, **kw)
        left, right = res.screen.legs
        assert len(res.screen.parts) == 2 and [p.start for p in res.screen.parts][0] == 0, kind
        assert [r.index for r in left.reps] == [1, 2, 3] and [r.index for r in right.reps] == [1, 2, 3], kind
        assert len(left.judged) == 3 and len(right.judged) == 3, (kind, left.reps)
        assert right.flagged and not left.flagged and res.screen.difference_state == "above", kind
