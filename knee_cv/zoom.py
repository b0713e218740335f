"""A person small in the picture: found in parts of it, measured on a crop at the video's resolution.

Measured on seven real front-view clips with the person shrunk in a picture of the same size (README, "A
person small in the picture"). MediaPipe finds a person with a detector that sees the whole picture at 224 x
224 pixels: on black around, it found nobody once the standing leg (hip to ankle) was under about 7-8 % of the
picture's long side. And knee-cv gives its landmark model the picture shrunk to ``pose.MAX_SIDE`` (640 px), so
a small person found is measured coarsely: at 16 px of leg there, clean knees read valgus. So where the pose
pass found nobody in most frames, a few of those frames are searched in square windows of half, then a third,
of the long side (:func:`find_person`); where it found a person whose legs are short in the picture it was
given, the crop is taken round where they were seen (:func:`zoom_crop`); either way the clip is run again on
the crop (:class:`Crop`), and the report says so (``person_small``). A person still too small to measure is
not judged (``[faults] min_leg_px``, :func:`knee_cv.faults.judge_reps`).
"""
from __future__ import annotations

import dataclasses

import cv2
import numpy as np

from .camera import leg_length
from .models import ResolvedModel
from .track import PoseTrack

#: The pose pass is run again on a crop when it found a person in fewer than this share of the frames.
ZOOM_BELOW = 0.5
#: Frames kept for the search (spread over the clip, among those where nobody was found).
SEARCH_FRAMES = 8
#: Window sides tried, as fractions of the picture's long side: legs of about 4 %, then 2.5 %, of it are in reach.
WINDOWS = (1 / 2, 1 / 3)
#: A person found in most frames, whose standing legs are shorter than this in the picture the pose model is given
#: (px: after shrinking it to ``pose.MAX_SIDE``), is measured again on a crop at the source's resolution, when
#: that is at least 1.25 times as large. Measured on real clips with the person shrunk in a picture of the same
#: size: found with legs of 59-67 px there, the measures stayed within 4.3 deg of the clip as filmed; at 44-53 px
#: up to 7.0 deg, at 22-33 px up to 10.4, and at 16 px (33 px in a 1280 px picture) five clean knee-reps read valgus.
ZOOM_LEG_PX = 60.0
#: A landmark counts for the person's box from this visibility on.
MIN_VISIBILITY = 0.5
#: Kept frames are shrunk to this long side (px): eight 4K frames would hold 200 MB, and the pose model sees a
#: window of half of it at 640 px anyway.
KEEP_SIDE = 1920


@dataclasses.dataclass(frozen=True)
class Crop:
    """A rectangle of the picture, pixels: columns ``x0:x1``, rows ``y0:y1``."""

    x0: int
    y0: int
    x1: int
    y1: int

    @property
    def size(self) -> tuple[int, int]:
        """(width, height), pixels."""
        return self.x1 - self.x0, self.y1 - self.y0

    def scaled(self, factor: float, width: int, height: int) -> "Crop":
        """The same rectangle in a picture ``factor`` times as large, of ``width`` x ``height`` pixels."""
        return Crop(max(int(self.x0 * factor), 0), max(int(self.y0 * factor), 0),
                    min(int(round(self.x1 * factor)), width), min(int(round(self.y1 * factor)), height))

    def apply(self, image: np.ndarray) -> np.ndarray:
        """The crop of ``image`` (H, W, 3), contiguous (MediaPipe needs it so)."""
        return np.ascontiguousarray(image[self.y0:self.y1, self.x0:self.x1])

    def to_frame(self, xyz: np.ndarray) -> np.ndarray:
        """Landmarks (..., 3) in the crop's pixels moved to the whole picture's (``z`` is unscaled: same pixels)."""
        return xyz + np.array([self.x0, self.y0, 0], xyz.dtype)

    @classmethod
    def around(cls, boxes: np.ndarray, width: int, height: int) -> "Crop":
        """A square crop (as far as the picture allows) holding the person's ``boxes`` (n, 4: x0, y0, x1, y1).

        Boxes far from the median one (another person) are left out. The side is twice the person's
        height or 1.5 times their width: they fill about half of it, standing or squatting, arms out.
        """
        cx, cy = (boxes[:, 0] + boxes[:, 2]) / 2, (boxes[:, 1] + boxes[:, 3]) / 2
        tall = float(np.median(boxes[:, 3] - boxes[:, 1]))
        mx, my = float(np.median(cx)), float(np.median(cy))
        near = np.hypot(cx - mx, cy - my) <= tall
        b = boxes[near]
        x0, y0, x1, y1 = b[:, 0].min(), b[:, 1].min(), b[:, 2].max(), b[:, 3].max()
        side = max(2.0 * (y1 - y0), 1.5 * (x1 - x0), 32.0)  # never empty, whatever the boxes
        w, h = min(int(round(side)), width), min(int(round(side)), height)
        left = int(np.clip(round((x0 + x1) / 2 - w / 2), 0, width - w))
        top = int(np.clip(round((y0 + y1) / 2 - h / 2), 0, height - h))
        return cls(left, top, left + w, top + h)


