"""The body turn read from 2D landmarks (issue 13): exact on synthetic tracks, and on mannequin renders at
known turns through MediaPipe; an edited clip that turns between reps is judged rep by rep."""
from __future__ import annotations

import dataclasses
import os

import numpy as np
import pytest

from knee_cv.codes import NotJudged
from knee_cv.track import LM
from knee_cv.codes import ViewClass
from knee_cv.view import FOOT_LEG, NOSE_DEPTH, RepView, View, judging_block, turn_cues, turn_deg, view_class
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
    vis = track.visibility.copy()
    vis[:, [LM.LEFT_HEEL, LM.RIGHT_HEEL]] = 0.0        # feet unseen: the nose alone
    got = turn_deg(track.replace(xyz=xyz, visibility=vis))
    np.testing.assert_allclose(got, turn, atol=1e-3)


def _feet_turned(track, turn, toe_out=15.0):
    """Both feet of ``track`` redrawn FOOT_LEG leg lengths long, turned out by ``toe_out`` and the body by ``turn``."""
    xyz = track.xyz.copy()
    hips, ankles = xyz[:, [LM.LEFT_HIP, LM.RIGHT_HIP], :2], xyz[:, [LM.LEFT_ANKLE, LM.RIGHT_ANKLE], :2]
    leg = np.percentile(np.linalg.norm(hips - ankles, axis=-1).mean(1), 90)
    for side, (heel, toe) in enumerate(((LM.LEFT_HEEL, LM.LEFT_FOOT_INDEX), (LM.RIGHT_HEEL, LM.RIGHT_FOOT_INDEX))):
        out = toe_out if side == 0 else -toe_out           # the left foot turns out toward the image right
        xyz[:, toe, 0] = xyz[:, heel, 0] + FOOT_LEG * leg * np.sin(np.radians(turn + out))
    return xyz


def _nose_turned(xyz, turn):
    """``xyz`` with the nose NOSE_DEPTH shoulder widths in front of the shoulders of a head turned by ``turn``."""
    sh = xyz[:, [LM.LEFT_SHOULDER, LM.RIGHT_SHOULDER], :2]
    width = np.linalg.norm(sh[:, 0] - sh[:, 1], axis=-1)
    xyz[:, LM.NOSE, 0] = sh.mean(1)[:, 0] + NOSE_DEPTH * np.tan(np.radians(turn)) * width
    xyz[:, LM.NOSE, 1] = sh.mean(1)[:, 1] - 80
    return xyz


@pytest.mark.parametrize("turn", [0.0, 8.0, -20.0, 35.0])
def test_turn_from_the_feet_is_exact_and_ignores_a_symmetric_turn_out(turn):
    track = squat_track(reps=1)
    vis = track.visibility.copy()
    vis[:, LM.NOSE] = 0.0                                  # nose unseen: the feet alone
    xyz = _feet_turned(track, turn, toe_out=0.0)
    np.testing.assert_allclose(turn_deg(track.replace(xyz=xyz, visibility=vis)), turn, atol=1e-3)
    # turned-out feet: sin(turn + out) + sin(turn - out) = 2 sin(turn) cos(out), so the reading is off by cos only
    xyz = _feet_turned(track, turn, toe_out=15.0)
    expect = np.degrees(np.arcsin(np.sin(np.radians(turn)) * np.cos(np.radians(15.0))))
    np.testing.assert_allclose(turn_deg(track.replace(xyz=xyz, visibility=vis)), expect, atol=1e-3)


def test_nose_and_feet_are_averaged_from_the_front_and_from_behind():
    track = squat_track(reps=1)
    xyz = _nose_turned(_feet_turned(track, 20.0, toe_out=0.0), 10.0)
    np.testing.assert_allclose(turn_deg(track.replace(xyz=xyz)), 15.0, atol=1e-3)
    back = xyz.copy()                                      # seen from behind: the left shoulder on the image left
    back[:, [LM.LEFT_SHOULDER, LM.RIGHT_SHOULDER]] = xyz[:, [LM.RIGHT_SHOULDER, LM.LEFT_SHOULDER]]
    cues = turn_cues(track.replace(xyz=back))              # both offsets are measured along the mirrored line
    np.testing.assert_allclose(cues.feet, -20.0, atol=1e-3)
    np.testing.assert_allclose(cues.turn, -15.0, atol=1e-3)


