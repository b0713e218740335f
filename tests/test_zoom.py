"""Finding a person too small for the pose model's detector (knee_cv.zoom): windows, crops, the kept frames."""
from __future__ import annotations

import numpy as np
import pytest

from knee_cv.zoom import Crop, Sampler, windows


@pytest.mark.parametrize("size", [(1280, 720), (720, 1280), (406, 720), (640, 640)])
@pytest.mark.parametrize("share", [1 / 2, 1 / 3])
def test_windows_hold_every_stretch_up_to_half_their_side(size, share):
    """A person up to half a window tall and wide lies wholly inside some window, anywhere in the picture."""
    w, h = size
    wins = windows(w, h, share)
    side = round(share * max(w, h))
    assert all(0 <= c.x0 < c.x1 <= w and 0 <= c.y0 < c.y1 <= h for c in wins)
    assert {c.size for c in wins} == {(min(side, w), min(side, h))}
    reach = side // 2
    for x in range(0, w - reach + 1, 7):
        for y in range(0, h - reach + 1, 7):
            assert any(c.x0 <= x and x + reach <= c.x1 and c.y0 <= y and y + reach <= c.y1 for c in wins), (x, y)


def test_the_crop_holds_the_person_at_about_half_its_side_and_leaves_out_someone_else():
    # the person found in five frames (standing and squatting) near (600, 400), someone else once at the far left
    boxes = np.array([[580, 300, 640, 500], [575, 330, 645, 500], [582, 302, 638, 498], [570, 360, 650, 500],
                      [579, 301, 641, 499], [40, 300, 100, 500]], float)
    crop = Crop.around(boxes, 1280, 720)
    assert crop.size == (400, 400)                      # twice the person's height (300-500)
    assert (crop.x0, crop.y0, crop.x1, crop.y1) == (410, 200, 810, 600)   # centred on them
    assert crop.x0 > 100                                # the other person is not in it


def test_the_crop_stays_inside_the_picture():
    crop = Crop.around(np.array([[1200, 500, 1270, 700]], float), 1280, 720)   # at the bottom-right corner
    assert (crop.x1, crop.y1) == (1280, 720) and crop.size == (400, 400)
    big = Crop.around(np.array([[100, 100, 300, 600]], float), 1280, 720)     # twice its height exceeds the picture
    assert big.size == (1000, 720) and big.y0 == 0


def test_a_crop_moves_landmarks_back_to_the_whole_picture():
    crop = Crop(410, 200, 810, 600)
    image = np.arange(720 * 1280 * 3, dtype=np.uint32).reshape(720, 1280, 3)
    part = crop.apply(image)
    assert part.shape == (400, 400, 3) and part.flags["C_CONTIGUOUS"] and part[0, 0, 0] == image[200, 410, 0]
    xyz = np.array([[10.0, 20.0, -5.0]], np.float32)
    assert crop.to_frame(xyz).tolist() == [[420.0, 220.0, -5.0]]


def test_the_sampler_keeps_frames_without_a_person_spread_over_the_clip():
    s = Sampler(frames=80, keep=4)
    nobody, somebody = np.full((33, 3), np.nan), np.zeros((33, 3))
    for i in range(80):
        s.update(np.full((4, 4, 3), i, np.uint8), somebody if i < 20 else nobody)
    assert [int(img[0, 0, 0]) for img in s.images] == [20, 40, 60]    # every 20th frame; the first 20 had a person


def test_large_frames_are_kept_shrunk_and_the_crop_is_scaled_back():
    s = Sampler(frames=8, keep=8)
    s.update(np.zeros((2160, 3840, 3), np.uint8), np.full((33, 3), np.nan))
    assert s.images[0].shape == (1080, 1920, 3) and s.scale == 0.5
    crop = Crop(410, 200, 810, 600).scaled(1 / s.scale, 3840, 2160)
    assert (crop.x0, crop.y0, crop.x1, crop.y1) == (820, 400, 1620, 1200)
    assert Crop(1700, 900, 1920, 1080).scaled(2.0, 3839, 2159).size == (3839 - 3400, 2159 - 1800)  # inside