@dataclasses.dataclass
class Sampler:
    """Keeps up to ``keep`` frames in which nobody was found (``person`` False: for the search) or the person was
    (True: for :mod:`knee_cv.others`, with their landmarks in ``subject``), at least ``frames // keep`` frames
    apart, spread over a clip of about ``frames`` frames, shrunk by ``scale`` (1 up to ``side`` px)."""

    frames: int
    keep: int = SEARCH_FRAMES
    person: bool = False
    side: int = KEEP_SIDE
    images: list = dataclasses.field(default_factory=list)
    subject: list = dataclasses.field(default_factory=list)
    scale: float = 1.0
    _seen: int = 0
    _last: int = 0

    def update(self, image: np.ndarray, xyz: np.ndarray) -> None:
        """Feed one frame (BGR) and its landmarks ((33, 3), NaN when nobody was found)."""
        self._seen += 1
        if len(self.images) >= self.keep or np.isnan(xyz[0, 0]) == self.person:
            return
        if self.images and self._seen - self._last < max(1, self.frames // self.keep):
            return  # kept frames stay apart: a stretch without what is looked for bunches none up
        self._last = self._seen
        self.scale = min(1.0, self.side / max(image.shape[:2]))
        self.images.append(image.copy() if self.scale == 1.0 else  # a copy: the decoder may reuse its buffer
                           cv2.resize(image, None, fx=self.scale, fy=self.scale, interpolation=cv2.INTER_AREA))
        if self.person:  # the search's frames have nobody in them
            self.subject.append(xyz[:, :2].astype(np.float64))


def windows(width: int, height: int, share: float) -> list[Crop]:
    """Square windows of ``share`` of the long side, overlapping by half, covering the picture."""
    side = int(round(share * max(width, height)))
    w, h = min(side, width), min(side, height)

    def starts(full: int, part: int) -> np.ndarray:
        n = int(np.ceil((full - part) / (side / 2))) + 1 if full > part else 1
        return np.linspace(0, full - part, n).round().astype(int)

    return [Crop(int(x), int(y), int(x) + w, int(y) + h) for y in starts(height, h) for x in starts(width, w)]


def find_person(images: list[np.ndarray], model: ResolvedModel) -> Crop | None:
    """Where the person is in ``images`` (BGR, all the same size), searched window by window; None if nowhere.

    The windows of the first size in :data:`WINDOWS` that finds anyone decide; the crop holds every box found
    there (:meth:`Crop.around`).
    """
    from .pose import PoseEstimator

    if not images:
        return None
    height, width = images[0].shape[:2]
    with PoseEstimator(model, video=False) as est:
        for share in WINDOWS:
            if len(boxes := _search(est, images, windows(width, height, share))):
                return Crop.around(boxes, width, height)
    return None


def _search(est, images: list[np.ndarray], wins: list[Crop]) -> np.ndarray:
    """The boxes (m, 4) of the people the IMAGE-mode estimator ``est`` finds in each window of each image."""
    xy, vis = [], []
    for image in images:
        for win in wins:
            xyz, v = est.process(win.apply(image), 0.0)
            xy.append(win.to_frame(xyz)[:, :2])
            vis.append(v)
    return landmark_boxes(np.stack(xy), np.stack(vis))


def landmark_boxes(xy: np.ndarray, visibility: np.ndarray, min_seen: int = 10) -> np.ndarray:
    """Boxes (m, 4: x0, y0, x1, y1) around the visible landmarks of each of ``n`` poses, ``xy`` (n, 33, 2) and
    ``visibility`` (n, 33), leaving out poses with fewer than ``min_seen`` visible (nobody found, or a guess)."""
    seen = (visibility >= MIN_VISIBILITY) & np.isfinite(xy).all(-1)
    keep = seen.sum(1) >= min_seen
    pts = np.where(seen[keep, :, None], xy[keep], np.nan)
    return np.concatenate([np.nanmin(pts, 1), np.nanmax(pts, 1)], axis=1)


def zoom_crop(track: PoseTrack, sampler: Sampler, model: ResolvedModel, *, max_side: int) -> tuple[Crop, bool] | None:
    """Where to measure the clip again, if anywhere, and whether the person had to be searched for.

    Searched (:func:`find_person` on the ``sampler``'s frames) when the pose pass found nobody in most frames;
    else, when the person's legs were under :data:`ZOOM_LEG_PX` in the picture shrunk to ``max_side`` and a crop
    would give them 1.25 times the pixels, a crop around where they were seen. None otherwise.
    """
    if not len(track):
        return None
    width, height = track.width, track.height
    if track.detected.mean() < ZOOM_BELOW:
        crop = find_person(sampler.images, model)
        return None if crop is None else (crop.scaled(1 / sampler.scale, width, height), True)
    shrink = min(1.0, max_side / max(width, height))
    if not leg_length(track) * shrink < ZOOM_LEG_PX or shrink > 0.8:
        return None
    frames = np.flatnonzero(track.detected)
    frames = frames[np.linspace(0, len(frames) - 1, min(30, len(frames))).astype(int)]  # 30 spread over the clip
    boxes = landmark_boxes(track.xy[frames], track.visibility[frames])
    return (Crop.around(boxes, width, height), False) if len(boxes) else None