def test_a_squat_rep_takes_its_turn_from_the_feet_and_a_lunge_rep_from_both_cues():
    """Feet square (0 deg), head turned 20 deg: a bilateral squat rep reads 0 (the feet do not move with depth,
    a head turns on its own), a one-legged rep the average of both cues; exact on a synthetic track."""
    from knee_cv.analysis import analyze_track
    from knee_cv.view import rep_views, turn_cues

    track = squat_track(reps=1)
    turned_head = track.replace(xyz=_nose_turned(_feet_turned(track, 0.0, toe_out=0.0), 20.0))
    a = analyze_track(turned_head, smooth=False)
    (rep,) = [r.rep for r in a.reps]
    cues = turn_cues(turned_head)
    np.testing.assert_allclose(cues.feet, 0.0, atol=1e-3)
    (squat,) = rep_views(turned_head, a.metrics.depth, [rep], a.baseline.leg_length, cues)
    (lunge,) = rep_views(turned_head, a.metrics.depth, [rep], a.baseline.leg_length, cues, bilateral=False)
    assert squat.turn_deg == pytest.approx(0.0, abs=1e-3) and a.reps[0].view.turn_deg == pytest.approx(0.0, abs=1e-3)
    assert lunge.turn_deg == pytest.approx(10.0, abs=1e-3)
    # the same body seen from behind (every x mirrored: the subject's left on the image left): the feet again
    back_xyz = turned_head.xyz.copy()
    back_xyz[..., 0] = turned_head.width - back_xyz[..., 0]
    back = turned_head.replace(xyz=back_xyz)
    b = analyze_track(back, smooth=False)
    assert b.view is View.BACK and b.reps[0].view.view is View.BACK
    assert b.reps[0].view.turn_deg == pytest.approx(0.0, abs=1e-3)
    (back_lunge,) = rep_views(back, b.metrics.depth, [b.reps[0].rep], b.baseline.leg_length, bilateral=False)
    assert back_lunge.turn_deg == pytest.approx(10.0, abs=1e-3)


def test_judging_block_rules():
    assert judging_block(View.SIDE, 0.0, 30.0) is NotJudged.SIDE_VIEW
    assert judging_block(View.FRONT, 31.0, 30.0) is NotJudged.TURNED
    assert judging_block(View.BACK, -31.0, 30.0) is NotJudged.TURNED
    assert judging_block(View.FRONT, 29.0, 30.0) is None
    assert judging_block(View.FRONT, 0.0, 30.0, 85.0) is NotJudged.SIDEWAYS     # a picture turned on its side
    assert judging_block(View.SIDE, 0.0, 30.0, -70.0) is NotJudged.SIDEWAYS
    assert judging_block(View.FRONT, 0.0, 30.0, 40.0) is None                     # a leaning trunk is not lying


def _render_and_analyze(tmp_path, sc, name):
    from knee_cv.api import analyze
    from knee_cv.demo import render_video

    video = render_video(sc, tmp_path / f"{name}.mp4")
    return analyze(video, out_dir=tmp_path / name, progress=False, pdf=False, annotate=False).analysis


@pytest.mark.video
@pytest.mark.parametrize("height", [0.6, 0.9])
def test_body_turn_read_on_renders(tmp_path, model_dir, height):
    """Error <= 8 deg up to 30 deg of turn, and a side view from 70 deg on, at two camera heights.

    Issue 13 asks for 8 deg up to 45 deg; at -45 deg MediaPipe folds the drawn shoulders together and the
    render reads as a side view (README, "Body turn on the mannequin"), so that part is not claimed.
    """
    from knee_cv.mannequin import RepSpec, Scenario

    os.environ["KNEE_CV_MODELS"] = str(model_dir)
    for turn in (0, 10, -10, 20, -20, 30, -30, 70, 90):
        sc = Scenario(reps=(RepSpec(),), body_turn_deg=turn, camera_height=height)
        a = _render_and_analyze(tmp_path, sc, f"t{turn}")
        if abs(turn) >= 70:
            assert a.view is View.SIDE, (turn, a.view)
        else:
            assert a.view is View.FRONT and abs(a.yaw_deg - turn) <= 8.0, (turn, a.view, a.yaw_deg)


