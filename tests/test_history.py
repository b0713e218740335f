"""A subject's history: the SQLite store, the table and plot, the comparison, and a damaged or old file."""
from __future__ import annotations

import json
import multiprocessing
import sqlite3
from pathlib import Path

import pytest

from knee_cv.history import APP_ID, SCHEMA_V1, History, HistoryError
from knee_cv.progress import SessionSummary, change, history_rows

REPORT = {"exercise": "squat", "view": "front", "tool": {"version": "0.1.0"}, "analyzed_at": "2026-11-21T10:00:00",
          "session": {"subject": "Ana", "date": "2026-01-05", "notes": None}}


def _report(values: list[float], date: str = "2026-01-05") -> dict:
    """A report.json document with one rep per value (both knees get it; the hip is level)."""
    reps = [{"index": k + 1, "worst_s": 1.0 + k,
             **{s: {"judged": True, "verdict": "mild" if v > 5 else "ok", "reason": None, "knee_valgus_deg": v,
                    "fppa_deg": v, "knee_toe_medial_pct": 1.0} for s in ("left", "right")},
             "hip_judged": True, "hip_verdict": "ok", "hip_reason": None, "pelvic_drop_signed_deg": 0.5}
            for k, v in enumerate(values)]
    return {**REPORT, "session": {**REPORT["session"], "date": date}, "reps": reps}


def _record(db: Path, report: dict, sha: str, settings: str = "s1") -> int:
    with History(db) as h:
        return h.record(report, subject="Ana", settings_hash=settings, report_path="/r", video_sha256=sha)


def test_same_video_and_settings_update_the_session_and_delete_removes_everything(tmp_path):
    db = tmp_path / "h.sqlite3"
    first = _record(db, _report([10.0, 12.0]), "aaa")
    again = _record(db, _report([1.0, 2.0, 3.0]), "aaa")           # re-analysed: same session, new numbers
    other = _record(db, _report([1.0]), "aaa", settings="s2")       # other settings: a session of its own
    assert first == again != other
    with History(db) as h:
        rows = h.sessions("Ana")
        assert [len(r.values("left")) for r in rows] == [3, 1]
        assert h.subjects() == [("Ana", 2, "2026-01-05")]
        assert h.delete("Ana") == 2
        assert h.subjects() == []
        assert h.db.execute("SELECT COUNT(*) FROM rep").fetchone()[0] == 0   # cascade: no orphaned rows


def _writer(args) -> None:
    db, k = args
    for i in range(15):
        _record(Path(db), _report([float(i)]), f"w{k}-{i}")


