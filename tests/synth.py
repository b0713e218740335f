"""Synthetic landmark tracks with known geometry (front view, pixels)."""
from __future__ import annotations

import numpy as np

from knee_cv.track import LM, N_LANDMARKS, PoseTrack


def squat_track(*, fps: float = 30.0, reps: int = 3, rep_s: float = 2.0, stand_s: float = 1.0,
                depth_px: float = 150.0, knee_shift_px: tuple[float, float] = (0.0, 0.0),
                pelvic_drop_deg: float = 0.0, trunk_lean_deg: float = 0.0) -> PoseTrack:
    """A front-view figure doing ``reps`` squats.

    At each bottom the hips drop by ``depth_px`` and each knee moves along the
    medial axis by ``knee_shift_px`` (positive = medial), the hip line tilts by
    ``pelvic_drop_deg`` and the trunk leans by ``trunk_lean_deg`` toward the
    subject's left (shoulders 250 px above the hips). Hip width 100 px, thigh
    and shank 200 px, leg length 400 px, feet turned out about 30 degrees. Subject's
    left is on the image right. The frame, 800 x 1000 px, leaves room for the tests' zooms and shifts of the
    picture to keep the whole body in it (a joint outside the picture is a guess, not judged on).
    """
    n_rep = int(rep_s * fps)
    phase = np.concatenate([np.zeros(int(stand_s * fps))] +
                           [np.sin(np.linspace(0, np.pi, n_rep)) ** 2 for _ in range(reps)] +
                           [np.zeros(int(stand_s * fps))])
    T = len(phase)
    t = np.arange(T) / fps
    xyz = np.zeros((T, N_LANDMARKS, 3), np.float32)
    cx, hip_y = 320.0, 300.0
    for side, sign in ((0, +1), (1, -1)):  # left at image right (+x)
        hx = cx + sign * 50
        medial = -sign  # toward the midline
        hy = hip_y + depth_px * phase + (np.tan(np.radians(pelvic_drop_deg)) * 50 * phase if side == 0 else
                                         -np.tan(np.radians(pelvic_drop_deg)) * 50 * phase)
        kx = hx + medial * knee_shift_px[side] * phase
        ky = hip_y + 200 + depth_px * phase * 0.5
        ax, ay = hx, hip_y + 400
        xyz[:, [LM.LEFT_HIP, LM.RIGHT_HIP][side], :2] = np.c_[np.full(T, hx), hy]
        xyz[:, [LM.LEFT_KNEE, LM.RIGHT_KNEE][side], :2] = np.c_[kx, ky]
        xyz[:, [LM.LEFT_ANKLE, LM.RIGHT_ANKLE][side], :2] = np.c_[np.full(T, ax), np.full(T, ay)]
        # heel 45 px inside the ankle, toe 10 px outside: feet turned out about 30 degrees, as in most squats
        xyz[:, [LM.LEFT_HEEL, LM.RIGHT_HEEL][side], :2] = np.c_[np.full(T, ax - sign * 45), np.full(T, ay + 15)]
        xyz[:, [LM.LEFT_FOOT_INDEX, LM.RIGHT_FOOT_INDEX][side], :2] = np.c_[np.full(T, ax + sign * 10),
                                                                            np.full(T, ay + 40)]
        lean_px = 250 * np.tan(np.radians(trunk_lean_deg * phase))
        xyz[:, [LM.LEFT_SHOULDER, LM.RIGHT_SHOULDER][side], :2] = np.c_[cx + sign * 90 + lean_px,
                                                                        hip_y - 250 + depth_px * phase]
        # arms held out sideways, far from the knees
        for j, dy in ((LM.LEFT_ELBOW, -150), (LM.LEFT_WRIST, -100)):
            xyz[:, j + side, :2] = np.c_[np.full(T, cx + sign * 250),
                                                                 hip_y + dy + depth_px * phase]
    vis = np.ones((T, N_LANDMARKS), np.float32)
    return PoseTrack(xyz, vis, t, 800, 1000, fps)


def damage(data: bytes, fractions=(0.3, 0.6), length: int = 4000, seed: int = 1) -> bytes:
    """``data`` with ``length`` bytes of noise written at each of ``fractions`` of its length (a damaged file)."""
    out = bytearray(data)
    rng = np.random.default_rng(seed)
    for frac in fractions:
        at = int(len(out) * frac)
        out[at:at + length] = rng.integers(0, 256, length, dtype=np.uint8).tobytes()
    return bytes(out)


def mannequin_track(scenario) -> PoseTrack:
    """The mannequin's exact joints seen through its pinhole camera, as a landmark track (no MediaPipe).

    The nose is left unseen (visibility 0): a bilateral squat's turn is then read from the feet, as it is in
    front views (:func:`knee_cv.view.rep_views`).
    """
    from knee_cv.mannequin import J, pose_world, project

    xyz_world, _, t = pose_world(scenario)
    px = project(scenario, xyz_world)                               # (T, joints, 2)
    T = len(t)
    xyz = np.zeros((T, N_LANDMARKS, 3), np.float32)
    vis = np.ones((T, N_LANDMARKS), np.float32)
    names = {J.L_TOE: LM.LEFT_FOOT_INDEX, J.R_TOE: LM.RIGHT_FOOT_INDEX}
    for j in J:
        lm = names.get(j) or getattr(LM, j.name.replace("L_", "LEFT_").replace("R_", "RIGHT_"), None)
        if lm is not None:
            xyz[:, lm, :2] = px[:, j]
    vis[:, LM.NOSE] = 0.0
    w, h = scenario.size
    return PoseTrack(xyz, vis, t, w, h, scenario.fps)


def walked_in(track: PoseTrack, pose: int, *, seconds: float = 3.0, side: float = 0.3) -> PoseTrack:
    """``track`` with ``seconds`` of the person walking into place put before it: frame ``pose``'s landmarks
    from 1.6 times as far (scaled 0.6 to 1 about the hips, as through a camera at hip height) and ``side`` of
    the picture's width to the side."""
    from knee_cv.track import HIP

    n = int(seconds * track.fps)
    k = np.linspace(0, 1, n, dtype=np.float32)[:, None, None]
    hips = np.nanmean(track.xyz[pose, HIP, :2], axis=0)
    walk = np.repeat(track.xyz[pose][None], n, axis=0)
    walk[..., :2] = (walk[..., :2] - hips) * (0.6 + 0.4 * k) + hips
    walk[..., 0] += (1 - k[..., 0]) * side * track.width
    return track.replace(xyz=np.concatenate([walk, track.xyz]),
                         visibility=np.concatenate([np.repeat(track.visibility[pose][None], n, 0), track.visibility]),
                         t=np.concatenate([np.arange(n) / track.fps, track.t + n / track.fps]))
