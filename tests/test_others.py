"""Someone else in the picture at the same time as the person judged: which people count, where they stand, the
crop that judges them, and the frames kept for the look (the end-to-end case: tests/test_metamorphic.py)."""
from __future__ import annotations

import numpy as np
import pytest
from synth import squat_track

from knee_cv.errors import InputError
from knee_cv.others import Others, others_in, sampler
from knee_cv.zoom import Crop


def _person(dx: float = 0.0, size: float = 1.0) -> np.ndarray:
    """The synthetic figure's standing landmarks (33, 2), scaled by ``size`` about its hips and moved ``dx`` px."""
    xy = squat_track(reps=1).xy[0].astype(np.float64)
    hips = xy[[23, 24]].mean(0)
    return (xy - hips) * size + hips + [dx, 0.0]


def test_someone_else_counts_when_apart_and_about_the_persons_size():
    """Legs 400 px: the person themself (found again), someone 600 px aside at full or 0.6 size, a figure at 0.3
    (a poster, a TV, a bystander far behind) and one 150 px off with the same size (overlapping: half a leg is
    200 px)."""
    subject = _person()
    people = np.stack([_person(), _person(600), _person(-600, 0.6), _person(600, 0.3), _person(150)])
    assert others_in(people, subject).tolist() == [False, True, True, False, False]


@pytest.mark.parametrize("dx, dy, side", [(-500, 0, "left"), (500, 0, "right"), (0, -700, "above"),
                                          (0, 700, "below")])
def test_the_other_persons_side_and_the_crop_that_judges_them(dx, dy, side):
    """The crop holds the other person's box whole and none of the person's: cut halfway between them."""
    me = Crop(1000, 800, 1200, 1300)
    other = Crop(me.x0 + dx, me.y0 + dy, me.x1 + dx, me.y1 + dy)
    found = Others(6, 8, other, me, 2400, 2400)
    assert found.side == side
    c = found.crop()
    assert c.x0 <= other.x0 and c.y0 <= other.y0 and c.x1 >= other.x1 and c.y1 >= other.y1
    assert c.x1 <= me.x0 or c.x0 >= me.x1 or c.y1 <= me.y0 or c.y0 >= me.y1  # the person judged is left out
    assert 0 <= c.x0 < c.x1 <= 2400 and 0 <= c.y0 < c.y1 <= 2400


def test_the_sampler_keeps_frames_with_the_person_spread_over_the_clip():
    """100 frames kept 12 apart (100 // 8): with the person throughout, 8 from frame 0; with nobody in the first
    30, those with the person from frame 30 on, still 12 apart (a stretch without the person bunches none up);
    large frames are shrunk (the model sees 640 px); ``keep=0`` keeps nothing (a crop was given)."""
    found, nobody = np.zeros((33, 3)), np.full((33, 3), np.nan)
    full, late, none = sampler(100), sampler(100), sampler(100, keep=0)
    for i in range(100):
        image = np.full((1080, 1920, 3), i, np.uint8)
        full.update(image, found)
        late.update(image, nobody if i < 30 else found)
        none.update(image, found)
    assert [int(im[0, 0, 0]) for im in full.images] == list(range(0, 96, 12))
    assert [int(im[0, 0, 0]) for im in late.images] == list(range(30, 100, 12))
    assert full.images[0].shape == (540, 960, 3) and full.scale == 0.5 and len(full.subject) == 8
    assert none.images == []


def test_a_crop_outside_the_picture_is_a_clear_error():
    from knee_cv.api import check_crop
    from knee_cv.video import VideoInfo

    info = VideoInfo("split.mp4", 30.0, 510, 812, 720)
    assert check_crop(Crop(0, 0, 416, 720), info) == Crop(0, 0, 416, 720)
    with pytest.raises(InputError, match="416:720:900:0 .* does not fit the 812x720 picture"):
        check_crop(Crop(900, 0, 1316, 720), info)
    with pytest.raises(InputError, match="at least 32 px"):
        check_crop(Crop(0, 0, 20, 720), info)
