"""The live window's layout for a person 2-3 m away: the video on one side, a panel of large text on the other.

The panel holds the rep counter, the last rep's verdict on a solid coloured
background (it fades once the person has stood up again), the cue, guidance, the
key to the knee colours and the keyboard keys. It sits beside the video, so nothing is ever drawn over the legs.
Every size is a fraction of the window's height: the window reads the same at
640x480 and at 1920x1080. Words and colours come from :mod:`knee_cv.present`.
"""
from __future__ import annotations

import dataclasses
from typing import NamedTuple

import cv2
import numpy as np

from .present import CUE_BGR, KNEE_KEY, LIVE_KEYS, Tone
from .render import wrap_to_width

FONT = cv2.FONT_HERSHEY_DUPLEX  # heavier strokes than SIMPLEX: reads better from across a room
BACKGROUND = (38, 38, 38)


@dataclasses.dataclass(frozen=True)
class Panel:
    """What the live panel shows on one frame."""

    count: int = 0
    target: int | None = None          # the set's size in --set mode
    verdict: str = ""                  # the last rep's verdict in words
    verdict_tone: Tone | None = None
    verdict_alpha: float = 1.0         # 1 shown, 0 faded out
    cue: str = ""
    banner: str = ""                   # calibration, guidance, countdown, "set done", the leg to stand on
    summary: tuple[str, ...] = ()      # the set's summary lines
    keys: bool = True                  # the knee-colour key and the keyboard keys


