"""Camera cuts: a pasted zoom or pan is found and undone; glitches, new poses and a moving camera are not cuts."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from synth import squat_track

from knee_cv import present as P
from knee_cv.analysis import analyze_track
from knee_cv.camera import BODY, CutSettings, find_cuts
from knee_cv.settings import Settings

NO_CUTS = Settings(cuts=CutSettings(min_jump=100.0, move_window_s=60.0))  # no cut search, no move search


def _edited(track, start: int, zoom: float, shift: tuple[float, float], stop: int | None = None):
    """``track`` with frames ``start:stop`` filmed zoomed by ``zoom`` (about the picture's origin), then shifted."""
    xyz = track.xyz.copy()
    xyz[start:stop] *= zoom
    xyz[start:stop, :, :2] += np.array(shift, np.float32)
    return track.replace(xyz=xyz)


def _words(a) -> list[str]:
    return [P.verdict_word(v) for r in a.reps for v in r.knee_verdicts]


def _values(a) -> np.ndarray:
    return np.array([s.valgus_measure_deg for r in a.reps for s in r.sides])


@pytest.fixture(scope="module")
def squats():
    """Four squats, the knees caving 25 px; a cut mid-way down the third rep."""
    return squat_track(reps=4, knee_shift_px=(25.0, 10.0)), 30 + 2 * 60 + 15


@pytest.mark.parametrize("zoom, shift", [(0.8, (60.0, 100.0)), (1.0, (0.0, 64.0)), (1.2, (-64.0, 0.0))])
def test_a_pasted_zoom_or_pan_is_found_and_undone(squats, zoom, shift):
    track, cut = squats
    edited = _edited(track, cut, zoom, shift)
    cuts = find_cuts(edited)
    assert cuts is not None and cuts.frames.tolist() == [cut]
    assert cuts.scale[cut] == pytest.approx(1 / zoom, rel=1e-3)
    np.testing.assert_allclose(cuts.steady(edited).xy[:, BODY], track.xy[:, BODY], atol=0.5)
    np.testing.assert_allclose(cuts.to_picture(cuts.steady(edited)).xy, edited.xy, atol=0.01)
    want, got, blind = analyze_track(track), analyze_track(edited), analyze_track(edited, NO_CUTS)
    assert len(got.reps) == 4 and _words(got) == _words(want)
    np.testing.assert_allclose(_values(got), _values(want), atol=0.5)
    assert np.nanmax(np.abs(_values(blind) - _values(want))) > 2  # uncorrected, the cut moves the measures
    assert sum("picture jumps at" in w for w in got.warnings) == 1
    # drawn where it was filmed: the analysis's track is in the edited picture
    np.testing.assert_allclose(got.track.xy[cut + 5, BODY], edited.xy[cut + 5, BODY], atol=3.0)


def test_a_glitch_a_new_pose_or_a_moving_camera_is_not_a_cut(squats):
    track, cut = squats
    glitch = _edited(track, cut, 1.0, (0.0, 80.0), stop=cut + 1)  # one frame off, then back
    assert find_cuts(glitch) is None
    other = track.replace(xyz=track.xyz.copy())
    other.xyz[cut:, :, 0] = 320 + 0.3 * (other.xyz[cut:, :, 0] - 320)  # a side-on shot: not a zoom of the pose
    assert find_cuts(other) is None
    drift = track.replace(xyz=track.xyz.copy())
    drift.xyz[:, :, 1] += np.linspace(0, 120, len(track), dtype=np.float32)[:, None]  # a camera tilting smoothly
    assert find_cuts(drift) is None


def test_frames_without_a_person_are_skipped_quietly(squats):
    import warnings

    track, cut = squats
    edited = _edited(track, cut, 0.8, (60.0, 100.0))
    edited.xyz[:5] = edited.xyz[60:70] = np.nan  # nobody found in these frames
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "All-NaN slice" on the user's terminal
        cuts = find_cuts(edited)
    assert cuts.frames.tolist() == [cut] and cuts.scale[cut] == pytest.approx(1.25, rel=1e-3)


def test_a_cut_setting_is_read_from_a_settings_file(tmp_path):
    from knee_cv.settings import load_settings

    path = tmp_path / "s.toml"
    path.write_text("[cuts]\nmin_jump = 0.2\n")
    assert load_settings(path).cuts == dataclasses.replace(CutSettings(), min_jump=0.2)


def test_two_cuts_are_undone_one_after_the_other(squats):
    """A zoom out mid-way down rep 3, then a move between reps 3 and 4: each later shot maps back onto the
    first through the shots before it. The second cut falls where the hips turn from rising to sinking, so
    the pose moved on at its speed overshoots: its zoom reads 0.9 % off (within 0.02 L on the picture)."""
    track, cut = squats
    second = 30 + 3 * 60  # rep 3 ends, rep 4 begins
    edited = _edited(_edited(track, cut, 0.8, (60.0, 100.0)), second, 1.0, (-40.0, 70.0))
    cuts = find_cuts(edited)
    assert cuts is not None and cuts.frames.tolist() == [cut, second]
    np.testing.assert_allclose(cuts.steady(edited).xy[:, BODY], track.xy[:, BODY], atol=0.02 * 400)
    np.testing.assert_allclose(_values(analyze_track(edited)), _values(analyze_track(track)), atol=1.0)
