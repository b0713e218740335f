"""Which way the person faces the camera, from the landmarks alone."""
from __future__ import annotations

import dataclasses
import enum
from typing import NamedTuple

import numpy as np

from .codes import NotJudged, ViewClass
from .kinematics import all_last, pair_mean
from .track import ANKLE, LM, SHOULDER, PoseTrack


class View(str, enum.Enum):
    FRONT = "front"
    BACK = "back"
    SIDE = "side"
    UNKNOWN = "unknown"


#: Shoulder width below this fraction of leg length means the body is turned
#: sideways (front views measured here: 0.39-0.51; a side view: 0.13).
SIDE_MAX_SHOULDER_WIDTH = 0.25


def frame_views(xy: np.ndarray, leg_length: float) -> np.ndarray:
    """The view of each frame from its shoulders: the shared rule of :func:`classify_view` and live mode.

    Parameters
    ----------
    xy : ndarray, shape (T, 33, 2), pixels

    Returns
    -------
    ndarray, shape (T,), object
        :class:`View` per frame: side when the shoulder width is below
        ``SIDE_MAX_SHOULDER_WIDTH`` of the leg length, front when the subject's left
        shoulder is on the image right, back when reversed; unknown without shoulders.
    """
    return np.array(_VIEW_ORDER, dtype=object)[_view_codes(xy, leg_length)]


_VIEW_ORDER = (View.FRONT, View.BACK, View.SIDE, View.UNKNOWN)


def _view_codes(xy: np.ndarray, leg_length: float) -> np.ndarray:
    """:func:`frame_views` as indices into ``_VIEW_ORDER``, shape (T,), int."""
    dx = xy[:, LM.LEFT_SHOULDER, 0] - xy[:, LM.RIGHT_SHOULDER, 0]
    with np.errstate(invalid="ignore"):
        return np.where(~np.isfinite(dx), 3, np.where(np.abs(dx) < SIDE_MAX_SHOULDER_WIDTH * leg_length, 2,
                                                      np.where(dx > 0, 0, 1)))


def classify_view(track: PoseTrack, leg_length: float) -> View:
    """Front, back or side for a whole clip, from the median shoulder width and the left/right order.

    In a front view the subject's left shoulder appears on the image right.
    """
    xy = track.xy
    dx = xy[:, LM.LEFT_SHOULDER, 0] - xy[:, LM.RIGHT_SHOULDER, 0]
    dx = dx[np.isfinite(dx)]
    if dx.size < 3 or not np.isfinite(leg_length) or leg_length <= 0:
        return View.UNKNOWN
    if np.median(np.abs(dx)) / leg_length < SIDE_MAX_SHOULDER_WIDTH:
        return View.SIDE
    facing = np.mean(dx > 0)
    if facing > 0.7:
        return View.FRONT
    if facing < 0.3:
        return View.BACK
    return View.UNKNOWN


#: How far the nose tip sits in front of the line through the shoulder joints, as a share of the distance
#: between the shoulder joints (about 11 cm over 34 cm in adults). A body turned by ``theta`` shows the nose
#: ``NOSE_DEPTH * tan(theta)`` shoulder widths off the shoulders' midpoint.
NOSE_DEPTH = 0.32


#: Heel-to-toe length over hip-to-ankle length (adult feet about 26 cm, legs 85-90 cm; feet turned out
#: 10-20 degrees shorten the sideways reach by cos, about 0.95). Turning the body swings both feet sideways
#: in the picture by ``FOOT_LEG * sin(turn)`` leg lengths on average, whatever their (symmetric) turn-out.
FOOT_LEG = 0.29

#: Where the nose and the feet both read the turn, they are averaged; alone, each is used as it is.
_TURN_JOINTS = np.array([LM.LEFT_SHOULDER, LM.RIGHT_SHOULDER, LM.NOSE, LM.LEFT_HIP, LM.RIGHT_HIP,
                         LM.LEFT_HEEL, LM.RIGHT_HEEL, LM.LEFT_FOOT_INDEX, LM.RIGHT_FOOT_INDEX,
                         LM.LEFT_ANKLE, LM.RIGHT_ANKLE])


