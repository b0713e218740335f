"""Drawing on frames and writing annotated video. No analysis logic and no wording lives here.

The annotator draws an :class:`knee_cv.present.Overlay` (built by
:mod:`knee_cv.present`), so the annotated video, the PDF's worst-frame pictures
and live mode draw identically and say the same words.
"""
from __future__ import annotations

import logging
from pathlib import Path

import cv2
import numpy as np

from .files import AtomicFile, media_path
from .segments import check_frames, x264_params
from .present import CUE_BGR as AMBER
from .present import LEGEND, KneeMark, Overlay, Tone
from .track import ANKLE, HEEL, HIP, KNEE, TOE

log = logging.getLogger(__name__)

WHITE = (255, 255, 255)
SIDE_COLORS = ((255, 160, 40), (40, 120, 255))  # left: blue-ish, right: orange (BGR)
KNEE_COLORS = {KneeMark.NEUTRAL: Tone.NOT_JUDGED.value.bgr, KneeMark.OK: Tone.OK.value.bgr,
               KneeMark.FLAGGED: Tone.SEVERE.value.bgr}


def _pt(p: np.ndarray) -> tuple[int, int] | None:
    return (int(round(p[0])), int(round(p[1]))) if np.all(np.isfinite(p)) else None


def _line(img, a, b, color, th):
    pa, pb = _pt(a), _pt(b)
    if pa and pb:
        cv2.line(img, pa, pb, color, th, cv2.LINE_AA)


def _text(img, text, org, scale, color=WHITE, th=2, outline=True):
    room = img.shape[1] - org[0] - 4
    width = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, th + 3)[0][0]  # the outline is the widest
    if width > room > 0:  # shrink to fit narrow (portrait) frames
        scale *= room / width
    if outline:  # a dark outline keeps light text readable on light backgrounds
        cv2.putText(img, text, org, cv2.FONT_HERSHEY_SIMPLEX, scale, (0, 0, 0), th + 3, cv2.LINE_AA)
    cv2.putText(img, text, org, cv2.FONT_HERSHEY_SIMPLEX, scale, color, th, cv2.LINE_AA)


def _wrapped(img, text: str, x: int, y: int, scale: float, color, th: int, step: int) -> int:
    """Draw ``text`` from baseline ``y``, word-wrapped to the image's width (a long verdict on a portrait
    frame would otherwise shrink past reading); returns the baseline of the line after it."""
    for line in wrap_to_width(text, img.shape[1] - x - 4, scale, th + 3):
        _text(img, line, (x, y), scale, color, th)
        y += step
    return y


#: Units a wrapped line never starts with when a number ends the line before.
_UNITS = frozenset({"m", "cm", "s", "ms", "deg", "%", "px", "kg", "fps"})


def wrap_to_width(text: str, width: int, scale: float, thick: int, *, font: int = cv2.FONT_HERSHEY_SIMPLEX
                  ) -> list[str]:
    """Greedy word wrap so each line fits ``width`` pixels in an OpenCV Hershey ``font``; a number keeps its unit
    on its line ("2-3 m", "3 s")."""
    words: list[str] = []
    for word in text.split():
        if words and words[-1][-1:].isdigit() and word.rstrip(".,;:)") in _UNITS:
            words[-1] += " " + word
        else:
            words.append(word)
    lines: list[str] = []
    for word in words:
        trial = f"{lines[-1]} {word}" if lines else word
        if lines and cv2.getTextSize(trial, font, scale, thick)[0][0] <= width:
            lines[-1] = trial
        else:
            lines.append(word)
    return lines