def test_a_degenerate_box_still_gives_a_crop():
    assert Crop.around(np.array([[50.0, 50.0, 50.0, 50.0]]), 100, 100).size == (32, 32)


def _small(track, scale: float, width: int, height: int):
    """``track`` shrunk by ``scale`` about the origin, in a ``width`` x ``height`` picture."""
    xyz = track.xyz.copy()
    xyz[..., :2] *= scale
    xyz[..., :2] += [width / 2 - 32, height / 2 - 40]
    return track.replace(xyz=xyz, width=width, height=height)


def test_a_found_person_too_coarse_for_the_pose_model_is_measured_on_a_crop_at_full_resolution():
    from knee_cv.pose import MAX_SIDE
    from knee_cv.zoom import zoom_crop
    from synth import squat_track

    track = squat_track(reps=2)                                   # legs 400 px in 800 x 1000
    sampler = Sampler(frames=len(track))
    assert zoom_crop(track, sampler, None, max_side=MAX_SIDE) is None            # 256 px to the pose model
    far = _small(track, 0.1, 1920, 1080)                          # legs 40 px, 13 px once shrunk to 640
    crop, searched = zoom_crop(far, sampler, None, max_side=MAX_SIDE)
    assert not searched
    xy = far.xy[far.detected]
    assert crop.x0 <= np.nanmin(xy[..., 0]) and np.nanmax(xy[..., 0]) <= crop.x1    # the whole person inside
    assert crop.y0 <= np.nanmin(xy[..., 1]) and np.nanmax(xy[..., 1]) <= crop.y1
    assert max(crop.size) < 4 * 40 * 2.5                          # about twice their height: far under 640 px
    assert zoom_crop(_small(track, 0.1, 640, 480), sampler, None, max_side=MAX_SIDE) is None  # nothing to gain
    nobody = far.replace(xyz=np.full_like(far.xyz, np.nan), visibility=np.zeros_like(far.visibility))
    assert zoom_crop(nobody, sampler, None, max_side=MAX_SIDE) is None            # no frame kept: nothing to search


def test_legs_under_min_leg_px_judge_no_knee_or_hip_and_say_why():
    from knee_cv import Settings, analyze_track
    from knee_cv.codes import NotJudged
    from knee_cv.present import reason_label
    from synth import squat_track

    track = squat_track(reps=2, knee_shift_px=(25.0, 0.0))   # the left knee caves 25 of 400 px: flagged
    assert Settings().faults.min_leg_px == 45.0
    for scale, judged in ((0.125, True), (0.1, False)):      # legs 50 px, then 40 px
        a = analyze_track(_small(track, scale, 1920, 1080), Settings())
        assert len(a.reps) == 2
        verdicts = [v for r in a.reps for v in (*r.knee_verdicts, r.hip_verdict)]
        assert all(v.judged for v in verdicts) if judged else \
            {v.reason for v in verdicts} == {NotJudged.PERSON_SMALL}
        assert any(f.code.value == "knee_valgus" for r in a.reps for f in r.faults) == judged
        said = [str(w) for w in a.warnings if w.code.value == "person_small"]
        assert said == ([] if judged else [said[0]]) and (judged or "only 40 px in the video (under 45)" in said[0])
    assert reason_label(NotJudged.PERSON_SMALL) == "person too small"


def test_landmark_boxes_leave_out_poses_with_too_few_visible_landmarks():
    from knee_cv.zoom import landmark_boxes

    xy = np.tile(np.arange(33, dtype=float)[:, None], (3, 1, 2))      # (3, 33, 2): landmarks 0..32 on a diagonal
    vis = np.ones((3, 33))
    vis[1, :25] = 0.0                                                 # 8 visible: a guess, left out
    vis[2, :] = 0.0                                                   # nobody
    vis[0, 30:] = 0.2                                                 # invisible landmarks do not widen the box
    assert landmark_boxes(xy, vis).tolist() == [[0.0, 0.0, 29.0, 29.0]]