class TurnCues(NamedTuple):
    """The body's turn per frame, degrees, shape (T,) each: ``turn`` as :func:`turn_deg` gives it, and the
    ``feet`` cue alone (NaN where both feet are not seen)."""

    turn: np.ndarray
    feet: np.ndarray


def turn_deg(track: PoseTrack, min_visibility: float = 0.5) -> np.ndarray:
    """How far the body is turned from facing the camera in each frame (:func:`turn_cues`), degrees."""
    return turn_cues(track, min_visibility).turn


def turn_cues(track: PoseTrack, min_visibility: float = 0.5) -> TurnCues:
    """How far the body is turned from facing the camera in each frame, degrees, from 2D positions.

    Two cues, averaged where both are seen (front and back views alike):

    * the nose: its offset from the shoulders' midpoint along the shoulder line, over the
      projected shoulder width, is ``NOSE_DEPTH * tan(turn)`` (the offset grows and the width
      shrinks as the body turns, so no body size is needed);
    * the feet: the heel-to-toe lines of both feet, along the shoulder line, average
      ``FOOT_LEG * sin(turn)`` leg lengths (a symmetric turn-out cancels between the feet;
      the cue is linear near 0 and does not move with squat depth, unlike the head).

    + = turned toward the subject's left. Where neither is seen, MediaPipe's relative depth
    of the shoulders is used: a weak hint (it read people turned 10-15 degrees as 29-46).

    Returns
    -------
    TurnCues
        ``turn`` in [-90, 90] degrees, NaN without shoulders; and the feet cue alone.
    """
    (x, y) = track.joint_xy(_TURN_JOINTS)  # (T, 11) each: shoulders, nose, hips, heels, toes, ankles
    ax, ay = x[:, 0] - x[:, 1], y[:, 0] - y[:, 1]
    width = np.sqrt(ax * ax + ay * ay)
    mx, my = (x[:, 0] + x[:, 1]) / 2, (y[:, 0] + y[:, 1]) / 2
    nx, ny = x[:, 2] - mx, y[:, 2] - my
    hx, hy = (x[:, 3] + x[:, 4]) / 2 - mx, (y[:, 3] + y[:, 4]) / 2 - my
    with np.errstate(invalid="ignore", divide="ignore"):
        offset = (nx * ax + ny * ay) / width                             # along the shoulder line, pixels
        nose = np.degrees(np.arctan2(offset, NOSE_DEPTH * width))
        near = nx * nx + ny * ny < hx * hx + hy * hy  # a nose further from the shoulders than the hips is not one
        feet = _feet_turn(x, y, ax / width, ay / width)
    vis = np.take(track.visibility, _TURN_JOINTS, axis=1)  # take: ~3x faster than fancy indexing
    nose_seen = (vis[:, 2] >= min_visibility) & near
    # the feet count from behind too: there the nose is not seen but guessed (on renders turned 10-30 degrees
    # from straight behind it read 1-9), while the heels are seen and the feet read the turn within 8
    feet_seen = all_last(vis[:, 5:9] >= min_visibility) & np.isfinite(feet)
    both = np.where(nose_seen & feet_seen, (nose + feet) / 2, np.where(nose_seen, nose, feet))
    feet = np.where(feet_seen, feet, np.nan)
    if (nose_seen | feet_seen).all():
        return TurnCues(both, feet)
    dz = track.xyz[:, LM.LEFT_SHOULDER, 2] - track.xyz[:, LM.RIGHT_SHOULDER, 2]  # MediaPipe's relative depth
    return TurnCues(np.where(nose_seen | feet_seen, both, np.degrees(np.arctan2(dz, np.abs(ax)))), feet)


