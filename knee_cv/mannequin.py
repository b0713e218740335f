"""A procedurally drawn mannequin that squats, lunges or single-leg squats with known faults.

The body is a 3D stick skeleton posed by simple kinematics and seen through a
pinhole camera, so thighs foreshorten as they would on video. It is drawn with
filled OpenCV shapes (no external assets) and has a face, which MediaPipe needs
to tell a front view from a back view. Because every joint is known, the truth
(FPPA, medial knee shift, pelvic drop per frame and per rep) comes with it.

World frame: metres, ``x`` toward the image right, ``y`` up, ``z`` away from the
camera. The mannequin faces the camera, so its left side is at ``+x``.
"""
from __future__ import annotations

import dataclasses
import enum

import cv2
import numpy as np

from .reps import Exercise

SIDE_SIGN = np.array([1.0, -1.0])  # subject's left at +x (image right), right at -x


class J(enum.IntEnum):
    """Skeleton joints (own indices; mapped to MediaPipe's by name in the truth)."""

    PELVIS = 0
    L_HIP, R_HIP, L_KNEE, R_KNEE, L_ANKLE, R_ANKLE = 1, 2, 3, 4, 5, 6
    L_HEEL, R_HEEL, L_TOE, R_TOE = 7, 8, 9, 10
    NECK, HEAD = 11, 12
    L_SHOULDER, R_SHOULDER, L_ELBOW, R_ELBOW, L_WRIST, R_WRIST = 13, 14, 15, 16, 17, 18


N_JOINTS = len(J)
HIP2, KNEE2, ANKLE2 = np.array([J.L_HIP, J.R_HIP]), np.array([J.L_KNEE, J.R_KNEE]), np.array([J.L_ANKLE, J.R_ANKLE])


@dataclasses.dataclass(frozen=True)
class Body:
    """Segment lengths and widths, metres."""

    thigh: float = 0.45
    shank: float = 0.43
    ankle_height: float = 0.08
    foot: float = 0.24
    heel_back: float = 0.05
    hip_half_width: float = 0.10
    stance_half_width: float = 0.16
    toe_out_deg: float = 20.0
    torso: float = 0.52
    shoulder_half_width: float = 0.20
    upper_arm: float = 0.29
    forearm: float = 0.27
    neck: float = 0.09
    head_radius: float = 0.11
    free_foot: tuple[float, float] = (0.50, 0.25)  # single-leg squat: free ankle below, in front of its hip


@dataclasses.dataclass(frozen=True)
class RepSpec:
    """One rendered rep.

    Attributes
    ----------
    valgus_cm : (float, float)
        Medial knee displacement at the bottom, subject's (left, right), cm.
    hip_drop_deg : float
        Pelvic obliquity at the bottom, degrees; positive = left side lower.
    depth : float
        Hip descent at the bottom, fraction of leg length.
    trunk_follow : float
        Share of the pelvic obliquity the trunk tilts with: 1 = rigidly with the
        pelvis, 0 = trunk stays upright, negative = leaning the other way (over
        the standing leg, the usual compensation for a weak hip).
    turn_deg : float or None
        The whole body turned about the vertical axis through the pelvis, degrees
        (+ = toward the subject's left: the left shoulder moves away from the camera;
        90 = a side view). None: the clip's ``body_turn_deg``.
    driver : {"mixed", "hip", "foot"}
        Where the valgus comes from (issue 18). ``"mixed"``: the knee swings in between a
        still hip and a still foot, so thigh and shank tilt alike. ``"hip"``: femoral
        adduction with the shank kept as upright as a planted foot allows: the pelvis (and
        the body above it) shifts outward over the caving leg by 1.5 times the knee's inward
        shift, so the thigh carries most of it. ``"foot"``: the shank tips in over the planted foot and the thigh
        follows: the pelvis shifts inward with the knee, so the shank carries the tilt.
    heel_rise_cm : float
        Both planted heels lift at the bottom, pivoting on the toes (limited dorsiflexion), cm.
    """

    valgus_cm: tuple[float, float] = (0.0, 0.0)
    hip_drop_deg: float = 0.0
    depth: float = 0.42
    trunk_follow: float = 1.0
    turn_deg: float | None = None  # body turn for this rep (and the standing before it); None: the clip's
    driver: str = "mixed"
    heel_rise_cm: float = 0.0

    def __post_init__(self) -> None:
        if self.driver not in DRIVER_SHIFT:
            raise ValueError(f"driver must be one of {sorted(DRIVER_SHIFT)}, not {self.driver!r}")