@pytest.mark.video
@pytest.mark.parametrize("turn", [-20, 0, 20])
def test_body_turn_read_from_behind_on_renders(tmp_path, model_dir, turn):
    """Filmed from behind, MediaPipe guesses a nose near the middle (the nose alone read reps turned 20
    degrees as 6-10); the heels are seen, and each rep's turn from the feet is within 8 degrees. The clean
    rep is never flagged; a knee not judged in a turned rep says so (it said "knee hidden" when the turn,
    read a little large, made its frames implausible both as filmed and square-on)."""
    from knee_cv.mannequin import RepSpec, Scenario

    os.environ["KNEE_CV_MODELS"] = str(model_dir)
    sc = Scenario(reps=(RepSpec(), RepSpec((10.0, 10.0))), body_turn_deg=180.0 + turn, camera_height=0.75)
    a = _render_and_analyze(tmp_path, sc, f"back{turn}")
    assert a.view is View.BACK and len(a.reps) == 2
    assert all(abs(r.view.turn_deg - turn) <= 8.0 for r in a.reps), [r.view for r in a.reps]
    assert not a.reps[0].faults
    if turn:
        assert {v.reason for r in a.reps for v in r.knee_verdicts} == {NotJudged.TURNED}
    else:
        assert all(v.judged for v in a.reps[0].knee_verdicts)


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


@pytest.mark.video
def test_a_clip_turning_from_front_to_side_to_back_is_judged_rep_by_rep(tmp_path, model_dir):
    """Front, side, then two reps from behind (clean, then 12 cm of valgus on both knees): the side rep is not
    judged, the clean reps from the front and from behind are "ok", and the collapse from behind is never
    called ok. Turning round swaps which of heel and toe is nearer the camera: before, the feet's drift over
    all reps (0.17 leg lengths) said "the camera kept moving" on this clip filmed from a still camera."""
    from knee_cv.mannequin import RepSpec, Scenario

    os.environ["KNEE_CV_MODELS"] = str(model_dir)
    sc = Scenario(reps=(RepSpec(), RepSpec(turn_deg=90.0), RepSpec(turn_deg=180.0),
                        RepSpec((12.0, 12.0), turn_deg=180.0)))
    a = _render_and_analyze(tmp_path, sc, "front_side_back")
    assert [r.view.view for r in a.reps] == [View.FRONT, View.SIDE, View.BACK, View.BACK]
    assert all(v.reason is NotJudged.SIDE_VIEW for v in a.reps[1].knee_verdicts)
    for clean in (a.reps[0], a.reps[2]):
        assert all(v.judged for v in clean.knee_verdicts) and not clean.faults
    assert not any(v.judged and v.severity is None for v in a.reps[3].knee_verdicts)
    assert "camera_moving" not in {w.code.value for w in a.warnings}


@pytest.mark.video
@pytest.mark.parametrize("turn", [-10, 10])
def test_a_slightly_turned_clean_squat_is_never_flagged(tmp_path, model_dir, turn):
    """At 10 degrees of turn the reading as filmed moves a knee ~17 degrees toward valgus: before the square-on
    check a clean rep read +6 (mild valgus) on one knee at -10. Now every knee of the clean rep is either
    judged clean or not judged because of the turn, and the valgus rep is still caught on a knee."""
    from knee_cv.mannequin import RepSpec, Scenario

    os.environ["KNEE_CV_MODELS"] = str(model_dir)
    sc = Scenario(reps=(RepSpec(), RepSpec((10.0, 10.0))), body_turn_deg=turn, camera_height=0.75)
    a = _render_and_analyze(tmp_path, sc, f"slight{turn}")
    clean, valgus = a.reps
    assert not clean.faults, clean.faults
    assert all(v.judged or v.reason is NotJudged.TURNED for v in clean.knee_verdicts)
    assert any(f.code.value == "knee_valgus" for f in valgus.faults)
    turned = [v for r in a.reps for v in r.knee_verdicts if v.reason is NotJudged.TURNED]
    assert turned and any(w.code.value == "knees_turned" for w in a.warnings)