class LiveView:
    """Composes the window's picture from the annotated video frame and a :class:`Panel`."""

    def __init__(self, *, panel_share: float = 0.36) -> None:
        self.panel_share = panel_share

    def compose(self, frame: np.ndarray, panel: Panel, size: tuple[int, int]) -> np.ndarray:
        """The window picture, shape (size[1], size[0], 3) BGR.

        Parameters
        ----------
        frame : ndarray, shape (h, w, 3)
            The mirrored video frame with the skeleton already drawn.
        size : (width, height)
            The window's inner size in pixels.
        """
        w, h = max(size[0], 320), max(size[1], 240)
        canvas = np.empty((h, w, 3), np.uint8)
        canvas[:] = BACKGROUND
        fh, fw = frame.shape[:2]
        room = int(w * (1 - self.panel_share))
        scale = min(room / fw, h / fh)
        vw, vh = max(1, int(fw * scale)), max(1, int(fh * scale))
        y0 = (h - vh) // 2
        canvas[y0:y0 + vh, :vw] = cv2.resize(frame, (vw, vh), interpolation=cv2.INTER_AREA if scale < 1
                                             else cv2.INTER_LINEAR)
        self._panel(canvas, vw, panel)
        return canvas

    def _panel(self, img: np.ndarray, x0: int, p: Panel) -> None:
        h, w = img.shape[:2]
        u = h / 100.0                     # one unit = 1 % of the window height
        pad = int(3 * u)
        x, width = x0 + pad, w - x0 - 2 * pad
        y = self._count(img, x, int(3 * u), width, p, u)
        key = _key_layout(x, width, u) if p.keys else []
        bottom = h - int((14 + 4.5 * (key[-1].row + 1)) * u) if key else h - int(3 * u)  # above the key's rows
        if p.verdict and p.verdict_alpha > 0 and not p.summary:  # a set's summary replaces the last rep's verdict
            room = int((bottom - y) * (0.6 if p.banner or p.cue else 1))  # what is said now keeps 40 % of the room
            y = self._box(img, x, y, width, p.verdict, p.verdict_tone or Tone.NOT_JUDGED, p.verdict_alpha, u, room)
        said = [(text, colour, size) for text, colour, size in ((p.banner, (255, 255, 255), 5.5), (p.cue, CUE_BGR, 6.5))
                if text]
        for k, (text, colour, size) in enumerate(said):  # the banner and the cue share the room left
            room = (bottom - y) // (len(said) - k)
            y = self._lines(img, x, y, width, text, colour, self._fit(text, width, size * u, room)) + int(2 * u)
        if p.summary:
            px = self._fit(" / ".join(p.summary), width, 3.6 * u, bottom - y, lines=len(p.summary))
            for line in p.summary:
                y = self._lines(img, x, y, width, line, (235, 235, 235), px)
        if p.keys:
            self._knee_key(img, key, bottom + int(2 * u), u)
            self._lines(img, x, h - int(12 * u), width, LIVE_KEYS, (170, 170, 170), 2.6 * u)

    @staticmethod
    def _knee_key(img, key: list[KeyMark], y: int, u: float) -> None:
        """What the knee marks mean (:data:`knee_cv.present.KNEE_KEY`), each drawn as on the skeleton."""
        scale, thick, r = _key_font(u)
        for x, words, tone, hollow, row in key:
            cy = y + int(row * 4.5 * u + KEY_PX * u / 2)
            if tone is not None:
                cv2.circle(img, (x + r, cy), r, tone.value.bgr, max(1, r // 2) if hollow else -1, cv2.LINE_AA)
                x += 3 * r
            _put(img, words, (x, cy + int(KEY_PX * u / 2)), scale, (215, 215, 215), thick)

    def _count(self, img, x: int, y: int, width: int, p: Panel, u: float) -> int:
        label = "REP" if p.target is None else "REP OF THE SET"
        y = self._lines(img, x, y, width, label, (190, 190, 190), 3.5 * u, wrap=False)
        text = f"{p.count}" if p.target is None else f"{p.count}/{p.target}"
        thick = max(2, int(1.5 * u))
        scale = _scale(24 * u)
        tw = cv2.getTextSize(text, FONT, scale, thick)[0][0]
        if tw > width:  # "12/15" on a narrow panel
            scale *= width / tw
        th = cv2.getTextSize(text, FONT, scale, thick)[0][1]
        _put(img, text, (x, y + int(2 * u) + th), scale, (255, 255, 255), thick)
        return y + int(6 * u) + th

    def _box(self, img, x: int, y: int, width: int, text: str, tone: Tone, alpha: float, u: float, room: int
             ) -> int:
        """The verdict on a solid box, its text as large as fits ``room`` pixels (at most 5 % of the height)."""
        px = self._fit(text, width - int(4 * u), 5 * u, room - int(6 * u))
        scale, thick = _scale(px), max(1, int(px / 10))
        lines = wrap_to_width(text, width - int(4 * u), scale, thick, font=FONT)
        step = int(1.5 * px)
        box_h = min(step * len(lines) + int(3 * u), img.shape[0] - y)
        roi = img[y:y + box_h, x:x + width]
        fill = np.empty_like(roi)
        fill[:] = tone.value.bgr
        cv2.addWeighted(fill, alpha, roi, 1 - alpha, 0, dst=roi)
        ink = tuple(int(20 * alpha + b * (1 - alpha)) for b in BACKGROUND)
        for k, line in enumerate(lines):
            _put(img, line, (x + int(2 * u), y + int(1.5 * u) + step * (k + 1) - int(0.4 * px)), scale, ink, thick)
        return y + box_h + int(3 * u)

    @staticmethod
    def _fit(text: str, width: int, px: float, room: int, lines: int = 1) -> float:
        """The largest text height up to ``px`` at which ``text`` (split into ``lines`` lines at " / "),
        wrapped to ``width``, fits ``room`` pixels."""
        parts = text.split(" / ") if lines > 1 else [text]
        while px > 8:
            n = sum(len(wrap_to_width(t, width, _scale(px), max(1, int(px / 9)), font=FONT)) for t in parts)
            if n * px * 1.45 <= room:
                break
            px *= 0.85
        return px

    @staticmethod
    def _lines(img, x: int, y: int, width: int, text: str, colour, px: float, wrap: bool = True) -> int:
        """Draw ``text`` with capitals ``px`` pixels tall below ``y``, wrapped to ``width``; the y below it."""
        scale, thick = _scale(px), max(1, int(px / 9))
        lines = wrap_to_width(text, width, scale, thick, font=FONT) if wrap else [text]
        for line in lines:
            tw = cv2.getTextSize(line, FONT, scale, thick)[0][0]
            y += int(px * 1.45)
            _put(img, line, (x, y), scale * min(1.0, width / max(tw, 1)), colour, thick)
        return y


#: The knee key's capitals, in units of 1 % of the window height.
KEY_PX = 2.8


class KeyMark(NamedTuple):
    """One entry of the knee key as laid out: where it goes, its words, and its mark (no tone: the label)."""

    x: int
    words: str
    tone: Tone | None
    hollow: bool
    row: int


def _key_font(u: float) -> tuple[float, int, int]:
    """The knee key's font scale, stroke and mark radius at a window unit ``u``."""
    return _scale(KEY_PX * u), max(1, int(KEY_PX * u / 9)), max(3, int(1.1 * u))


def _key_layout(x0: int, width: int, u: float) -> list[KeyMark]:
    """Where each entry of the knee key goes ("Knee:" first), wrapping to a new row where the panel is too
    narrow."""
    scale, thick, r = _key_font(u)
    out, x, row = [], x0, 0
    for words, tone, hollow in (("Knee:", None, False), *KNEE_KEY):
        w = cv2.getTextSize(words, FONT, scale, thick)[0][0] + (3 * r if tone is not None else 0)
        if x > x0 and x + w > x0 + width:
            x, row = x0, row + 1
        out.append(KeyMark(x, words, tone, hollow, row))
        x += w + int(2.5 * u)
    return out


def _scale(px: float) -> float:
    """OpenCV's font scale for capitals ``px`` pixels tall (Hershey fonts are about 22 px at scale 1)."""
    return px / 22.0


def _put(img, text: str, org, scale: float, colour, thick: int) -> None:
    cv2.putText(img, text, org, FONT, scale, colour, thick, cv2.LINE_AA)