def _feet_turn(x: np.ndarray, y: np.ndarray, ux: np.ndarray, uy: np.ndarray) -> np.ndarray:
    """The feet cue of :func:`turn_deg`, degrees, shape (T,); NaN where a foot or the leg is missing.

    ``x, y`` are the (T, 11) joints of ``_TURN_JOINTS``; ``ux, uy`` the shoulder line's unit vector.
    The leg length is the clip's long hip-to-ankle distances (the 90th percentile: standing frames).
    """
    reach = ((x[:, 7] - x[:, 5] + x[:, 8] - x[:, 6]) * ux + (y[:, 7] - y[:, 5] + y[:, 8] - y[:, 6]) * uy) / 2
    dx, dy = x[:, 3:5] - x[:, 9:11], y[:, 3:5] - y[:, 9:11]
    legs = pair_mean(np.sqrt(dx * dx + dy * dy))  # np.hypot is ~9x slower
    legs = legs[np.isfinite(legs)]
    leg = np.percentile(legs, 90) if legs.size else np.nan
    return np.degrees(np.arcsin(np.clip(reach / (FOOT_LEG * leg), -1.0, 1.0)))


def body_yaw_deg(track: PoseTrack) -> float:
    """The body's turn from facing the camera over a whole track (median of :func:`turn_deg`), degrees."""
    yaw = turn_deg(track)
    yaw = yaw[np.isfinite(yaw)]
    return float(np.median(yaw)) if yaw.size else float("nan")


def feet_in_picture(track: PoseTrack) -> np.ndarray:
    """Frames with both heels and both toes inside the picture, shape (T,), bool (a landmark outside it is NaN
    in an analyzed track: :meth:`knee_cv.track.PoseTrack.in_picture`)."""
    return all_last(np.isfinite(track.joint_xy(_TURN_JOINTS)[0][:, 5:9]))


def standing_turn(track: PoseTrack, cues: TurnCues, frames: np.ndarray, view: View) -> float:
    """The clip's turn while standing (``frames``), degrees: the median of :func:`turn_cues`' reading.

    NaN from behind when the feet are out of the picture in all those frames: there MediaPipe guesses a nose (on
    the mannequin turned 10-30 degrees from straight behind it read 1-9; on a real barbell squat about 15 degrees
    off straight behind, whose feet were past the picture's edge, -60 to -66), and the feet are the only cue, as in
    :func:`rep_views`. (Feet in the picture but unsure, as a mannequin's toes behind its heels, still count with
    the nose.) Without a cue in front (no nose, no feet): :func:`body_yaw_deg`.
    """
    if view is View.BACK and not feet_in_picture(track)[frames].any():
        return float("nan")
    standing = cues.turn[frames]
    return float(np.nanmedian(standing)) if np.isfinite(standing).any() else body_yaw_deg(track)


class RepView(NamedTuple):
    """How one rep was filmed: the view, the body's turn (standing frames of the rep; NaN: not known, a back view
    with its feet out of the picture) and its long axis against the image vertical (:func:`body_axis_deg`), degrees."""

    view: View
    turn_deg: float
    axis_deg: float = 0.0


#: The body's long axis further than this from the image vertical: the person lies across the picture, which
#: is a video turned 90 degrees without its rotation tag, not a standing person (a deep squat's trunk seen from
#: the side leans under 45 degrees).
SIDEWAYS_DEG = 60.0
#: Further than this (degrees), the head is down: a picture turned a half turn, not a quarter.
UPSIDE_DOWN_DEG = 135.0


def axis_deg(xy: np.ndarray) -> np.ndarray:
    """The line from the ankles' midpoint to the shoulders' midpoint against the image's up, degrees:
    0 = upright, +90 = head toward the image right, -90 = toward the left; NaN where a joint is missing.

    Parameters
    ----------
    xy : ndarray, shape (..., 33, 2), pixels
        One frame's landmarks (live mode's pre-check) or a whole track's.
    """
    up = (xy[..., [LM.LEFT_SHOULDER, LM.RIGHT_SHOULDER], :].sum(-2)
          - xy[..., [LM.LEFT_ANKLE, LM.RIGHT_ANKLE], :].sum(-2)) / 2     # ankles' midpoint -> shoulders' midpoint
    return np.degrees(np.arctan2(up[..., 0], -up[..., 1]))