#: The pelvis's sideways shift per unit of the knee's inward shift, by driver: + = outward over the caving leg.
DRIVER_SHIFT = {"mixed": 0.0, "hip": 1.5, "foot": -1.0}


@dataclasses.dataclass(frozen=True)
class Scenario:
    """A whole rendered clip."""

    exercise: Exercise = Exercise.SQUAT
    reps: tuple[RepSpec, ...] = (RepSpec(), RepSpec((10.0, 10.0)), RepSpec(), RepSpec((0.0, 10.0)),
                                 RepSpec(hip_drop_deg=12.0), RepSpec())
    lead_leg: str = "left"        # lunge: the front leg; single-leg squat: the standing leg
    fps: float = 30.0
    size: tuple[int, int] = (540, 720)  # width, height
    rep_s: float = 2.2
    stand_s: float = 0.9          # standing still before the first rep and after each
    camera_distance: float = 3.0
    camera_height: float = 0.75
    camera_pitch_deg: float = 0.0  # + = tilted down toward the floor (a camera above hip height aimed at the body)
    focal_px: float = 900.0
    body: Body = Body()
    body_turn_deg: float = 0.0    # about the vertical axis; + = turned toward the subject's left

    PRESETS = (Exercise.SQUAT, Exercise.LUNGE, Exercise.SINGLE_LEG_SQUAT)

    @classmethod
    def preset(cls, exercise: Exercise) -> "Scenario":
        """The demo's default for each exercise: clean reps mixed with known faults."""
        if exercise is Exercise.SQUAT:
            return cls()
        depth = 0.22 if exercise is Exercise.SINGLE_LEG_SQUAT else 0.30  # a lunge's rear knee drops lower
        single = (RepSpec(depth=depth), RepSpec((9.0, 0.0), depth=depth), RepSpec(depth=depth),
                  RepSpec((11.0, 0.0), depth=depth))  # the left (lead) leg caves in
        return cls(exercise=exercise, reps=single, body=Body(toe_out_deg=5.0))  # feet straight on one leg

    @classmethod
    def drivers(cls, exercise: Exercise = Exercise.SINGLE_LEG_SQUAT, side: int = 1) -> "Scenario":
        """Valgus from each driver on one knee (``side`` 0 = left, 1 = right), after a clean rep (issue 18):
        hip-driven (7 cm), foot-driven (shank, 10 cm), mixed (10 cm), and foot-driven with the heels rising 6 cm.

        A bilateral squat gets no hip-driven rep: a pelvis shifted that far over one leg moves the other
        knee's measure with it, and the pair is rejected as implausible (README, "Trusted frames")."""
        v = np.array((0.0, 1.0) if side else (1.0, 0.0))
        depth = {Exercise.SINGLE_LEG_SQUAT: 0.22, Exercise.LUNGE: 0.30}.get(exercise, 0.42)
        hip = () if exercise is Exercise.SQUAT else (RepSpec(tuple(7.0 * v), depth=depth, driver="hip"),)
        reps = (RepSpec(depth=depth),) + hip + (
            RepSpec(tuple(10.0 * v), depth=depth, driver="foot"), RepSpec(tuple(10.0 * v), depth=depth),
            RepSpec(tuple(10.0 * v), depth=depth, driver="foot", heel_rise_cm=6.0))
        if exercise is Exercise.SQUAT:
            return cls(exercise=exercise, reps=reps)
        return cls(exercise=exercise, reps=reps, lead_leg="right" if side else "left", body=Body(toe_out_deg=5.0))


# --- kinematics ---------------------------------------------------------------

