"""A camera or a person that moved and held (not a cut): found once the person stands still in the new place,
mapped back in ``analyze``; a pause in a dip, or a clip that never moves, is not a move."""
from __future__ import annotations

import numpy as np
import pytest
from synth import squat_track

from knee_cv import present as P
from knee_cv.analysis import analyze_track
from knee_cv.camera import BODY
from knee_cv.codes import WarningCode
from knee_cv.place import feet_moved_with_body, find_moves
from knee_cv.settings import Settings
from knee_cv.track import LM, PoseTrack


def _two_sets() -> PoseTrack:
    """Two sets of two squats (the right knee caving in), 3 s of standing between them."""
    one = squat_track(fps=30.0, reps=2, rep_s=2.0, stand_s=1.5, depth_px=150, knee_shift_px=(-70.0, -15.0))
    return PoseTrack(np.concatenate([one.xyz, one.xyz]), np.concatenate([one.visibility, one.visibility]),
                     np.arange(2 * len(one)) / 30.0, one.width, one.height, 30.0)


@pytest.mark.parametrize("zoom, shift", [(0.85, (40.0, 30.0)), (1.0, (0.0, 60.0)), (1.2, (-30.0, -50.0))])
def test_a_smooth_move_between_sets_is_found_and_undone(zoom, shift):
    """The picture zooms and moves over 0.4 s while the person stands between the sets, then holds: no jump,
    so no cut. Before, the second set was read against the first set's standing height (moved down 60 px,
    0.15 leg lengths: depths 0.52 for 0.37). Now the move is found, said with its time and zoom, and undone."""
    track = _two_sets()
    at, ramp = len(track) // 2, 12
    w = np.clip((np.arange(len(track)) - at) / ramp, 0, 1)[:, None, None].astype(np.float32)
    xyz = track.xyz.copy()
    xyz[..., :2] = (1 - w) * xyz[..., :2] + w * (zoom * xyz[..., :2] + np.float32(shift))
    still, moved = analyze_track(track), analyze_track(track.replace(xyz=xyz))
    assert len(moved.reps) == len(still.reps) == 4
    for a, b in zip(still.reps, moved.reps):
        assert [P.verdict_word(v) for v in b.knee_verdicts] == [P.verdict_word(v) for v in a.knee_verdicts]
        assert b.rep.depth == pytest.approx(a.rep.depth, abs=0.01)
        for sa, sb in zip(a.sides, b.sides):
            assert sb.valgus_measure_deg == pytest.approx(sa.valgus_measure_deg, abs=1.0)
    said = [str(n) for n in moved.warnings if n.code is WarningCode.CAMERA_MOVED]
    assert len(said) == 1 and 0 <= float(said[0].split(" at ")[1].split(" s")[0]) - track.t[at] <= 0.4, said
    assert (f"zoom x{zoom:.2f}" in said[0]) == (zoom != 1.0), said
    assert not [n for n in still.warnings if n.code is WarningCode.CAMERA_MOVED]
    # drawn where it was filmed: the track handed to the drawing is the moved picture
    after = slice(at + ramp + 5, None)
    body = moved.track.xy[after][:, BODY]  # the joints the figure has (the others sit at 0, 0: off the picture moved)
    np.testing.assert_allclose(body, zoom * still.track.xy[after][:, BODY] + np.float32(shift), atol=0.5)


def test_a_pause_in_a_shallow_dip_is_not_a_move():
    """Standing, then 3 s held with the hips, knees and shoulders 40 px (0.1 leg lengths) lower, then standing:
    the feet stay where they stood, so nothing moved, and the standing posture is not read again."""
    one = squat_track(fps=30.0, reps=1, stand_s=3.0, depth_px=150)
    xyz = np.repeat(one.xyz[:1], 270, axis=0)
    upper = [j for j in range(xyz.shape[1]) if j not in (LM.LEFT_ANKLE, LM.RIGHT_ANKLE, LM.LEFT_HEEL,
                                                         LM.RIGHT_HEEL, LM.LEFT_FOOT_INDEX, LM.RIGHT_FOOT_INDEX)]
    xyz[90:180, upper, 1] += 40.0
    track = PoseTrack(xyz, np.repeat(one.visibility[:1], 270, axis=0), np.arange(270) / 30.0, one.width,
                      one.height, 30.0)
    assert find_moves(track, Settings()) is None
    assert find_moves(_two_sets(), Settings()) is None