def body_axis_deg(track: PoseTrack) -> np.ndarray:
    """:func:`axis_deg` of every frame of ``track``, shape (T,), from the cached joints (no (T, 33) gather),
    taken round the track's circular mean (:func:`around_mean`), so that medians over it hold upside down."""
    (sx, sy), (ax, ay) = track.joint_xy(SHOULDER), track.joint_xy(ANKLE)  # (T, 2) each
    up_x, up_y = sx[:, 0] + sx[:, 1] - ax[:, 0] - ax[:, 1], sy[:, 0] + sy[:, 1] - ay[:, 0] - ay[:, 1]
    return around_mean(np.degrees(np.arctan2(up_x, -up_y)))  # the halving of both sums cancels in the angle


def around_mean(deg: np.ndarray) -> np.ndarray:
    """Angles (degrees, any shape, NaN allowed) moved by whole turns to within 180 of their circular mean, so
    that a median of a picture held upside down (readings near +180 and -180) is not an upright 0. Angles
    around 0, an upright person's, are returned as they are."""
    deg = np.asarray(deg, float)
    ok = np.isfinite(deg)
    if not ok.any():
        return deg
    r = np.radians(deg[ok])
    mean = np.degrees(np.arctan2(np.sin(r).mean(), np.cos(r).mean()))
    return (deg - mean + 180.0) % 360.0 - 180.0 + mean


def judging_block(view: View, turn: float, max_turn_deg: float, axis: float = 0.0) -> NotJudged | None:
    """Why nothing seen from this view can be judged in the frontal plane, or None (analyze and live mode).

    A back view whose turn is not known (NaN: its feet out of the picture, :func:`standing_turn`) is
    ``FEET_HIDDEN``: from behind the turn is read from the feet."""
    if abs(axis) > SIDEWAYS_DEG:
        return NotJudged.SIDEWAYS
    if view is View.SIDE:
        return NotJudged.SIDE_VIEW
    if view is View.BACK and not np.isfinite(turn):
        return NotJudged.FEET_HIDDEN
    if view in (View.FRONT, View.BACK) and abs(turn) > max_turn_deg:
        return NotJudged.TURNED
    return None


def view_class(view: View, turn: float, reps: list[RepView], max_turn_deg: float) -> ViewClass:
    """The clip's view as a coach names it: a front or back view is oblique when most reps were turned beyond
    ``max_turn_deg`` (each rep's own view and turn), or, without reps, when the clip's standing ``turn`` was."""
    if view not in (View.FRONT, View.BACK):
        return ViewClass(view.value)
    if reps:
        turned = sum(judging_block(r.view, r.turn_deg, max_turn_deg, r.axis_deg) is NotJudged.TURNED for r in reps)
        oblique = turned > len(reps) / 2
    else:
        oblique = bool(abs(turn) > max_turn_deg)  # NaN (no turn read): not oblique
    return ViewClass(("oblique_" if oblique else "") + view.value)