def _phase(sc: Scenario) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-frame squat phase in [0, 1], rep number (0 = standing) and timestamps."""
    period = sc.rep_s + sc.stand_s
    total = sc.stand_s + len(sc.reps) * period
    t = np.arange(int(round(total * sc.fps))) / sc.fps
    k = np.floor((t - sc.stand_s) / period).astype(int)
    tau = (t - sc.stand_s - k * period) / sc.rep_s
    active = (t >= sc.stand_s) & (tau < 1) & (k < len(sc.reps))
    phase = np.where(active, 0.5 - 0.5 * np.cos(2 * np.pi * np.clip(tau, 0, 1)), 0.0)
    return phase, np.where(active, k + 1, 0), t


def frame_turns(sc: Scenario) -> np.ndarray:
    """Body turn per frame, degrees: each rep's turn, held from the standing before it (turns happen at once)."""
    _, rep, t = _phase(sc)
    turns = np.array([sc.body_turn_deg] + [sc.body_turn_deg if r.turn_deg is None else r.turn_deg for r in sc.reps])
    upcoming = np.maximum.accumulate(np.where(rep > 0, rep, 0))  # the rep under way or the last one
    nxt = np.where(rep > 0, rep, np.minimum(upcoming + 1, len(sc.reps)))  # standing: the next rep's turn
    return turns[nxt]


def _turn(X: np.ndarray, turn_deg: np.ndarray) -> np.ndarray:
    """Rotate every joint (T, J, 3) about the vertical axis through the pelvis by ``turn_deg`` (T,)."""
    th = np.radians(turn_deg)[:, None]
    c, s = np.cos(th), np.sin(th)
    dx, dz = X[..., 0] - X[:, None, J.PELVIS, 0], X[..., 2] - X[:, None, J.PELVIS, 2]
    out = X.copy()
    out[..., 0] = X[:, None, J.PELVIS, 0] + c * dx - s * dz
    out[..., 2] = X[:, None, J.PELVIS, 2] + s * dx + c * dz
    return out


def _knee_ik(hip: np.ndarray, ankle: np.ndarray, l1: float, l2: float, forward: np.ndarray) -> np.ndarray:
    """Knee position of a two-link leg bending toward ``forward``; all (T, 3)."""
    d_vec = ankle - hip
    d = np.linalg.norm(d_vec, axis=-1, keepdims=True).clip(1e-6, l1 + l2 - 1e-6)
    u = d_vec / np.linalg.norm(d_vec, axis=-1, keepdims=True)
    a = (l1 ** 2 - l2 ** 2 + d ** 2) / (2 * d)
    h = np.sqrt(np.clip(l1 ** 2 - a ** 2, 0, None))
    perp = forward - (forward * u).sum(-1, keepdims=True) * u
    perp /= np.linalg.norm(perp, axis=-1, keepdims=True)
    return hip + u * a + perp * h


def _upper_body(b: "Body", pelvis: np.ndarray, depth: np.ndarray, trunk_tilt: np.ndarray) -> tuple[np.ndarray, ...]:
    """Neck, trunk direction, shoulders, elbows and wrists over time (metres)."""
    T = len(depth)
    # torso leans forward with depth; arms reach forward for balance
    lean = np.radians(40) * np.clip(depth / 0.45, 0, 1.2)
    # the trunk tilts with the pelvis in the frontal plane as far as the rep says
    up = np.stack([np.sin(trunk_tilt) * np.cos(lean), np.cos(trunk_tilt) * np.cos(lean), -np.sin(lean)], -1)
    neck = pelvis + up * b.torso
    shoulders = neck[:, None] + np.stack([SIDE_SIGN * b.shoulder_half_width * np.cos(trunk_tilt)[:, None],
                                          -0.03 - SIDE_SIGN * b.shoulder_half_width * np.sin(trunk_tilt)[:, None],
                                          np.zeros((T, 2))], -1)
    reach = np.radians(70 + 15 * np.clip(depth / 0.45, 0, 1))  # arm angle from hanging down
    arm_dir = np.stack([np.zeros(T), -np.cos(reach), -np.sin(reach)], -1)[:, None]
    elbows = shoulders + arm_dir * b.upper_arm + np.array([0.0, 0.0, 0.0])
    elbows[:, :, 0] -= SIDE_SIGN * 0.04
    wrists = elbows + arm_dir * b.forearm
    wrists[:, :, 0] -= SIDE_SIGN * 0.04
    return neck, up, shoulders, elbows, wrists


