"""Frames in which the pose model followed someone else (knee_cv.people)."""
from __future__ import annotations

import numpy as np
import pytest
from synth import squat_track

from knee_cv import present as P
from knee_cv.analysis import analyze_track
from knee_cv.codes import WarningCode
from knee_cv.people import drop_other_people
from knee_cv.track import LM, PoseTrack


def _someone_else(track: PoseTrack, scale: float = 0.8, dx: float = 340.0, stance: float = 60.0) -> PoseTrack:
    """``track``'s person seen smaller and further right, the feet ``stance`` px further apart each (the knees
    half that): another, shorter person squatting wider beside (not the same body zoomed, which a camera or
    place move would be)."""
    xyz = track.xyz.copy()
    for side, sign in ((0, 1.0), (1, -1.0)):  # the subject's left at the image right
        xyz[:, [LM.LEFT_KNEE + side], 0] += sign * stance / 2
        xyz[:, [LM.LEFT_ANKLE + side, LM.LEFT_HEEL + side, LM.LEFT_FOOT_INDEX + side], 0] += sign * stance
    xyz[..., :2] = (xyz[..., :2] - [320.0, 700.0]) * scale + [320.0 + dx, 700.0]
    return track.replace(xyz=xyz)


def _joined(*parts: PoseTrack, lost: int = 1) -> PoseTrack:
    """The tracks one after the other, ``lost`` frames without landmarks between each two (the tracker lost the
    person and found whoever it found next)."""
    first = parts[0]
    gap = np.full((lost, *first.xyz.shape[1:]), np.nan, np.float32)
    xyz, vis = [parts[0].xyz], [parts[0].visibility]
    for p in parts[1:]:
        xyz += [gap, p.xyz]
        vis += [np.zeros((lost, vis[0].shape[1]), np.float32), p.visibility]
    xyz = np.concatenate(xyz)
    return first.replace(xyz=xyz, visibility=np.concatenate(vis), t=np.arange(len(xyz)) / first.fps)


def test_someone_else_picked_after_the_subject_is_lost_is_ignored_and_said():
    """A side-by-side clip whose subject's half ends: MediaPipe lost him for one frame and then followed the
    woman beside him for the rest of the clip (a real case, made from two sample clips). Her reps were his, judged
    against his standing posture, and his own valgus reps lost their verdicts ("knee hidden"). Now her frames are
    ignored, the warning says when, and his reps read as if he were alone."""
    him = squat_track(reps=4, knee_shift_px=(40.0, 40.0))
    her = _someone_else(squat_track(reps=3))
    alone, both = analyze_track(him), analyze_track(_joined(him, her))
    switch = len(him) + 1
    flagged = [[v.judged and not v.ok for v in r.knee_verdicts] for r in alone.reps]
    assert len(alone.reps) == 4 and flagged == [[True, True]] * 4
    assert len(both.reps) == 4                                      # 7 before: hers counted as his
    assert [r.rep.bottom for r in both.reps] == [r.rep.bottom for r in alone.reps]
    assert [r.knee_verdicts for r in both.reps] == [r.knee_verdicts for r in alone.reps]
    assert np.isnan(both.track.xyz[switch:, :, 0]).all()
    said = [w for w in both.warnings if w.code is WarningCode.OTHER_PERSON]
    t = both.raw.t
    assert said and said[0] == P.other_person_text(np.arange(len(t)) >= switch, t)
    assert f"{len(t) - switch} frames ({t[switch]:.1f}-{t[-1]:.1f} s)" in said[0]


def test_the_tracker_that_comes_back_keeps_the_subject_and_a_walk_out_is_not_someone_else():
    """Someone else for half a second between two stretches of the subject: only those frames are ignored.
    The subject stepping aside between sets (a move a person can make) is kept whole."""
    him, her = squat_track(reps=2), _someone_else(squat_track(reps=1))
    track = _joined(him, her.slice(0, 15), him)
    _, other = drop_other_people(track)
    assert np.flatnonzero(other).tolist() == list(range(len(him) + 1, len(him) + 16))
    stepped = _joined(him, _someone_else(him, scale=1.0, dx=120.0, stance=0.0), lost=30)  # 1 s unseen, 120 px aside
    assert not drop_other_people(stepped)[1].any()
    assert not drop_other_people(him)[1].any()


def test_live_mode_measures_again_on_someone_else_it_follows():
    """Live: the tracker loses him after two valgus squats and follows a shorter woman beside him through three
    clean ones. The session measures the standing posture again ("Someone else in view: calibrating"), so her
    reps read against her own standing posture: the same depth as his, knees ok. Before, they were measured
    against his calibration, and none was counted (her hips, a fifth of his leg lower, never stood up)."""
    from knee_cv.live import LiveSession, LiveSettings
    from knee_cv.present import SOMEONE_ELSE

    him = squat_track(reps=2, knee_shift_px=(40.0, 40.0))                       # knees cave in
    her = _someone_else(squat_track(reps=3, stand_s=1.5, knee_shift_px=(-70.0, -70.0)))  # knees out
    track = _joined(him, her)
    s = LiveSession(live=LiveSettings(calibration_s=0.5), width=track.width, height=track.height, fps=track.fps)
    banners = [s.update(track.t[i], track.xyz[i], track.visibility[i]).banner for i in range(len(track))]
    switch = len(him) + 1
    assert [(e.kind, e.text) for e in s.events if e.kind in ("calibrated", "recalibrate")] == \
        [("calibrated", ""), ("recalibrate", SOMEONE_ELSE), ("calibrated", "")]
    assert banners[switch].startswith(f"{SOMEONE_ELSE}: calibrating: stand still")
    assert [[v.judged and not v.ok for v in r.result.knee_verdicts] for r in s.reps] == [[True, True]] * 2 + \
        [[False, False]] * 3
    assert [r.result.rep.depth for r in s.reps] == pytest.approx([s.reps[0].result.rep.depth] * 5, abs=0.01)