def test_two_batch_workers_writing_at_once_lose_nothing(tmp_path):
    db = tmp_path / "h.sqlite3"
    _record(db, _report([0.0]), "first")  # created before the workers start, as batch does
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        pool.map(_writer, [(str(db), 0), (str(db), 1)])
    with History(db) as h:
        assert len(h.sessions("Ana")) == 1 + 2 * 15
        assert h.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_a_truncated_or_foreign_file_is_refused_and_left_untouched(tmp_path):
    db = tmp_path / "h.sqlite3"
    for i in range(40):  # enough rows for several pages
        _record(db, _report([float(i)] * 20), f"v{i}")
    data = db.read_bytes()
    db.write_bytes(data[: len(data) // 2])
    cut = db.read_bytes()
    with pytest.raises(HistoryError, match="truncated") as err:
        History(db).__enter__()
    assert "\n" not in str(err.value) and db.read_bytes() == cut
    assert not Path(str(db) + "-wal").exists() or Path(str(db) + "-wal").stat().st_size == 0
    text = tmp_path / "notes.txt"
    text.write_text("my notes, not a database\n" * 10)
    with pytest.raises(HistoryError, match="not a knee-cv history"):
        History(text).__enter__()
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as con:
        con.execute("CREATE TABLE accounts (id INTEGER)")
    before = other.read_bytes()
    with pytest.raises(HistoryError, match="another program"):
        History(other).__enter__()
    assert other.read_bytes() == before


def test_a_first_version_file_is_migrated_with_its_data(tmp_path):
    db = tmp_path / "v1.sqlite3"
    con = sqlite3.connect(db)
    con.executescript(SCHEMA_V1)
    con.execute(f"PRAGMA application_id = {APP_ID}")
    con.execute("PRAGMA user_version = 1")
    con.execute("INSERT INTO subject(name) VALUES ('Ana')")
    con.execute("INSERT INTO session(subject_id, date, exercise, settings_hash, video_sha256, report_path) "
                "VALUES (1, '2025-12-01', 'squat', 's', 'old', '/old')")
    con.execute("INSERT INTO rep VALUES (1, 1, 'left', 1, 'mild', NULL, 9.5)")
    con.commit()
    con.close()
    with History(db) as h:
        assert h.db.execute("PRAGMA user_version").fetchone()[0] == 2
        (old,) = h.sessions("Ana")
        assert (old.view, old.tool_version, old.values("left")) == ("unknown", "", [9.5])
        assert old.parts[0].fppa_deg is None
    _record(db, _report([1.0]), "new")  # and the migrated file takes new sessions
    with History(db) as h:
        assert len(h.sessions("Ana")) == 2


def test_change_is_judged_against_the_smallest_detectable_difference():
    assert change("right", 19.3, -14.4) == "right knee: +19 → -14 deg, improved beyond measurement noise (8.9 deg)"
    assert change("left", -6.4, -14.4).endswith("within measurement noise (less than 8.9 deg)")
    assert "worse beyond" in change("right", 0.0, 12.0)
    assert "not judged in one or both sessions" in change("hip", None, 1.0)


@pytest.mark.video
def test_three_sessions_from_real_clips_show_the_knee_getting_better(tmp_path, analyzed, capsys):
    from knee_cv.cli import main

    from knee_cv.api import analyze
    from knee_cv.demo import render_video
    from knee_cv.mannequin import RepSpec, Scenario

    db = tmp_path / "history.sqlite3"
    # session 1: the demo's mannequin with 12 cm of valgus on every rep; then two real clips with the knees
    # over the toes
    render = render_video(Scenario(reps=(RepSpec((12.0, 12.0)),) * 3), tmp_path / "valgus.mp4")
    first = analyze(render, out_dir=tmp_path / "render", progress=False, pdf=False, annotate=False)
    results = [(first, "mannequin", "2026-01-05"),
               (analyzed("squat_front_people_on_tv_background.mp4"), "tv", "2026-02-02"),
               (analyzed("squat_front_bodyweight_good.mp4"), "bodyweight", "2026-03-02")]
    folders = []
    for result, name, date in results:
        rep = dict(result.report, session={"subject": "Ana", "date": date, "notes": None})
        with History(db) as h:
            h.record(rep, subject="Ana", settings_hash="default", report_path=str(result.out_dir),
                     video_sha256=name)
        folders.append(result.out_dir)
    with History(db) as h:
        sessions = h.sessions("Ana")
    right = [SessionSummary.from_row(s).median["right"] for s in sessions]
    assert right[0] > right[1] > right[2] and right[0] - right[2] > 8.9   # better, session by session
    table = history_rows(sessions)
    col = table[0].index("right median")
    assert [float(r[col]) for r in table[1:]] == pytest.approx(right, abs=0.05)
    out = tmp_path / "hist"
    assert main(["history", "Ana", "--db", str(db), "--out", str(out), "--csv", str(out / "h.csv")]) == 0
    printed = capsys.readouterr().out
    assert "2026-01-05" in printed and "2026-03-02" in printed
    assert (out / "history.pdf").read_bytes()[:5] == b"%PDF-" and (out / "history.png").stat().st_size > 10_000
    assert len((out / "h.csv").read_text().splitlines()) == 4
    assert main(["compare", str(folders[0]), str(folders[2]), "--out", str(out)]) == 0
    said = capsys.readouterr().out
    assert "right knee:" in said and "improved beyond measurement noise" in said
    assert (out / "compare.pdf").read_bytes()[:5] == b"%PDF-"
    by_id = [str(s.id) for s in sessions]
    assert main(["compare", by_id[0], by_id[2], "--db", str(db), "--out", str(tmp_path / "c2")]) == 0
    assert "improved beyond measurement noise" in capsys.readouterr().out
    assert json.loads((folders[0] / "report.json").read_text())["exercise"] == "squat"


def test_history_cli_lists_and_deletes_only_after_confirmation(tmp_path, capsys, monkeypatch):
    from knee_cv.cli import main

    db = tmp_path / "h.sqlite3"
    _record(db, _report([3.0]), "x")
    assert main(["history", "--list", "--db", str(db)]) == 0
    assert "Ana" in capsys.readouterr().out
    monkeypatch.setattr("builtins.input", lambda prompt: "n")
    assert main(["history", "Ana", "--delete", "--db", str(db)]) == 1
    with History(db) as h:
        assert len(h.sessions("Ana")) == 1
    assert main(["history", "Ana", "--delete", "--yes", "--db", str(db)]) == 0
    with History(db) as h:
        assert h.subjects() == []
    assert main(["history", "Nobody", "--db", str(db)]) == 2
    assert "no subject 'Nobody'" in capsys.readouterr().err


def _unjudged(report: dict, side: str, reason: str, reps: slice) -> dict:
    """``report`` with ``side``'s knee not judged (``reason``) on the reps of the slice."""
    out = json.loads(json.dumps(report))
    for r in out["reps"][reps]:
        r[side] = {**r[side], "judged": False, "verdict": "not judged", "reason": reason, "knee_valgus_deg": None}
    return out


def test_a_knee_never_judged_in_a_session_says_not_judged_and_why_in_the_table_csv_plot_and_comparison(
        tmp_path, capsys):
    import csv
    import io
    import shutil
    import subprocess

    from knee_cv.cli import main

    db = tmp_path / "h.sqlite3"
    _record(db, _report([12.0, 14.0, 2.0], date="2026-01-05"), "a")
    turned = _unjudged(_unjudged(_report([1.0, 2.0], date="2026-02-05"), "left", "turned", slice(None)),
                       "right", "turned", slice(None))
    _record(db, turned, "b")
    _record(db, _unjudged(_report([-3.0, -4.0, 9.0, -5.0], date="2026-03-05"), "right", "knee_hidden", slice(2, 3)),
            "c")
    out = tmp_path / "hist"
    assert main(["history", "Ana", "--db", str(db), "--out", str(out), "--csv", str(out / "h.csv")]) == 0
    text = capsys.readouterr().out
    row2 = next(ln for ln in text.splitlines() if "2026-02-05" in ln)
    assert row2.count("not judged") == 2 and "ok" not in row2 and "0%" not in row2.split("  squat")[1][:60]
    assert "session 2: left knee 2 of 2 reps (body turned); right knee 2 of 2 reps (body turned)" in text
    assert "session 3: right knee 1 of 4 reps (knee hidden)" in text
    rows = list(csv.DictReader(io.StringIO((out / "h.csv").read_text())))
    assert [r["left_median_deg"] for r in rows] == ["12.0", "", "-3.5"]      # numbers, not "'+12.0" text
    assert [r["right_worst_deg"] for r in rows] == ["14.0", "", "-3.0"]      # the knee-hidden rep's 9.0 is left out
    assert [(r["right_judged_reps"], r["right_reps"], r["right_not_judged_reason"]) for r in rows] == [
        ("3", "3", ""), ("0", "2", "turned"), ("3", "4", "knee_hidden")]
    assert rows[1]["left_flagged_share"] == "" and rows[0]["left_flagged_share"] == "0.667"
    assert main(["compare", "1", "2", "--db", str(db), "--out", str(tmp_path / "cmp")]) == 0
    said = capsys.readouterr().out
    assert "left knee: not judged in the after session (body turned), no comparison" in said
    assert "hip: +0 → +0 deg" in said
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) not installed: the plot and compare PDF were not read")
    plot = subprocess.run(["pdftotext", str(out / "history.pdf"), "-"], capture_output=True, text=True).stdout
    assert plot.count("not judged") == 2 and plot.count("(body turned)") == 2 and "3 of 4 reps judged" in plot
    page = subprocess.run(["pdftotext", "-layout", str(tmp_path / "cmp" / "compare.pdf"), "-"], capture_output=True,
                          text=True).stdout
    assert "not judged (body turned)" in page and "no knee was judged" in page