@pytest.mark.parametrize("turn", ["clockwise", "counter-clockwise", "upside down"])
def test_a_picture_turned_sideways_asks_for_a_rotation_and_judges_nothing(turn):
    """A phone video that lost its rotation tag shows a person lying across the picture: that is not a side
    view (issue 15); the warning says which way to rotate, and no knee or hip is judged. Upside down, the
    rotation is a half turn (a real clip turned so was told to turn 90 degrees counter-clockwise)."""
    from knee_cv.analysis import analyze_track
    from knee_cv.codes import WarningCode
    from knee_cv.view import around_mean, axis_deg, body_axis_deg

    track = squat_track(reps=3, knee_shift_px=(30.0, 30.0))
    xyz = track.xyz.copy()
    x, y = xyz[..., 0].copy(), xyz[..., 1].copy()
    if turn == "clockwise":       # the picture turned 90 degrees clockwise: the head ends up on the image right
        xyz[..., 0], xyz[..., 1] = track.height - y, x
    elif turn == "counter-clockwise":
        xyz[..., 0], xyz[..., 1] = y, track.width - x
    else:  # the head near the bottom, leaning a little either way: readings on both sides of +-180 degrees
        xyz[..., 0], xyz[..., 1] = track.width - x, track.height - y
        xyz[0::2, :23, 0] += 4.0
        xyz[1::2, :23, 0] -= 4.0
    half = turn == "upside down"
    sideways = track.replace(xyz=xyz, width=track.width if half else track.height,
                             height=track.height if half else track.width)
    axis = np.nanmedian(body_axis_deg(sideways))
    axes = body_axis_deg(sideways)
    assert (np.abs(np.abs(axes) - (180 if half else 90)) < 10).all()
    assert half or ((axis > 0) == (turn == "clockwise"))
    raw = axis_deg(sideways.xyz[..., :2])                # each frame on its own: either side of +-180
    assert not half or ((raw > 0).mean() == pytest.approx(0.5, abs=0.02))
    # an even split across +-180 has a median of 0 ("upright") unless the readings are taken round their mean
    even = np.array([179.0, -179.0, 178.0, -178.0, np.nan])
    assert np.nanmedian(even) == 0 and abs(np.nanmedian(around_mean(even))) == pytest.approx(180.0)
    assert np.array_equal(around_mean(np.array([-20.0, 5.0, 30.0])), [-20.0, 5.0, 30.0])
    a = analyze_track(sideways)
    (w,) = [w for w in a.warnings if w.code is WarningCode.PICTURE_SIDEWAYS]
    no_reps = [w for w in a.warnings if w.code is WarningCode.NO_REPS]
    assert all("not upright" in w and "never dropped" not in w for w in no_reps)  # turned, the hips did drop
    assert no_reps or a.reps
    if half:
        assert "upside down" in w and "180 degrees" in w and "hflip,vflip" in w and "transpose" not in w
    else:
        assert ("counter-clockwise" in w) == (turn == "clockwise") and "transpose=" in w
    assert a.view is View.UNKNOWN and not any(w.code is WarningCode.SIDE_VIEW for w in a.warnings)
    assert all(not v.judged for r in a.reps for v in (*r.knee_verdicts, r.hip_verdict))
    assert not a.faults
    upright = analyze_track(track)                        # the same clip upright: judged, valgus found
    assert upright.faults and not any(w.code is WarningCode.PICTURE_SIDEWAYS for w in upright.warnings)


def test_view_class_names_a_turned_front_or_back_view_oblique():
    """Oblique when most reps were turned beyond the limit; without reps, by the standing turn; side stays side."""
    front, turned = RepView(View.FRONT, 5.0), RepView(View.FRONT, -38.0)
    assert view_class(View.FRONT, 5.0, [front, turned, turned], 30.0) is ViewClass.OBLIQUE_FRONT
    assert view_class(View.FRONT, 35.0, [front, front, turned], 30.0) is ViewClass.FRONT  # judged on most reps
    assert view_class(View.BACK, 0.0, [RepView(View.BACK, 45.0)], 30.0) is ViewClass.OBLIQUE_BACK
    assert view_class(View.FRONT, 31.0, [], 30.0) is ViewClass.OBLIQUE_FRONT
    assert view_class(View.FRONT, float("nan"), [], 30.0) is ViewClass.FRONT
    assert view_class(View.SIDE, 80.0, [RepView(View.SIDE, 80.0)], 30.0) is ViewClass.SIDE
    # a rep lying across the picture is not judged for that reason, not for a turn
    assert view_class(View.FRONT, 0.0, [RepView(View.FRONT, 40.0, 80.0)], 30.0) is ViewClass.FRONT