class LowerBodyAnnotator:
    """Draws the lower-body skeleton, knee-over-toe lines, the pelvis line and the overlay's texts."""

    def annotate(self, image: np.ndarray, xy: np.ndarray, overlay: Overlay) -> np.ndarray:
        """Draw in place on ``image`` (BGR, (H, W, 3)) and return it.

        Parameters
        ----------
        xy : ndarray, shape (33, 2)
            Landmark pixels in this image's coordinates.
        """
        h, w = image.shape[:2]
        s = min(h, w) / 600.0  # portrait phone videos need the short side
        th = max(2, int(round(3 * s)))
        for side in (0, 1):
            self._leg(image, xy, side, overlay.knees[side], th)
        _line(image, xy[HIP[0]], xy[HIP[1]], AMBER if overlay.pelvis_flagged else WHITE, th)
        self._texts(image, overlay, s, th)
        return image

    @staticmethod
    def _leg(image: np.ndarray, xy: np.ndarray, side: int, mark: KneeMark, th: int) -> None:
        col = SIDE_COLORS[side]
        _line(image, xy[HIP[side]], xy[KNEE[side]], col, th)
        _line(image, xy[KNEE[side]], xy[ANKLE[side]], col, th)
        _line(image, xy[ANKLE[side]], xy[HEEL[side]], col, max(1, th - 1))
        _line(image, xy[HEEL[side]], xy[TOE[side]], col, max(1, th - 1))
        if mark is not KneeMark.HIDDEN:  # a hidden knee gets no knee-over-toe line: it would be a guess
            _line(image, xy[KNEE[side]], xy[TOE[side]], KNEE_COLORS[mark], th + 1)
        for j in (HIP[side], ANKLE[side], TOE[side]):
            if (p := _pt(xy[j])) is not None:
                cv2.circle(image, p, th + 2, col, -1, cv2.LINE_AA)
        if (p := _pt(xy[KNEE[side]])) is not None:
            if mark is KneeMark.HIDDEN:
                cv2.circle(image, p, th + 4, Tone.NOT_JUDGED.value.bgr, max(1, th // 2 + 1), cv2.LINE_AA)
            else:
                cv2.circle(image, p, th + 3, KNEE_COLORS[mark], -1, cv2.LINE_AA)

    @staticmethod
    def _texts(image: np.ndarray, overlay: Overlay, s: float, th: int) -> None:
        h, w = image.shape[:2]
        y = int(40 * s)
        if overlay.banner:
            y = _wrapped(image, overlay.banner, int(10 * s), y, 0.8 * s, AMBER, 2, int(36 * s))
        if overlay.rep:
            y = _wrapped(image, f"Rep {overlay.rep}: {overlay.verdict}", int(10 * s), y, 0.9 * s,
                         overlay.verdict_tone.value.bgr, 2, int(34 * s))
        for v in overlay.values:
            _text(image, v, (int(10 * s), y), 0.6 * s)
            y += int(26 * s)
        bottom = h - int(24 * s)
        if overlay.legend:  # two short lines on a dark band: readable on any background, even portrait
            step, scale = int(20 * s), 0.5 * s
            top = h - step * len(LEGEND) - int(8 * s)
            band = image[max(top - int(6 * s), 0):]
            np.right_shift(band, 2, out=band)  # a quarter of the brightness, in place (no float copy per frame)
            for k, line in enumerate(LEGEND):
                _text(image, line, (int(10 * s), top + step * k + int(12 * s)), scale, WHITE, 1, outline=False)
            bottom = top - int(14 * s)
        if overlay.cue and overlay.big_cue:
            scale, thick = 1.4 * s, max(3, th + 1)
            lines = wrap_to_width(overlay.cue, w - int(20 * s), scale, thick)
            step = int(52 * s)
            for k, line in enumerate(lines):
                _text(image, line, (int(10 * s), bottom - (len(lines) - 1 - k) * step), scale, AMBER, thick)
        elif overlay.cue:
            _text(image, overlay.cue, (int(10 * s), bottom), 0.9 * s, AMBER, max(2, th))


class VideoSink:
    """Writes BGR frames as browser-playable H.264 mp4 (ffmpeg from imageio-ffmpeg), atomically.

    Frames go to a temporary file that :meth:`close` renames into place; leaving
    ``with`` on an error leaves nothing behind. Without an H.264 encoder it falls
    back to OpenCV's MPEG-4 Part 2 writer and names the output ``*_mp4v.mp4`` so
    nobody mistakes it for H.264. ``path`` holds the final name.
    """

    def __init__(self, path: Path, fps: float, size: tuple[int, int], *, fast: bool = True) -> None:
        """``fast``: x264 ``ultrafast`` fed I420 (annotated video, recording); else ``veryfast`` fed BGR, for
        renders whose exact pixels matter (the demo's truth clips: their MediaPipe readings are pinned)."""
        self.path = Path(path)
        self.frames = 0
        self._file = AtomicFile(self.path)
        self._gen = self._cv = None
        w, h = size
        # even sizes go to ffmpeg as I420, converted here with SIMD: half the bytes through the pipe and no
        # colour conversion in ffmpeg, which halved the encoder's time per frame
        self._i420 = fast and w % 2 == 0 and h % 2 == 0
        try:
            import imageio_ffmpeg

            self._gen = imageio_ffmpeg.write_frames(media_path(self._file.tmp), (w, h), fps=fps, codec="libx264",
                                                    pix_fmt_in="yuv420p" if self._i420 else "bgr24",
                                                    pix_fmt_out="yuv420p", quality=None, bitrate=None,
                                                    macro_block_size=2,
                                                    output_params=[*x264_params(fast=fast),
                                                                   "-movflags", "+faststart"])
            self._gen.send(None)
        except (ImportError, OSError, RuntimeError) as exc:
            log.warning("H.264 writer unavailable (%s); writing MPEG-4 Part 2 instead", exc)
            self._gen = None
            self.path = self.path.with_name(self.path.stem + "_mp4v.mp4")
            self._cv = cv2.VideoWriter(media_path(self._file.tmp), cv2.VideoWriter_fourcc(*"mp4v"), fps, (w, h))

    def write(self, frame: np.ndarray) -> None:
        if self._gen is not None:
            try:
                self._gen.send(cv2.cvtColor(frame, cv2.COLOR_BGR2YUV_I420) if self._i420
                               else np.ascontiguousarray(frame))
            except OSError as exc:  # ffmpeg exited: its pipe broke (disk full, a file-size limit, killed)
                from .errors import OutputError
                self._gen = None
                raise OutputError(f"{self.path.name}: the video encoder stopped after {self.frames} frames "
                                  f"({str(exc).splitlines()[0]}; disk full or a file-size limit?)") from None
        else:
            self._cv.write(frame)
        self.frames += 1

    def close(self, *, keep: bool = True) -> None:
        """Finish the file and rename it into place (``keep=False``: discard it). Safe to call twice."""
        gen, cv, self._gen, self._cv = self._gen, self._cv, None, None
        try:
            if gen is not None:
                gen.close()
            if cv is not None:
                cv.release()
            if keep and (gen is not None or cv is not None):
                check_frames(self._file.tmp, self.frames, self.path.name)
                self._file.commit(self.path)
        finally:
            self._file.discard()

    def __enter__(self) -> "VideoSink":
        return self

    def __exit__(self, exc_type, *exc) -> None:
        self.close(keep=exc_type is None)