def pose_world(sc: Scenario) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Joint positions for every frame.

    Returns
    -------
    xyz : ndarray, shape (T, N_JOINTS, 3), metres
    rep : ndarray, shape (T,), int; 0 while standing between reps
    t : ndarray, shape (T,), seconds
    """
    b = sc.body
    phase, rep, t = _phase(sc)
    T = len(t)
    spec = [RepSpec()] + list(sc.reps)
    depth = np.array([s.depth for s in spec])[rep] * phase
    valgus = np.array([s.valgus_cm for s in spec])[rep] / 100 * phase[:, None]      # (T, 2) metres
    tilt = np.radians(np.array([s.hip_drop_deg for s in spec])[rep] * phase)         # (T,)
    trunk_tilt = tilt * np.array([s.trunk_follow for s in spec])[rep]                  # (T,)
    lead = 0 if sc.lead_leg == "left" else 1
    X = np.zeros((T, N_JOINTS, 3))
    ankle, pelvis, hips, planted = _stance(sc, depth, tilt, lead)
    rise = np.array([s.heel_rise_cm for s in spec])[rep] / 100 * phase   # (T,) metres
    pivot = b.foot / (b.foot + b.heel_back)  # the ankle rises this share of the heel's lift (pivot at the toes)
    ankle[:, planted, 1] += (pivot * rise)[:, None]
    out = np.radians(b.toe_out_deg) * SIDE_SIGN
    forward = np.stack([np.sin(out), np.zeros(2), -np.cos(out)], -1)  # (2, 3): along each foot
    knees = np.stack([_knee_ik(hips[:, s], ankle[:, s], b.thigh, b.shank, np.broadcast_to(forward[s], (T, 3)))
                      for s in (0, 1)], 1)
    knees[:, :, 0] -= SIDE_SIGN * valgus     # medial = toward x = 0
    heel, toe = _feet(sc, ankle, out, lead)
    heel[:, planted, 1] += ((1 - pivot) * rise)[:, None]   # the heel lifts, the toes stay on the floor
    toe[:, planted, 1] -= (pivot * rise)[:, None]
    neck, up, shoulders, elbows, wrists = _upper_body(b, pelvis, depth, trunk_tilt)
    X[:, J.PELVIS] = pelvis
    X[:, HIP2], X[:, KNEE2], X[:, ANKLE2] = hips, knees, ankle
    X[:, [J.L_HEEL, J.R_HEEL]], X[:, [J.L_TOE, J.R_TOE]] = heel, toe
    X[:, J.NECK] = neck
    X[:, J.HEAD] = neck + up * (b.neck + b.head_radius)
    X[:, [J.L_SHOULDER, J.R_SHOULDER]] = shoulders
    X[:, [J.L_ELBOW, J.R_ELBOW]], X[:, [J.L_WRIST, J.R_WRIST]] = elbows, wrists
    _drive(X, valgus, np.array([DRIVER_SHIFT[s.driver] for s in spec])[rep], planted)
    return _turn(X, frame_turns(sc)), rep, t


def _stance(sc: Scenario, depth: np.ndarray, tilt: np.ndarray, lead: int):
    """Where the feet and the pelvis are in every frame of :func:`pose_world`, metres.

    Parameters
    ----------
    depth : ndarray, shape (T,), hip descent as a fraction of leg length
    tilt : ndarray, shape (T,), pelvic obliquity, radians (+ = left hip lower)
    lead : int, the lead (standing) leg, 0 = left

    Returns
    -------
    ankle : ndarray, shape (T, 2, 3)
    pelvis : ndarray, shape (T, 3)
    hips : ndarray, shape (T, 2, 3)
    planted : list of int, the legs whose foot stays on the floor
    """
    b, T = sc.body, len(depth)
    leg = b.thigh + b.shank
    z0 = sc.camera_distance
    # feet on the floor; lunge: lead foot forward (toward the camera), rear foot back on its toes
    ankle = np.zeros((T, 2, 3))
    ankle[:, :, 0] = SIDE_SIGN * b.stance_half_width
    ankle[:, :, 1] = b.ankle_height
    ankle[:, :, 2] = z0
    stand_h = b.ankle_height + 0.985 * leg
    drop = depth * leg
    back = 0.55 * drop                       # hips sit back as they descend
    pelvis = np.stack([np.zeros(T), stand_h - drop, z0 + back], -1)
    if sc.exercise is Exercise.LUNGE:
        ankle[:, :, 0] = SIDE_SIGN * 0.15  # hip-width: the rear leg stays visible beside the front one
        ankle[:, lead, 2] = z0 - 0.42
        ankle[:, 1 - lead, 2] = z0 + 0.42
        ankle[:, 1 - lead, 1] = b.ankle_height + 0.07  # rear heel up
        pelvis = np.stack([np.zeros(T), stand_h - 0.03 - drop, np.full(T, z0)], -1)
    elif sc.exercise is Exercise.SINGLE_LEG_SQUAT:
        ankle[:, :, 0] = SIDE_SIGN * 0.10
        pelvis[:, 0] = SIDE_SIGN[lead] * 0.03  # weight shifted over the standing leg
    # pelvis with obliquity in the frontal plane (positive tilt = left hip lower)
    hips = pelvis[:, None, :] + np.stack([SIDE_SIGN * b.hip_half_width * np.cos(tilt)[:, None],
                                          -SIDE_SIGN * b.hip_half_width * np.sin(tilt)[:, None],
                                          np.zeros((T, 2))], -1)
    if sc.exercise is Exercise.SINGLE_LEG_SQUAT:
        free = 1 - lead
        # the free foot hangs below and in front of its hip and moves with it; a foot reaching far
        # forward would point the thigh at the camera and hide that hip (MediaPipe then misplaces it)
        ankle[:, free] = hips[:, free] + np.array([0.0, -b.free_foot[0], -b.free_foot[1]])
    planted = [s for s in (0, 1) if not (sc.exercise is Exercise.SINGLE_LEG_SQUAT and s != lead)]
    if sc.exercise is Exercise.LUNGE:
        planted = [lead]                   # the rear foot is on its toes already
    return ankle, pelvis, hips, planted


def _feet(sc: Scenario, ankle: np.ndarray, out: np.ndarray, lead: int) -> tuple[np.ndarray, np.ndarray]:
    """Heels and toes (T, 2, 3) from the ankles, the feet turned out by ``out`` (radians per side): flat on the
    floor, except a lunge's rear foot (on its toes) and a single-leg squat's free foot (lifted)."""
    b = sc.body
    heel = ankle + np.stack([-np.sin(out) * b.heel_back, np.full(2, -b.ankle_height + 0.02),
                             np.cos(out) * b.heel_back], -1)
    toe = ankle + np.stack([np.sin(out) * b.foot, np.full(2, -b.ankle_height + 0.02),
                            -np.cos(out) * b.foot], -1)
    if sc.exercise is Exercise.LUNGE:  # rear foot on its toes
        toe[:, 1 - lead, 1] = 0.02
        heel[:, 1 - lead, 1] = 0.14
    if sc.exercise is Exercise.SINGLE_LEG_SQUAT:
        toe[:, 1 - lead] = ankle[:, 1 - lead] + np.array([0.0, -0.02, -0.2])
        heel[:, 1 - lead] = ankle[:, 1 - lead] + np.array([0.0, -0.05, 0.04])
    return heel, toe


_LEG = np.array([[J.L_KNEE, J.L_ANKLE, J.L_HEEL, J.L_TOE], [J.R_KNEE, J.R_ANKLE, J.R_HEEL, J.R_TOE]])


def _drive(X: np.ndarray, valgus: np.ndarray, shift: np.ndarray, planted: list[int]) -> None:
    """Shift everything but the planted legs sideways, in place, so the thigh or the shank carries the valgus.

    ``valgus`` (T, 2) is each knee's inward shift (m), ``shift`` (T,) the driver's factor (``DRIVER_SHIFT``).
    """
    dx = (shift[:, None] * SIDE_SIGN * valgus).sum(1)                     # (T,) metres along x
    if not dx.any():
        return
    moved = np.setdiff1d(np.arange(N_JOINTS), _LEG[planted].ravel())
    X[:, moved, 0] += dx[:, None]


def _camera(sc: Scenario, xyz: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """World points (..., 3) in the camera's frame: x right, y up, z along its axis (metres); the camera stands at
    ``camera_height`` looking along +z, tilted down by ``camera_pitch_deg``."""
    y, z = xyz[..., 1] - sc.camera_height, xyz[..., 2]
    c, s = np.cos(np.radians(sc.camera_pitch_deg)), np.sin(np.radians(sc.camera_pitch_deg))
    return xyz[..., 0], c * y + s * z, c * z - s * y


def project(sc: Scenario, xyz: np.ndarray) -> np.ndarray:
    """Pinhole projection to pixels, shape (..., 2); the camera looks along +z (tilted by its pitch)."""
    w, h = sc.size
    x, y, z = _camera(sc, xyz)
    return np.stack([w / 2 + sc.focal_px * x / z, h * 0.52 - sc.focal_px * y / z], -1)


# --- drawing --------------------------------------------------------------------

SKIN = (150, 180, 225)
KNEECAP = (170, 200, 240)
SHIRT = (150, 90, 40)
SHORTS = (45, 45, 45)
BELT = (200, 200, 200)
SHOE = (235, 235, 235)
SOLE = (60, 60, 60)
BG = (228, 228, 222)
FLOOR = (170, 180, 188)


def _taper(img, a, b, ra, rb, color) -> None:
    """A limb segment: a quadrilateral from radius ``ra`` at ``a`` to ``rb`` at ``b``, with round ends."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    d = b - a
    n = np.array([-d[1], d[0]]) / max(np.hypot(*d), 1e-6)
    poly = np.array([a + n * ra, b + n * rb, b - n * rb, a - n * ra])
    cv2.fillPoly(img, [np.round(poly * 16).astype(np.int32)], color, cv2.LINE_AA, shift=4)
    for p, r in ((a, ra), (b, rb)):
        cv2.circle(img, tuple(np.round(p * 16).astype(int)), int(round(r * 16)), color, -1, cv2.LINE_AA, shift=4)


