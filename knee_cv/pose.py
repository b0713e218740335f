"""The only adapter to MediaPipe: frames in, plain landmark arrays out."""
from __future__ import annotations

import contextlib
import functools
import os
import sys
from pathlib import Path

import cv2
import numpy as np

from .errors import ModelError
from .models import ResolvedModel
from .track import N_LANDMARKS

#: Longest image side handed to MediaPipe. The model itself runs at 256 px, so
#: larger frames only cost conversion time; landmarks stay in full-frame pixels.
MAX_SIDE = 640


@contextlib.contextmanager
def _native_stderr_silenced():
    """Silence file descriptor 2 while MediaPipe sets up its graph.

    TFLite and glog print INFO/WARNING banners straight to fd 2 on the first
    frames ("Created TensorFlow Lite XNNPACK delegate", "Feedback manager ..."),
    which no environment variable reaches. Python-level errors still raise.
    """
    try:
        saved = os.dup(2)
    except OSError:  # no usable stderr (some embedded runners)
        yield
        return
    try:
        sys.stderr.flush()
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


@functools.lru_cache(maxsize=3)
def model_bytes(path: str, sha256: str) -> bytes:
    """The model file, read once per process (batch workers reuse it for every video)."""
    return Path(path).read_bytes()


class PoseEstimator:
    """MediaPipe Pose Landmarker in VIDEO (or LIVE-like synchronous) mode.

    Use as a context manager so the native graph is closed deterministically.

    Parameters
    ----------
    model : ResolvedModel
        A verified model bundle (see :func:`knee_cv.models.resolve`).
    min_confidence : float
        Detection, presence and tracking confidence thresholds.
    video : bool
        VIDEO mode (frames of one clip, tracked from one to the next); False: IMAGE mode, each image on its
        own (the person is searched for afresh: :mod:`knee_cv.zoom`).
    num_poses : int
        The most people found in one image (:meth:`process_all`); :meth:`process` returns the first.
    """

    def __init__(self, model: ResolvedModel, *, min_confidence: float = 0.5, video: bool = True,
                 num_poses: int = 1) -> None:
        self.model = model
        self._min_conf = min_confidence
        self._video = video
        self._num_poses = num_poses
        self._lm = None
        self._last_ms = -1
        self._quiet_frames = 0

    def __enter__(self) -> "PoseEstimator":
        # MediaPipe's native logs (glog) flood the terminal with INFO/WARNING lines
        os.environ.setdefault("GLOG_minloglevel", "2")
        from mediapipe.tasks.python import BaseOptions, vision

        opts = vision.PoseLandmarkerOptions(
            base_options=BaseOptions(model_asset_buffer=model_bytes(str(self.model.path), self.model.sha256)),
            running_mode=vision.RunningMode.VIDEO if self._video else vision.RunningMode.IMAGE,
            num_poses=self._num_poses,
            min_pose_detection_confidence=self._min_conf,
            min_pose_presence_confidence=self._min_conf,
            min_tracking_confidence=self._min_conf,
        )
        try:
            with _native_stderr_silenced():
                self._lm = vision.PoseLandmarker.create_from_options(opts)
        except (RuntimeError, ValueError) as exc:
            raise ModelError(f"{self.model.path}: MediaPipe cannot load this model ({exc})") from None
        self._quiet_frames = 2  # the first frames with a pose print the last banners
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _detect(self, image, ms: int):
        """MediaPipe's result for one image: tracked from the last frame (VIDEO mode) or found afresh (IMAGE)."""
        return self._lm.detect_for_video(image, ms) if self._video else self._lm.detect(image)

    def close(self) -> None:
        if self._lm is not None:
            with _native_stderr_silenced():  # LiteRT prints "INFO: ... DestroyAccelerator" lines on close
                self._lm.close()
            self._lm = None

    def process(self, image_bgr: np.ndarray, t: float) -> tuple[np.ndarray, np.ndarray]:
        """Estimate one frame.

        Parameters
        ----------
        image_bgr : ndarray, shape (H, W, 3), uint8
        t : float
            Timestamp in seconds; must increase between calls (unused in IMAGE mode).

        Returns
        -------
        xyz : ndarray, shape (33, 3), float32
            Pixels of the full frame (``z`` scaled like ``x``); NaN if no person.
        visibility : ndarray, shape (33,), float32
            0 where no person was found.
        """
        xyz, vis = self.process_all(image_bgr, t)
        if not len(xyz):
            return np.full((N_LANDMARKS, 3), np.nan, np.float32), np.zeros(N_LANDMARKS, np.float32)
        return xyz[0], vis[0]

    def process_all(self, image_bgr: np.ndarray, t: float) -> tuple[np.ndarray, np.ndarray]:
        """Every person found in one frame (up to ``num_poses``): ``xyz`` (n, 33, 3) pixels of the full frame and
        ``visibility`` (n, 33); n = 0 when nobody was found. See :meth:`process`."""
        import mediapipe as mp

        if self._lm is None:
            raise RuntimeError("PoseEstimator used outside its 'with' block")
        h, w = image_bgr.shape[:2]
        scale = MAX_SIDE / max(h, w)
        small = (cv2.resize(image_bgr, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale < 1
                 else image_bgr)
        rgb = cv2.cvtColor(small, cv2.COLOR_BGR2RGB)
        ms = max(int(round(t * 1000)), self._last_ms + 1)  # MediaPipe needs strictly increasing ms
        self._last_ms = ms
        image = mp.Image(image_format=mp.ImageFormat.SRGB, data=rgb)
        if self._quiet_frames > 0:
            with _native_stderr_silenced():
                result = self._detect(image, ms)
            self._quiet_frames -= bool(result.pose_landmarks)
        else:
            result = self._detect(image, ms)
        arr = np.array([[(p.x, p.y, p.z, p.visibility or 0.0) for p in lms] for lms in result.pose_landmarks],
                       np.float32).reshape(-1, N_LANDMARKS, 4)
        return arr[..., :3] * np.array([w, h, w], np.float32), arr[..., 3]
