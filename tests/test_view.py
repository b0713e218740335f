"""The body turn read from 2D landmarks (issue 13): exact on synthetic tracks, and on mannequin renders at
known turns through MediaPipe; an edited clip that turns between reps is judged rep by rep."""
from __future__ import annotations

import os

import numpy as np
import pytest

from knee_cv.codes import NotJudged
from knee_cv.track import LM
from knee_cv.view import NOSE_DEPTH, View, judging_block, turn_deg
from synth import squat_track


@pytest.mark.parametrize("turn", [0.0, 12.0, -25.0, 40.0])
def test_turn_from_nose_offset_is_exact_on_a_synthetic_track(turn):
    track = squat_track(reps=1)
    xyz = track.xyz.copy()
    sh = xyz[:, [LM.LEFT_SHOULDER, LM.RIGHT_SHOULDER], :2]
    width = np.linalg.norm(sh[:, 0] - sh[:, 1], axis=-1)
    mid = sh.mean(1)
    # the nose NOSE_DEPTH shoulder widths in front of the shoulders, turned: offset = depth * tan(turn) * width
    xyz[:, LM.NOSE, 0] = mid[:, 0] + NOSE_DEPTH * np.tan(np.radians(turn)) * width
    xyz[:, LM.NOSE, 1] = mid[:, 1] - 80
    got = turn_deg(track.replace(xyz=xyz))
    np.testing.assert_allclose(got, turn, atol=1e-3)


def test_judging_block_rules():
    assert judging_block(View.SIDE, 0.0, 30.0) is NotJudged.SIDE_VIEW
    assert judging_block(View.FRONT, 31.0, 30.0) is NotJudged.TURNED
    assert judging_block(View.BACK, -31.0, 30.0) is NotJudged.TURNED
    assert judging_block(View.FRONT, 29.0, 30.0) is None


def _render_and_analyze(tmp_path, sc, name):
    from knee_cv.api import analyze
    from knee_cv.demo import render_video

    video = render_video(sc, tmp_path / f"{name}.mp4")
    return analyze(video, out_dir=tmp_path / name, progress=False, pdf=False, annotate=False).analysis


@pytest.mark.video
@pytest.mark.parametrize("height", [0.6, 0.9])
def test_body_turn_read_on_renders(tmp_path, model_dir, height):
    """Error <= 8 deg up to 20 deg of turn, and a side view from 70 deg on, at two camera heights.

    Issue 13 asks for 8 deg up to 45 deg; at 30-45 deg MediaPipe's nose on the drawn face errs by up to 17 deg
    (README, "Body turn on the mannequin"), so that part is not claimed.
    """
    from knee_cv.mannequin import RepSpec, Scenario

    os.environ["KNEE_CV_MODELS"] = str(model_dir)
    for turn in (0, 10, -10, 20, -20, 70, 90):
        sc = Scenario(reps=(RepSpec(),), body_turn_deg=turn, camera_height=height)
        a = _render_and_analyze(tmp_path, sc, f"t{turn}")
        if abs(turn) >= 70:
            assert a.view is View.SIDE, (turn, a.view)
        else:
            assert a.view is View.FRONT and abs(a.yaw_deg - turn) <= 8.0, (turn, a.view, a.yaw_deg)


@pytest.mark.video
def test_clip_turning_between_reps_is_judged_rep_by_rep(tmp_path, model_dir):
    """Front, side, front again: the side-on rep is not judged (side_view), the front reps are, and the valgus
    of the last rep is found."""
    from knee_cv.mannequin import RepSpec, Scenario

    os.environ["KNEE_CV_MODELS"] = str(model_dir)
    sc = Scenario(reps=(RepSpec(), RepSpec(turn_deg=90.0), RepSpec((12.0, 12.0))))
    a = _render_and_analyze(tmp_path, sc, "turning")
    assert len(a.reps) == 3
    assert [r.view.view for r in a.reps] == [View.FRONT, View.SIDE, View.FRONT]
    assert all(v.reason is NotJudged.SIDE_VIEW for v in a.reps[1].knee_verdicts)
    assert all(v.judged for r in (a.reps[0], a.reps[2]) for v in r.knee_verdicts)
    assert not a.reps[0].faults
    assert {(f.code.value, f.side.value) for f in a.reps[2].faults if f.code.value == "knee_valgus"} == \
        {("knee_valgus", "left"), ("knee_valgus", "right")}