def draw_frame(sc: Scenario, xyz: np.ndarray, turn_deg: float = 0.0) -> np.ndarray:
    """Render one frame (BGR) of the skeleton ``xyz`` (N_JOINTS, 3), its face turned by ``turn_deg``."""
    w, h = sc.size
    img = np.empty((h, w, 3), np.uint8)
    img[:] = BG
    horizon = int(project(sc, np.array([0.0, 0.0, sc.camera_distance + 2.5]))[1])
    img[horizon:] = FLOOR
    p = project(sc, xyz)
    px = sc.focal_px / _camera(sc, xyz)[2]           # px per metre at each joint
    parts = []  # (depth, draw function), painted far to near

    def seg(a, b, ra, rb, color, dz=0.0):
        parts.append(((xyz[a, 2] + xyz[b, 2]) / 2 + dz,
                      lambda: _taper(img, p[a], p[b], ra * px[a], rb * px[b], color)))

    for hip, knee, ankle, heel, toe in zip(HIP2, KNEE2, ANKLE2, (J.L_HEEL, J.R_HEEL), (J.L_TOE, J.R_TOE)):
        seg(hip, knee, 0.085, 0.055, SKIN)
        seg(knee, ankle, 0.055, 0.035, SKIN)
        # a kneecap marks the joint, as on a real leg; drawn just after the nearer of its two segments
        cap_z = min(xyz[hip, 2] + xyz[knee, 2], xyz[knee, 2] + xyz[ankle, 2]) / 2 - 1e-3
        parts.append((cap_z, lambda knee=knee: cv2.circle(
            img, tuple(np.round(p[knee] * 16).astype(int)), int(round(0.032 * px[knee] * 16)), KNEECAP, -1,
            cv2.LINE_AA, shift=4)))
        seg(heel, toe, 0.045, 0.04, SHOE, dz=-0.01)
        seg(ankle, heel, 0.045, 0.045, SHOE, dz=-0.01)
        # shorts over the upper 45 % of the thigh
        mid = xyz[hip] + 0.45 * (xyz[knee] - xyz[hip])
        pm = project(sc, mid)
        parts.append((xyz[hip, 2] - 0.02, lambda hip=hip, pm=pm: _taper(img, p[hip], pm, 0.095 * px[hip],
                                                                       0.08 * px[hip], SHORTS)))
    for sh, el, wr in ((J.L_SHOULDER, J.L_ELBOW, J.L_WRIST), (J.R_SHOULDER, J.R_ELBOW, J.R_WRIST)):
        seg(sh, el, 0.05, 0.042, SHIRT)
        seg(el, wr, 0.04, 0.032, SKIN)
    # torso from the shoulders to a waist just above the hip joints; pelvis block tilts with the hips
    hips = p[[J.L_HIP, J.R_HIP]]
    across = hips[0] - hips[1]
    up_2d = p[J.NECK] - p[J.PELVIS]
    up_2d = up_2d / max(np.hypot(*up_2d), 1e-6)
    waist = hips + up_2d * 0.10 * px[J.PELVIS] + np.array([1, -1])[:, None] * across * 0.35
    torso = np.array([p[J.L_SHOULDER] + (p[J.L_SHOULDER] - p[J.R_SHOULDER]) * 0.12,
                      p[J.R_SHOULDER] - (p[J.L_SHOULDER] - p[J.R_SHOULDER]) * 0.12, waist[1], waist[0]])
    pelvis = np.array([waist[0], waist[1], hips[1] - across * 0.45 - up_2d * 0.05 * px[J.PELVIS],
                       (hips[0] + hips[1]) / 2 - up_2d * 0.10 * px[J.PELVIS],
                       hips[0] + across * 0.45 - up_2d * 0.05 * px[J.PELVIS]])
    z_p = xyz[J.PELVIS, 2]
    parts.append((z_p - 0.03, lambda: cv2.fillPoly(img, [np.round(torso * 16).astype(np.int32)], SHIRT,
                                                    cv2.LINE_AA, shift=4)))
    parts.append((z_p - 0.04, lambda: cv2.fillPoly(img, [np.round(pelvis * 16).astype(np.int32)], SHORTS,
                                                    cv2.LINE_AA, shift=4)))
    parts.append((z_p - 0.045, lambda: cv2.line(img, tuple(np.round(waist[0]).astype(int)),
                                                tuple(np.round(waist[1]).astype(int)), BELT,
                                                max(2, int(0.025 * px[J.PELVIS])), cv2.LINE_AA)))
    parts.append((xyz[J.NECK, 2], lambda: _taper(img, p[J.NECK], p[J.HEAD], 0.045 * px[J.NECK],
                                                 0.045 * px[J.NECK], SKIN)))
    parts.append((xyz[J.HEAD, 2] - 0.2, lambda: _face(img, p[J.HEAD], sc.body.head_radius * px[J.HEAD], turn_deg)))
    for _, fn in sorted(parts, key=lambda d: -d[0]):
        fn()
    return img


