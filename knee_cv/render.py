"""Drawing on frames and writing annotated video. No analysis logic lives here.

The annotator takes plain arrays and a small :class:`Overlay` state, so the
annotated video, the PDF's worst-frame pictures and live mode draw identically.
"""
from __future__ import annotations

import dataclasses
import logging
from pathlib import Path

import cv2
import numpy as np

from .track import ANKLE, HEEL, HIP, KNEE, SIDES, TOE

log = logging.getLogger(__name__)

GREEN = (60, 200, 60)
RED = (40, 40, 230)
AMBER = (0, 190, 255)
WHITE = (255, 255, 255)
GREY = (160, 160, 160)
SIDE_COLORS = ((255, 160, 40), (40, 120, 255))  # left: blue-ish, right: orange (BGR)


@dataclasses.dataclass
class Overlay:
    """What to show on one frame.

    ``knee_bad`` is per side (subject's left, right); None means not trusted (grey).
    """

    knee_bad: tuple[bool | None, bool | None] = (False, False)
    pelvis_tilt_deg: float = float("nan")
    rep: int = 0
    verdict: str = ""
    cue: str = ""
    values: tuple[str, ...] = ()
    banner: str = ""
    big_cue: bool = False  # live mode: the cue in large type, wrapped over lines


def _pt(p: np.ndarray) -> tuple[int, int] | None:
    return (int(round(p[0])), int(round(p[1]))) if np.all(np.isfinite(p)) else None


def _line(img, a, b, color, th):
    pa, pb = _pt(a), _pt(b)
    if pa and pb:
        cv2.line(img, pa, pb, color, th, cv2.LINE_AA)


def _text(img, text, org, scale, color=WHITE, th=2):
    room = img.shape[1] - org[0] - 4
    width = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, th)[0][0]
    if width > room > 0:  # shrink to fit narrow (portrait) frames
        scale *= room / width
    cv2.putText(img, text, org, cv2.FONT_HERSHEY_SIMPLEX, scale, (0, 0, 0), th + 3, cv2.LINE_AA)
    cv2.putText(img, text, org, cv2.FONT_HERSHEY_SIMPLEX, scale, color, th, cv2.LINE_AA)


def _wrap_to_width(text: str, width: int, scale: float, thick: int) -> list[str]:
    """Greedy word wrap so each line fits ``width`` pixels in OpenCV's Hershey font."""
    lines: list[str] = []
    for word in text.split():
        trial = f"{lines[-1]} {word}" if lines else word
        if lines and cv2.getTextSize(trial, cv2.FONT_HERSHEY_SIMPLEX, scale, thick)[0][0] <= width:
            lines[-1] = trial
        else:
            lines.append(word)
    return lines


class LowerBodyAnnotator:
    """Draws the lower-body skeleton, knee-over-toe lines and the pelvis line."""

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
            col = SIDE_COLORS[side]
            _line(image, xy[HIP[side]], xy[KNEE[side]], col, th)
            _line(image, xy[KNEE[side]], xy[ANKLE[side]], col, th)
            _line(image, xy[ANKLE[side]], xy[HEEL[side]], col, max(1, th - 1))
            _line(image, xy[HEEL[side]], xy[TOE[side]], col, max(1, th - 1))
            bad = overlay.knee_bad[side]
            kc = GREY if bad is None else (RED if bad else GREEN)
            _line(image, xy[KNEE[side]], xy[TOE[side]], kc, th + 1)  # knee-over-toe line
            for j in (HIP[side], KNEE[side], ANKLE[side], TOE[side]):
                if (p := _pt(xy[j])) is not None:
                    cv2.circle(image, p, th + 2, kc if j == KNEE[side] else col, -1, cv2.LINE_AA)
        tilt = overlay.pelvis_tilt_deg
        pc = AMBER if np.isfinite(tilt) and abs(tilt) >= 6 else WHITE
        _line(image, xy[HIP[0]], xy[HIP[1]], pc, th)
        y = int(40 * s)
        if overlay.banner:
            _text(image, overlay.banner, (int(10 * s), y), 0.8 * s, AMBER)
            y += int(36 * s)
        if overlay.rep:
            _text(image, f"Rep {overlay.rep}  {overlay.verdict}", (int(10 * s), y), 0.9 * s,
                  WHITE if overlay.verdict == "good" else RED)
            y += int(34 * s)
        for v in overlay.values:
            _text(image, v, (int(10 * s), y), 0.6 * s)
            y += int(26 * s)
        if overlay.cue and overlay.big_cue:
            scale, thick = 1.4 * s, max(3, th + 1)
            lines = _wrap_to_width(overlay.cue, w - int(20 * s), scale, thick)
            step = int(52 * s)
            for k, line in enumerate(lines):
                _text(image, line, (int(10 * s), h - int(24 * s) - (len(lines) - 1 - k) * step), scale, AMBER, thick)
        elif overlay.cue:
            _text(image, overlay.cue, (int(10 * s), h - int(24 * s)), 0.9 * s, AMBER, max(2, th))
        return image