def rep_views(track: PoseTrack, depth: np.ndarray, reps, leg_length: float, cues: TurnCues | None = None,
              axes: np.ndarray | None = None, *, bilateral: bool = True) -> list[RepView]:
    """The view of each rep on its own, so an edited clip that cuts between views is judged rep by rep.

    A rep is side-on when most of its frames are; otherwise front or back by the
    shoulders' left/right order. Its turn, in a front or back view of a bilateral squat with
    both feet seen in at least half its frames, is the median of the feet cue over the rep: the
    feet do not move with depth, while deep in a squat the head comes forward of the shoulders
    and reads a turned body more turned (and a head behind dumbbells or turned on its own
    reads a body square to the camera 5-28 degrees off; from behind the nose is only guessed).
    Otherwise (lunges and single-leg squats, whose staggered or lifted feet break the feet cue;
    feet unseen) it is the median of :func:`turn_deg` over the rep's frames above half its
    depth; but a back view's rep whose feet are out of the picture in all its frames has no turn
    (NaN): its nose is guessed (:func:`standing_turn`), and :func:`judging_block` says ``FEET_HIDDEN``.
    Vectorized over reps.

    Parameters
    ----------
    cues : TurnCues, optional
        :func:`turn_cues` of the track, if already computed.
    axes : ndarray, shape (T,), optional
        :func:`body_axis_deg` of the track, if already computed.
    bilateral : bool
        Both feet planted side by side (not a lunge or single-leg squat): the feet cue may be used.
    """
    from .groups import Segments, sort_groups

    if not reps:
        return []
    seg = Segments.from_bounds([r.start for r in reps], [r.end for r in reps])
    f = seg.frame
    cues = turn_cues(track) if cues is None else cues
    turns = cues.turn
    codes = _view_codes(track.xy, leg_length)[f]
    counts = np.stack([np.add.reduceat(codes == k, seg.first) for k in range(4)], -1)      # (n, 4)
    lens = np.diff(np.r_[seg.first, len(f)])
    kind = np.where(counts[:, 2] > 0.5 * lens, 2, np.where(counts[:, :3].any(1), np.argmax(counts[:, :3], 1), 3))
    rep_depth = np.array([r.depth for r in reps])[seg.group]
    upright = np.nan_to_num(depth[f], nan=0.0) < 0.5 * rep_depth
    g = sort_groups(turns[f], seg.group, upright, seg.n)
    everywhere = sort_groups(turns[f], seg.group, np.ones(len(f), bool), seg.n)
    turn = np.where(g.count > 0, g.quantile(0.5), everywhere.quantile(0.5))
    feet = sort_groups(cues.feet[f], seg.group, np.ones(len(f), bool), seg.n)
    use_feet = bilateral & (kind <= 1) & (feet.count >= 0.5 * lens)  # front (0) or back (1)
    turn = np.where(use_feet, feet.quantile(0.5), turn)
    # from behind the nose is guessed (:func:`standing_turn`): with the feet never in the picture, no turn is known
    inside = np.add.reduceat(feet_in_picture(track)[f], seg.first)
    turn = np.where((kind == 1) & (inside == 0), np.nan, turn)
    axis = (body_axis_deg(track) if axes is None else axes)[f]
    axis = sort_groups(axis, seg.group, np.isfinite(axis), seg.n).quantile(0.5)
    return [RepView(_VIEW_ORDER[k], float(t), float(a) if np.isfinite(a) else 0.0)
            for k, t, a in zip(kind.tolist(), turn.tolist(), axis.tolist())]


def unknown_leads(reps, views: list[RepView]) -> list:
    """``reps`` of a lunge or single-leg squat told apart by itself (not named by the user), with the lead leg of
    those filmed from behind dropped (None: neither knee is judged, ``lead_leg_unknown``).

    The two are told apart by which foot looks higher, the further one (:func:`knee_cv.reps.classify_exercise`),
    and that reverses from behind: a lunge's rear foot then comes nearer and looks lower, as a single-leg squat's
    planted foot does, and the two pick opposite legs (a real barbell lunge filmed from behind read as a
    single-leg squat, its trailing leg the standing one). Named with ``--exercise``, the lead leg is known."""
    return [dataclasses.replace(r, lead_leg=None) if v.view is View.BACK else r for r, v in zip(reps, views)]


def rep_turns(reps, views: list[RepView], n_frames: int) -> np.ndarray:
    """Each rep's turn spread over its frames, shape (``n_frames``,), degrees; 0 outside reps (the square-on
    measures of :func:`knee_cv.kinematics.square_on` are read only within reps)."""
    out = np.zeros(n_frames, np.float32)
    for r, v in zip(reps, views):
        out[r.start:r.end + 1] = v.turn_deg
    return out