EYE_AZIMUTH = float(np.degrees(np.arcsin(0.35 / 0.85)))
EAR_AZIMUTH = float(np.degrees(np.arcsin(0.82 / 0.85)))


def _face(img, c, r, turn_deg: float = 0.0) -> None:
    """A head seen from the front, turned by ``turn_deg``: features sit on a sphere and move with the turn."""
    cx, cy = c
    th = np.radians(turn_deg)

    def at(azimuth_deg: float) -> tuple[float, bool]:  # image x offset of a feature, and whether it faces us
        # the head is an ellipsoid 0.85 r wide and r deep (longer front to back than wide, as heads are)
        a = np.radians(azimuth_deg)
        x, z = 0.85 * r * np.sin(a), r * np.cos(a)
        return x * np.cos(th) + z * np.sin(th), -x * np.sin(th) + z * np.cos(th) > 0.05 * r

    cv2.ellipse(img, (int(cx), int(cy)), (int(0.85 * r), int(r)), 0, 0, 360, SKIN, -1, cv2.LINE_AA)
    cv2.ellipse(img, (int(cx), int(cy - 0.35 * r)), (int(0.9 * r), int(0.75 * r)), 0, 180, 360, (40, 50, 70), -1,
                cv2.LINE_AA)  # hair
    for sx in (-1, 1):  # azimuths put the eyes at 0.35 r and the ears at 0.82 r from the middle when facing us
        x, seen = at(sx * EYE_AZIMUTH)
        if seen:
            cv2.circle(img, (int(cx + x), int(cy - 0.05 * r)), max(1, int(0.12 * r)), (40, 30, 30), -1, cv2.LINE_AA)
        x, seen = at(sx * EAR_AZIMUTH)
        if seen or abs(turn_deg) < 60:
            width = 0.12 * r * max(abs(np.cos(th)), 0.3)
            cv2.ellipse(img, (int(cx + x), int(cy + 0.05 * r)), (max(1, int(width)), int(0.22 * r)), 0, 0, 360, SKIN,
                        -1, cv2.LINE_AA)  # ears
    x, seen = at(0)
    if seen:
        cv2.line(img, (int(cx + x), int(cy + 0.05 * r)), (int(cx + x), int(cy + 0.3 * r)), (90, 110, 160),
                 max(1, int(0.08 * r)), cv2.LINE_AA)
        cv2.ellipse(img, (int(cx + x), int(cy + 0.5 * r)), (max(1, int(0.3 * r * np.cos(th))), int(0.1 * r)), 0, 0,
                    180, (60, 60, 150), max(1, int(0.07 * r)), cv2.LINE_AA)