def test_a_camera_that_keeps_moving_is_said_not_undone():
    """Four squats filmed by a hand that sways up and down by 0.2 leg lengths (80 px) every 3 s: no cut, and it
    never holds still long enough to be a move. The depths move with it, so the report says so, with the
    number; the same squats filmed still are not warned."""
    track = squat_track(fps=30.0, reps=4, rep_s=2.0, stand_s=1.5, depth_px=150, knee_shift_px=(-70.0, -15.0))
    sway = 40.0 * np.sin(2 * np.pi * track.t / 3.0)[:, None]
    xyz = track.xyz.copy()
    xyz[..., 1] += sway.astype(np.float32)
    moving, still = analyze_track(track.replace(xyz=xyz)), analyze_track(track)
    said = [str(n) for n in moving.warnings if n.code is WarningCode.CAMERA_MOVING]
    assert len(said) == 1 and "the planted feet moved 0.20 leg lengths" in said[0], said
    assert not [n for n in moving.warnings if n.code is WarningCode.CAMERA_MOVED]
    assert not [n for n in still.warnings if n.code is WarningCode.CAMERA_MOVING]


def _held(pose: np.ndarray, then: np.ndarray) -> PoseTrack:
    """3 s standing in ``pose`` (33, 3), then 3 s standing in ``then``."""
    one = squat_track(fps=30.0, reps=1, stand_s=3.0, depth_px=150)
    xyz = np.concatenate([np.repeat(pose[None], 90, axis=0), np.repeat(then[None], 90, axis=0)]).astype(np.float32)
    return PoseTrack(xyz, np.repeat(one.visibility[:1], 180, axis=0), np.arange(180) / 30.0, one.width,
                     one.height, 30.0)


def test_feet_that_moved_against_the_body_are_no_move():
    """The second stance: the feet 30 px (0.075 leg lengths) further apart each side, the body 6 % larger about
    the hips (as a person who widened their stance and stood up straighter reads). The whole pose fits a zoom
    of about 1.06 loosely, and before, that was taken for a camera move and the later frames mapped back by it
    (on real clips played 4x slowly, such stances read zooms of 0.88-1.04 and moved a knee's measure by up to
    11 deg). The feet are not where that zoom puts them, so nothing moved; a true zoom of the same pose, feet
    included, still is a move."""
    one = squat_track(fps=30.0, reps=1, stand_s=3.0, depth_px=150)
    pose = one.xyz[0].copy()
    hips = pose[[LM.LEFT_HIP, LM.RIGHT_HIP], :2].mean(axis=0)
    wide = pose.copy()
    wide[:, :2] = 1.06 * (pose[:, :2] - hips) + hips
    for feet, out in (((LM.LEFT_ANKLE, LM.LEFT_HEEL, LM.LEFT_FOOT_INDEX), 30.0),
                      ((LM.RIGHT_ANKLE, LM.RIGHT_HEEL, LM.RIGHT_FOOT_INDEX), -30.0)):
        wide[list(feet), 0] = pose[list(feet), 0] + out  # the subject's left is on the image right
    assert find_moves(_held(pose, wide), Settings()) is None
    zoomed = pose.copy()
    zoomed[:, :2] = 1.06 * (pose[:, :2] - hips) + hips
    moved = find_moves(_held(pose, zoomed), Settings())
    assert moved is not None
    later = moved.steady(_held(pose, zoomed)).xy[-1, BODY]
    np.testing.assert_allclose(later, pose[BODY, :2], atol=1.0)  # mapped back onto the first place
    # the rule itself, on the poses: the body's zoom carries the feet, or it does not
    shift = (1 - 1.06) * hips
    assert feet_moved_with_body(pose[BODY, :2], zoomed[BODY, :2], 1.06, shift, 0.03 * 400)
    assert not feet_moved_with_body(pose[BODY, :2], wide[BODY, :2], 1.06, shift, 0.03 * 400)
