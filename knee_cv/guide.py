"""How to film: the guide (text and a diagram) and the pre-check that says early what the slow pass would find.

The words are :data:`knee_cv.present.FILMING_GUIDE`; this module prints them,
draws the set-up, and watches the first seconds of a pose pass for the common
filming mistakes (feet cut off, side view, too dark, someone else in view), and
measures how bright the person is over the whole pass (:class:`Exposure`).
"""
from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from .codes import Notice, WarningCode
from .present import FILMING_GUIDE, filming_line, rotation_hint
from .track import LM
from .view import SIDEWAYS_DEG, axis_deg


def guide_text() -> str:
    """The filming guide as a terminal prints it."""
    lines = ["How to film a squat or lunge for knee-cv:"]
    lines += [f"  {k}. {rule}" for k, (_, rule) in enumerate(FILMING_GUIDE, 1)]
    lines += ["", "Then: knee-cv analyze VIDEO   (or knee-cv live, in front of a webcam)"]
    return "\n".join(lines)


def write_diagram(path: Path) -> Path:
    """A side-on sketch of the set-up (camera height and distance, the whole body in the picture) as PNG."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    from .files import atomic_path

    fig, ax = plt.subplots(figsize=(7, 3.2))
    ax.plot([-0.3, 3.4], [0, 0], color="#555", lw=2)                      # floor
    ax.plot([3.0, 3.0, 3.0], [0, 0.95, 1.5], color="k", lw=3)             # the person, side-on sketch
    ax.add_patch(plt.Circle((3.0, 1.68), 0.12, color="k"))
    ax.plot([2.85, 3.0, 3.15], [0.0, 0.5, 0.0], color="k", lw=3)
    ax.plot([0.0, 0.0], [0, 0.7], color="#1f77b4", lw=3)                  # tripod
    ax.add_patch(plt.Rectangle((-0.12, 0.65), 0.24, 0.14, color="#1f77b4"))
    for top in (1.95, -0.05):                                             # field of view: head to feet
        ax.plot([0.12, 3.3], [0.72, top], color="#1f77b4", ls="--", lw=1)
    ax.annotate("", xy=(3.0, -0.25), xytext=(0.0, -0.25), arrowprops=dict(arrowstyle="<->"))
    ax.text(1.5, -0.42, "2-3 m", ha="center", fontsize=10)
    ax.text(-0.25, 0.72, "knee-to-hip\nheight\n(50-90 cm)", ha="right", va="center", fontsize=9)
    ax.text(3.25, 1.0, "facing the\ncamera,\nfeet in view", va="center", fontsize=9)
    ax.set_xlim(-1.3, 4.2)
    ax.set_ylim(-0.55, 2.1)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title("Film from the front, the whole body in the picture", fontsize=11)
    with atomic_path(Path(path)) as tmp:
        fig.savefig(tmp, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return Path(path)


@dataclasses.dataclass
class PreCheck:
    """Watches the first ``seconds`` of a pose pass and names filming problems once, early.

    Call :meth:`update` with each frame and its landmarks; :meth:`problems` returns the
    guide lines that apply (empty until enough frames were seen). Thresholds are
    deliberately loose: the pre-check warns early, the analysis decides.
    """

    fps: float
    seconds: float = 3.0
    #: the person's brightness, fed by the caller (:func:`knee_cv.api.extract_landmarks`): once the person is
    #: seen, "too dark" is decided as the report's ``too_dark`` warning is; the frame's mean only decides when
    #: nobody is
    exposure: Exposure | None = None
    _frames: int = 0
    _feet_out: int = 0
    _side: int = 0
    _dark: int = 0
    _found: int = 0
    _jumps: int = 0
    _lying: float = 0.0   # frames with the body across the picture, signed by the head's side
    _last_hip: tuple[float, float] | None = None
    done: bool = False

    def update(self, image: np.ndarray, xyz: np.ndarray, vis: np.ndarray) -> list[str]:
        """Feed one frame (BGR) with its landmarks (33, 3) px and visibility (33,); returns the problems
        once, when the watched stretch ends (an empty list otherwise)."""
        if self.done:
            return []
        self._frames += 1
        if self._frames % 3 == 0:  # brightness of every third frame, on a 16x subsample: cheap
            self._dark += float(image[::16, ::16].mean()) < 45
        if np.isfinite(xyz[LM.LEFT_HIP, 0]):
            self._found += 1
            h = image.shape[0]
            feet = xyz[[LM.LEFT_ANKLE, LM.RIGHT_ANKLE, LM.LEFT_FOOT_INDEX, LM.RIGHT_FOOT_INDEX]]
            fv = vis[[LM.LEFT_ANKLE, LM.RIGHT_ANKLE, LM.LEFT_FOOT_INDEX, LM.RIGHT_FOOT_INDEX]]
            self._feet_out += bool((feet[:, 1] > 0.99 * h).any() or (fv < 0.3).any())
            shoulder = abs(xyz[LM.LEFT_SHOULDER, 0] - xyz[LM.RIGHT_SHOULDER, 0])
            torso = abs((xyz[LM.LEFT_SHOULDER, 1] + xyz[LM.RIGHT_SHOULDER, 1]
                         - xyz[LM.LEFT_HIP, 1] - xyz[LM.RIGHT_HIP, 1]) / 2)
            self._side += bool(torso > 0 and shoulder < 0.3 * torso)
            axis = float(axis_deg(xyz[:, :2]))
            if abs(axis) > SIDEWAYS_DEG:
                self._lying += np.sign(axis)
            hip = (float(xyz[LM.LEFT_HIP, 0] + xyz[LM.RIGHT_HIP, 0]) / 2,
                   float(xyz[LM.LEFT_HIP, 1] + xyz[LM.RIGHT_HIP, 1]) / 2)
            if self._last_hip is not None and torso > 0 and np.hypot(hip[0] - self._last_hip[0],
                                                                     hip[1] - self._last_hip[1]) > torso:
                self._jumps += 1  # the tracker leapt to another body between two frames
            self._last_hip = hip
        if self._frames < max(1, int(self.seconds * self.fps)):
            return []
        self.done = True
        return self.problems()

    def problems(self) -> list[str]:
        """The guide lines for what was seen in most of the watched frames."""
        out = []
        seen = max(self._found, 1)
        if self._found and abs(self._lying) > 0.5 * seen:  # a turned picture explains the rest
            return [rotation_hint(self._lying)[0].upper() + rotation_hint(self._lying)[1:] + "."]
        if self._found and self._feet_out > 0.5 * seen:
            out.append(filming_line("feet"))
        if self._found and self._side > 0.5 * seen:
            out.append(filming_line("front"))
        person = self.exposure.luma if self.exposure is not None else float("nan")
        if person < DARK_PERSON_LUMA if np.isfinite(person) else self._dark > 0.5 * max(self._frames // 3, 1):
            out.append(filming_line("light"))
        if self._found < 0.3 * self._frames:
            out.append(filming_line("distance"))
        if self._jumps >= 2:
            out.append(filming_line("alone"))
        return out


#: Below this mean brightness of the person (luma, 0-255) a clip is warned about. Measured by darkening two
#: real clips (README, "Limits"): at 1-5 MediaPipe placed the knees wrongly while calling them visible (a good
#: squatter read mild to severe valgus; the caving knee read ok and the other severe), at 11 most knees went
#: unjudged, and at 31 with sensor-like noise two of four true flags were lost; at 22 without noise, and the
#: clips as filmed (41 and 112), read as they do in good light. A warning, not a gate: the same darkness
#: did not harm every clip (one read right at 2).
DARK_PERSON_LUMA = 35.0


@dataclasses.dataclass
class Exposure:
    """The person's brightness over a whole pose pass: the mean luma inside the box around their landmarks,
    on every ``every``-th frame, on a 4x subsample (cheap)."""

    every: int = 3
    _frames: int = 0
    _luma: list = dataclasses.field(default_factory=list)

    def update(self, image: np.ndarray, xyz: np.ndarray) -> None:
        """Feed one frame (BGR, (H, W, 3) uint8) and its landmarks ((33, 3), pixels; NaN when nobody is seen)."""
        self._frames += 1
        xy = xyz[:, :2]
        if self._frames % self.every or not np.isfinite(xy).all():
            return
        h, w = image.shape[:2]
        x0, y0 = np.clip(np.floor(xy.min(0)), 0, [w, h]).astype(int)
        x1, y1 = np.clip(np.ceil(xy.max(0)), 0, [w, h]).astype(int)
        crop = image[y0:y1:4, x0:x1:4]
        if crop.size:
            self._luma.append(float((crop.reshape(-1, 3) @ np.array([0.114, 0.587, 0.299])).mean()))

    @property
    def luma(self) -> float:
        """Median brightness of the person (0-255), NaN if nobody was seen."""
        return float(np.median(self._luma)) if self._luma else float("nan")

    def dark_now(self, samples: int = 30, dark_below: float = DARK_PERSON_LUMA) -> bool:
        """The person was darker than ``dark_below`` over the last ``samples`` measured frames (live mode's hint:
        3 s at 30 fps, so switching the light on clears it soon)."""
        return bool(self._luma) and float(np.median(self._luma[-samples:])) < dark_below

    def notice(self, dark_below: float = DARK_PERSON_LUMA) -> Notice | None:
        """A ``too_dark`` warning when the person was darker than ``dark_below`` on average, else None."""
        if not self.luma < dark_below:
            return None
        return Notice(WarningCode.TOO_DARK, f"the person is dark in the picture (brightness {self.luma:.0f} of 255): "
                      "in video this dark the pose model still reports the knees as seen but can place them "
                      "wrongly, so the verdicts may be wrong; film in good light, with the light behind the camera")