def test_a_lunge_filmed_from_behind_judges_no_knee_unless_named():
    """From behind a lunge's rear foot comes nearer and looks lower, as a single-leg squat's planted foot does,
    so the two point at opposite legs: before, the mannequin's lunge filmed from behind (exact joints) read as
    a single-leg squat standing on its trailing leg, and the caving lead knee (+37 and +46 deg on reps 2 and 4)
    was set aside as the "free leg". Now neither knee is judged
    ("lead_leg_unknown", said in a warning) unless the exercise is named; named, the lead leg's collapses on
    reps 2 and 4 are found. Live mode, which judges each rep with analyze's rules, agrees."""
    from knee_cv.analysis import analyze_track
    from knee_cv.live import LiveSession, LiveSettings
    from knee_cv.mannequin import Scenario
    from knee_cv.present import exercise_words
    from knee_cv.reps import Exercise
    from synth import mannequin_track

    track = mannequin_track(dataclasses.replace(Scenario.preset(Exercise.LUNGE), body_turn_deg=180.0))
    auto = analyze_track(track)
    assert auto.view is View.BACK and auto.exercise.one_legged and len(auto.reps) == 4
    assert {v.reason for r in auto.reps for v in r.knee_verdicts} == {NotJudged.LEAD_LEG_UNKNOWN}
    assert all(r.hip_verdict.judged for r in auto.reps)
    assert [w.code.value for w in auto.warnings] == ["lead_leg_unknown"]
    named = analyze_track(track, exercise=Exercise.LUNGE)
    assert [exercise_words(x.exercise, x.reps) for x in (auto, named)] == ["lunge or single leg squat", "lunge"]
    assert [r.rep.lead_leg.value for r in named.reps] == ["left"] * 4
    assert [r.knee_verdicts[1].reason for r in named.reps] == [NotJudged.REAR_LEG] * 4
    assert [any(f.code.value == "knee_valgus" and f.side.value == "left" for f in r.faults)
            for r in named.reps] == [False, True, False, True]
    # live mode asks a person seen from behind to turn round before it calibrates; one who turns round after it
    lunge = Scenario.preset(Exercise.LUNGE)
    turning = (lunge.reps[0],) + tuple(dataclasses.replace(r, turn_deg=180.0) for r in lunge.reps)
    track = mannequin_track(dataclasses.replace(lunge, reps=turning))
    s = LiveSession(live=LiveSettings(calibration_s=0.5), width=track.width, height=track.height, fps=track.fps)
    for i in range(len(track)):
        s.update(track.t[i], track.xyz[i], track.visibility[i])
    assert [r.result.view.view for r in s.reps] == [View.FRONT] + [View.BACK] * 4
    assert all(v.reason is NotJudged.LEAD_LEG_UNKNOWN for r in s.reps[1:] for v in r.result.knee_verdicts)


def test_a_back_view_with_its_feet_out_of_the_picture_has_no_turn_and_judges_nothing_on_a_guessed_nose():
    """From behind MediaPipe guesses a nose (a real barbell squat about 15 deg off straight behind, its feet past
    the picture's bottom edge, read -60 to -66 from it; the mannequin turned 10-30 deg from behind, 1-9), so a
    back view's turn comes from the feet. With the feet never in the picture there is no turn: the view stays
    "back" (the shoulders' order), and the knees and the hip are "not judged: feet out of view", said once,
    hip included. Before, the guessed nose made it an oblique back view "turned about 60 degrees"."""
    from knee_cv.analysis import analyze_track

    track = squat_track(reps=2)
    xyz = track.xyz.copy()
    xyz[..., 0] = track.width - xyz[..., 0]                        # seen from behind: every x mirrored
    xyz = _nose_turned(xyz, 60.0)                                  # the guessed nose, far off the middle
    feet = [LM.LEFT_HEEL, LM.RIGHT_HEEL, LM.LEFT_FOOT_INDEX, LM.RIGHT_FOOT_INDEX]
    cut = track.replace(xyz=xyz.copy())
    xyz[:, feet, 1] = track.height + 40.0                          # past the picture's bottom edge
    cut_feet = track.replace(xyz=xyz)
    seen, gone = analyze_track(cut, smooth=False), analyze_track(cut_feet, smooth=False)
    # feet in the picture: the turn is theirs (the synthetic feet point straight back from the heels: 0 deg)
    assert seen.view is View.BACK and seen.view_class is ViewClass.BACK
    assert all(abs(r.view.turn_deg) < 1.0 for r in seen.reps) and all(r.hip_verdict.judged for r in seen.reps)
    # feet out of it: no turn, nothing judged for the feet, and not called turned
    assert gone.view is View.BACK and gone.view_class is ViewClass.BACK and len(gone.reps) == 2
    assert np.isnan(gone.yaw_deg) and all(np.isnan(r.view.turn_deg) for r in gone.reps)
    assert {v.reason for r in gone.reps for v in (*r.knee_verdicts, r.hip_verdict)} == {NotJudged.FEET_HIDDEN}
    (notice,) = gone.warnings
    assert notice.code.value == "feet_hidden" and notice.startswith("4 knee-rep(s)")
    assert "the hip of 2 rep(s) was not judged either" in notice
    assert judging_block(View.BACK, float("nan"), 30.0) is NotJudged.FEET_HIDDEN
    assert judging_block(View.FRONT, float("nan"), 30.0) is None  # in front the nose is seen: NaN is no shoulders
