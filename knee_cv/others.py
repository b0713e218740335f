"""Someone else in the picture at the same time as the person judged.

A split-screen comparison (a "wrong" squat beside a "right" one), a training partner, a class: the pose model
follows one person (``num_poses=1``) and never reports the other, so before, a comparison of a caving squat beside
a clean one read "No faults found" with no word about the caving one. During the pose pass, a
:class:`~knee_cv.zoom.Sampler` (:func:`sampler`) keeps a few frames in which the person was found;
:func:`find_others` then asks MediaPipe, in IMAGE mode, for everyone in them. Someone else at least half the
person's size (not a poster, a TV or a bystander far behind) in at least half of those frames is said
(``other_person``), with where they stand and the ``--crop`` that judges them instead.
"""
from __future__ import annotations

import dataclasses

import numpy as np

from .models import ResolvedModel
from .track import LM
from .zoom import Crop, Sampler, landmark_boxes

#: Frames looked at, spread over the clip: about 0.4 s of MediaPipe in IMAGE mode (benchmarks/bench_others.py).
LOOK_FRAMES = 8
#: Someone else counts when their legs are at least this share of the person's in the same frame.
MIN_SIZE = 0.5
#: ... and when they are in at least this share of the frames looked at.
MIN_SHARE = 0.5
#: The most people asked for in one frame.
MAX_PEOPLE = 3
#: The kept frames' longest side (pixels): the pose model sees 640 anyway.
KEEP_SIDE = 960

_HIP, _ANKLE = [LM.LEFT_HIP, LM.RIGHT_HIP], [LM.LEFT_ANKLE, LM.RIGHT_ANKLE]


def sampler(frames: int, keep: int = LOOK_FRAMES) -> Sampler:
    """The frames to look in: up to ``keep`` with the person, spread over a clip of about ``frames`` frames."""
    return Sampler(frames, keep, person=True, side=KEEP_SIDE)


@dataclasses.dataclass(frozen=True)
class Others:
    """Someone else seen beside the person: in ``seen`` of ``looked`` frames, standing in ``box`` (their median
    box), the person in ``subject`` (whole-picture pixels, both :class:`~knee_cv.zoom.Crop`)."""

    seen: int
    looked: int
    box: Crop
    subject: Crop
    width: int
    height: int

    @property
    def side(self) -> str:
        """Where the other person stands, seen from the camera: "left", "right", "above" or "below"."""
        dx = (self.box.x0 + self.box.x1 - self.subject.x0 - self.subject.x1) / 2
        dy = (self.box.y0 + self.box.y1 - self.subject.y0 - self.subject.y1) / 2
        if abs(dx) >= abs(dy):
            return "right" if dx > 0 else "left"
        return "below" if dy > 0 else "above"

    def crop(self) -> Crop:
        """The part of the picture holding the other person and not the one judged: cut halfway between them."""
        b, s, w, h = self.box, self.subject, self.width, self.height
        cut = {"left": Crop(0, 0, (b.x1 + s.x0) // 2, h), "right": Crop((s.x1 + b.x0) // 2, 0, w, h),
               "above": Crop(0, 0, w, (b.y1 + s.y0) // 2), "below": Crop(0, (s.y1 + b.y0) // 2, w, h)}[self.side]
        return Crop(max(cut.x0, 0), max(cut.y0, 0), min(cut.x1, w), min(cut.y1, h))


def _legs(xy: np.ndarray) -> np.ndarray:
    """Mean hip-to-ankle length of each pose in ``xy`` (..., 33, 2), pixels."""
    return np.linalg.norm(xy[..., _HIP, :] - xy[..., _ANKLE, :], axis=-1).mean(-1)


def _box(xy: np.ndarray) -> Crop:
    """The box around the landmarks of one pose (33, 2), pixels (:func:`knee_cv.zoom.landmark_boxes`)."""
    x0, y0, x1, y1 = landmark_boxes(xy[None], np.ones((1, len(xy))), min_seen=1)[0]
    return Crop(int(np.floor(x0)), int(np.floor(y0)), int(np.ceil(x1)), int(np.ceil(y1)))


def others_in(people: np.ndarray, subject: np.ndarray) -> np.ndarray:
    """Which of the ``people`` found in one frame ((n, 33, 2) pixels) are someone else than the person judged,
    whose landmarks there are ``subject`` (33, 2): their hips further than half a leg length from the person's
    and their legs at least :data:`MIN_SIZE` of the person's. Shape (n,), bool."""
    legs = _legs(subject)
    hips = people[:, _HIP].mean(1)
    apart = np.linalg.norm(hips - subject[_HIP].mean(0), axis=-1) > 0.5 * legs
    return apart & (_legs(people) >= MIN_SIZE * legs)


def someone_beside(est, image: np.ndarray, subject: np.ndarray, scale: float = 1.0) -> tuple[Crop, Crop] | None:
    """The boxes of the largest other person (:func:`others_in`) and of the person judged in one frame, or None.

    ``est``: a :class:`~knee_cv.pose.PoseEstimator` in IMAGE mode asking for up to :data:`MAX_PEOPLE`;
    ``image`` (BGR) shrunk by ``scale`` from the picture; ``subject`` (33, 2): the person's landmarks there,
    whole-picture pixels.
    """
    xyz, _ = est.process_all(image, 0.0)
    people = xyz[..., :2].astype(np.float64) / scale
    other = others_in(people, subject) if len(people) else np.zeros(0, bool)
    if not other.any():
        return None
    return _box(people[other][np.argmax(_legs(people[other]))]), _box(subject)


def find_others(sampler: Sampler, model: ResolvedModel, width: int, height: int) -> Others | None:
    """Someone else beside the person in at least :data:`MIN_SHARE` of the ``sampler``'s frames, or None.

    ``width``, ``height``: the picture's size (the frames were kept shrunk by ``sampler.scale``).
    """
    from .pose import PoseEstimator

    if not sampler.images:
        return None
    with PoseEstimator(model, video=False, num_poses=MAX_PEOPLE) as est:
        found = [b for image, subject in zip(sampler.images, sampler.subject)
                 if (b := someone_beside(est, image, subject, sampler.scale)) is not None]
    if len(found) < MIN_SHARE * len(sampler.images):
        return None
    med = lambda bs: Crop(*np.median([dataclasses.astuple(b) for b in bs], axis=0).astype(int))  # noqa: E731
    return Others(len(found), len(sampler.images), med([b for b, _ in found]), med([s for _, s in found]),
                  width, height)