class VideoSink:
    """Writes BGR frames as browser-playable H.264 mp4 (ffmpeg from imageio-ffmpeg).

    Falls back to OpenCV's MPEG-4 Part 2 writer, renaming the output
    ``*_mp4v.mp4`` so nobody mistakes it for H.264. ``path`` holds the final name.
    """

    def __init__(self, path: Path, fps: float, size: tuple[int, int]) -> None:
        self.path = Path(path)
        self._gen = None
        self._cv = None
        w, h = size
        try:
            import imageio_ffmpeg

            self._gen = imageio_ffmpeg.write_frames(str(self.path), (w, h), fps=fps, codec="libx264",
                                                    pix_fmt_in="bgr24", pix_fmt_out="yuv420p", quality=None,
                                                    bitrate=None, macro_block_size=2,
                                                    output_params=["-crf", "23", "-preset", "veryfast",
                                                                   "-movflags", "+faststart"])
            self._gen.send(None)
        except (ImportError, OSError, RuntimeError) as exc:
            log.warning("H.264 writer unavailable (%s); writing MPEG-4 Part 2 instead", exc)
            self._gen = None
            self.path = self.path.with_name(self.path.stem + "_mp4v.mp4")
            self._cv = cv2.VideoWriter(str(self.path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (w, h))

    def write(self, frame: np.ndarray) -> None:
        if self._gen is not None:
            self._gen.send(np.ascontiguousarray(frame))
        else:
            self._cv.write(frame)

    def close(self) -> None:
        if self._gen is not None:
            self._gen.close()
            self._gen = None
        if self._cv is not None:
            self._cv.release()
            self._cv = None

    def __enter__(self) -> "VideoSink":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def frame_overlays(analysis) -> list[Overlay]:
    """Per-frame overlay state for a finished analysis (vectorized mask building)."""
    from .exercises import short_cue
    from .faults import main_fault

    n = len(analysis.track)
    m = analysis.metrics
    bad = np.zeros((n, 2), bool)
    rep_of = np.zeros(n, int)
    verdict = [""] * (len(analysis.reps) + 1)
    cue = [""] * (len(analysis.reps) + 1)
    fs = analysis.settings.faults
    onset = fs.valgus(analysis.exercise).onset
    for r in analysis.reps:
        sl = slice(r.rep.start, r.rep.end + 1)
        rep_of[sl] = r.rep.index
        for si, s in enumerate(SIDES):
            if any(f.code == "knee_valgus" and f.side == s for f in r.faults):
                frames = r.sides[si].judged_frames  # red only on judged frames past the flag's onset
                bad[frames, si] = analysis.measure[frames, si] >= onset
        parts = [f"{f.side[0].upper()} {f.code.replace('knee_', '').replace('_', ' ')} {f.severity}"
                 for f in r.faults if f.code != "asymmetry"]
        verdict[r.rep.index] = ", ".join(parts) if parts else "good"
        worst = main_fault(r.faults)
        cue[r.rep.index] = short_cue(worst.code, worst.side) if worst else ""
    trusted = m.knee_trusted if m is not None else np.zeros((n, 2), bool)
    tilt = m.pelvic_drop_deg if m is not None else np.full(n, np.nan)
    out = []
    for i in range(n):  # builds small records; all numbers were computed above
        kb = tuple(bool(bad[i, s]) if trusted[i, s] else None for s in (0, 1))
        out.append(Overlay(kb, float(tilt[i]), int(rep_of[i]), verdict[rep_of[i]] if rep_of[i] else "",
                           cue[rep_of[i]] if rep_of[i] else ""))
    return out


def write_annotated_video(video_path: str | Path, analysis, out_path: Path, *,
                          keep: dict[int, np.ndarray | None] | None = None) -> str:
    """Draw the analysis onto every frame of the source video; returns the file name written.

    ``keep`` maps frame indices to None; their undrawn images are stored into it
    on the way (the PDF's worst frames, so the video is decoded once).
    """
    from .video import probe, read_frames

    info = probe(video_path)
    overlays = frame_overlays(analysis)
    xy = analysis.track.xy
    ann = LowerBodyAnnotator()
    tmp = out_path.with_name("." + out_path.name)
    with VideoSink(tmp, info.fps, (info.width, info.height)) as sink:
        for fr in read_frames(video_path, info=info):
            if fr.index >= len(overlays):
                break
            if keep is not None and fr.index in keep:
                keep[fr.index] = fr.image.copy()
            sink.write(ann.annotate(fr.image, xy[fr.index], overlays[fr.index]))
        final = sink.path
    target = out_path if final == tmp else out_path.with_name(out_path.stem + "_mp4v.mp4")
    final.replace(target)
    return target.name
