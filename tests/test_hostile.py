"""Hostile input (issue 15, first part): each case fails with a one-line error and the documented exit code,
or works; nothing ends in a traceback or a silently wrong result."""
from __future__ import annotations

import csv
import io
import json

import numpy as np
import pytest

from knee_cv.cli import main
from knee_cv.track import PoseTrack
from synth import squat_track


def _run(capsys, *argv) -> tuple[int, list[str]]:
    code = main([*map(str, argv)])
    err = capsys.readouterr().err.strip().splitlines()
    return code, err


def _save(path, track: PoseTrack, **meta):
    np.savez_compressed(path, xyz=track.xyz, visibility=track.visibility, t=track.t,
                        size=np.array([track.width, track.height]), fps=np.array(track.fps),
                        **{f"meta_{k}": np.array(v) for k, v in meta.items()})
    return path


@pytest.mark.parametrize("case, change, needle", [
    ("fps 0", dict(fps=0.0), "frame rate"),
    ("fps nan", dict(fps=float("nan")), "frame rate"),
    ("fps -30", dict(fps=-30.0), "frame rate"),
    ("scaled 1e30", dict(scale=1e30), "outside the"),
    ("inf frames", dict(inf=True), "infinite"),
    ("warnings not JSON", dict(meta={"warnings": "not json"}), "damaged metadata"),
    ("warnings not a list", dict(meta={"warnings": "{\"a\": 1}"}), "damaged metadata"),
    ("frames_announced abc", dict(meta={"frames_announced": "abc"}), "damaged metadata"),
])
def test_bad_landmark_files_are_one_line_errors(tmp_path, capsys, case, change, needle):
    tr = squat_track(reps=2)
    xyz = tr.xyz.copy()
    if "scale" in change:
        xyz = xyz * np.float32(change["scale"])
    if change.get("inf"):
        xyz[5, 23, 0] = np.inf
    fps = change.get("fps", tr.fps)
    np.savez_compressed(tmp_path / "lm.npz", xyz=xyz, visibility=tr.visibility, t=tr.t,
                        size=np.array([tr.width, tr.height]), fps=np.array(fps),
                        **{f"meta_{k}": np.array(v) for k, v in change.get("meta", {}).items()})
    code, err = _run(capsys, "analyze", "--from-landmarks", tmp_path / "lm.npz", "--out", tmp_path / "o", "--no-pdf")
    assert code == 2 and len(err) == 1 and needle in err[0], (case, err)
    assert not (tmp_path / "o" / "report.json").exists()


def test_control_characters_in_names_never_reach_the_terminal(tmp_path, capsys):
    name = "evil\x1b]0;pwned\x07.npz"
    _save(tmp_path / name, squat_track(reps=2), video_path=str(tmp_path / "clip\x1b[31m.mp4"))
    code = main(["analyze", "--from-landmarks", str(tmp_path / name), "--out", str(tmp_path / "o"), "--no-pdf"])
    out = capsys.readouterr().out
    assert code == 0 and "\x1b" not in out and "\\x1b" in out


def test_batch_summary_csv_neutralises_formulas():
    from knee_cv.batch import summary_csv

    rows = [{"path": "=HYPERLINK(\"http://x\")", "status": "failed", "reason": "-bad", "subject": "=cmd"},
            {"path": "+1.mp4", "status": "failed", "reason": "@x", "subject": "-x"}]
    cells = [c for row in csv.reader(io.StringIO(summary_csv(rows))) for c in row[:2] + row[-1:]][3:]
    assert all(c.startswith("'") for c in cells), cells


def test_report_json_has_no_nan_even_when_nothing_is_measured(tmp_path):
    from knee_cv.cli import main as cli

    tr = squat_track(reps=2, depth_px=10.0)  # no reps: most numbers undefined
    _save(tmp_path / "lm.npz", tr)
    assert cli(["analyze", "--from-landmarks", str(tmp_path / "lm.npz"), "--out", str(tmp_path / "o"),
                "--no-pdf"]) == 0
    text = (tmp_path / "o" / "report.json").read_text()
    json.loads(text, parse_constant=lambda c: pytest.fail(f"non-standard JSON constant {c}"))


@pytest.mark.parametrize("suffix", [".png", ".jpg"])
def test_a_still_image_is_not_a_video(tmp_path, capsys, suffix):
    import cv2

    img = tmp_path / f"photo{suffix}"
    cv2.imwrite(str(img), np.full((120, 160, 3), 128, np.uint8))
    code, err = _run(capsys, "analyze", img, "--out", tmp_path / "o")
    assert code == 2 and len(err) == 1 and "single frame" in err[0], err


@pytest.mark.parametrize("argv, code_, needle", [
    (["--camera", "-1"], 2, "0 or more"),
    (["--record", "{tmp}"], 2, "ending in .mp4"),
    (["--record", "{tmp}/blocker/x.mp4"], 5, "folder for --record"),
])
def test_live_refuses_bad_arguments_before_the_camera_opens(tmp_path, capsys, argv, code_, needle):
    (tmp_path / "blocker").write_text("a file where a folder should be")
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    code, err = _run(capsys, "live", "--headless", "--out", tmp_path / "o", *argv)
    assert code == code_ and len(err) == 1 and needle in err[0], err
