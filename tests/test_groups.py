"""Grouped reductions must equal the per-group numpy results they replace."""
import numpy as np
import pytest

from knee_cv.groups import Segments, sort_groups
from knee_cv.settings import Threshold


def test_segments_flatten_inclusive_ranges():
    seg = Segments.from_bounds([2, 10, 11], [4, 11, 11])
    assert seg.frame.tolist() == [2, 3, 4, 10, 11, 11]
    assert seg.group.tolist() == [0, 0, 0, 1, 1, 2]
    with pytest.raises(ValueError):
        Segments.from_bounds([5], [4])


@pytest.mark.parametrize("q", [0.0, 0.5, 0.8, 1.0])
def test_group_quantile_argmax_members_match_numpy(q):
    rng = np.random.default_rng(0)
    value = rng.normal(size=500)
    value[rng.random(500) < 0.05] = np.nan       # NaNs are ignored
    group = np.sort(rng.integers(0, 40, 500))
    mask = rng.random(500) < 0.7
    srt = sort_groups(value, group, mask, 42)     # groups 40, 41 are empty
    got_q, got_arg, members = srt.quantile(q), srt.argmax(), srt.members()
    for g in range(42):
        sel = np.flatnonzero((group == g) & mask & ~np.isnan(value))
        assert members[g].tolist() == sel.tolist()
        if sel.size == 0:
            assert np.isnan(got_q[g]) and got_arg[g] == -1
            continue
        assert got_q[g] == pytest.approx(np.percentile(value[sel], 100 * q), abs=1e-12)
        assert value[got_arg[g]] == value[sel].max()


def test_threshold_grade_matches_severity():
    for th in (Threshold(1, 2, 3, "deg", "x"), Threshold(-1, -2, -3, "deg", "x", below=True)):
        vals = np.array([-4, -3, -2.5, -2, -1, 0, 1, 2, 2.5, 3, 4, np.nan])
        names = [th.severity(v) for v in vals]
        assert [(None, "mild", "moderate", "severe")[g] for g in th.grade(vals)] == names
