"""End-to-end checks on the real clips in ../shared/sample_videos (issue 2 and 3 must-shows)."""
from __future__ import annotations

import shutil
import subprocess

import cv2
import numpy as np
import pytest


pytestmark = pytest.mark.video


def valgus_sides(rep: dict) -> set[str]:
    return {f["side"] for f in rep["faults"] if f["code"] == "knee_valgus"}


def test_valgus_then_good(analyzed):
    rep = analyzed("squat_front_valgus_then_good.mp4").report
    assert rep["view"] == "front" and rep["exercise"] == "squat"
    reps = rep["reps"]
    assert len(reps) == 6
    early = [r for r in reps if r["bottom_s"] < 9]
    late = [r for r in reps if r["bottom_s"] > 10]
    assert len(early) == 3 and len(late) == 3
    # the right knee caves on every early rep; the left on reps 2 and 3 (its rep 1 measures +2.7 deg, inside the
    # 2x noise band below the mild onset of 5 deg: not flagged, by design)
    assert all("right" in valgus_sides(r) for r in early)
    assert sum("left" in valgus_sides(r) for r in early) >= 2
    assert all(not valgus_sides(r) for r in late)
    # the knees are judged from trusted frames, not the bottom where MediaPipe puts them on the elbows
    for r in early:
        for s in ("left", "right"):
            assert r[s]["judged_frames"] >= 3
            assert all(r["start_s"] <= t <= r["end_s"] for t in r[s]["judged_s"])
    codes = {a["code"] for e in rep["plan"]["exercises"] for a in e["addresses"]}
    assert "knee_valgus" in codes
    names = {e["name"] for e in rep["plan"]["exercises"]}
    assert {"Banded clamshell", "Banded side steps"} <= names and len(names) == len(rep["plan"]["exercises"])
    assert "swelling" in rep["safety"] and "unstable" in rep["safety"]
    assert "pelvic drop reads low" in rep["limits"] and "trunk" in rep["limits"]


@pytest.mark.parametrize("name, n_reps", [("squat_front_bodyweight_good.mp4", 10),
                                          ("squat_front_dumbbell_far.mp4", None)])
def test_good_squats_have_no_valgus(analyzed, name, n_reps):
    rep = analyzed(name).report
    if n_reps is not None:
        assert len(rep["reps"]) == n_reps
    assert rep["reps"]
    assert all(not valgus_sides(r) for r in rep["reps"])


def test_overhead_mild_valgus_right(analyzed):
    rep = analyzed("overhead_squat_front_mild_valgus_right.mov").report
    assert rep["video"]["width"] == 1080 and rep["video"]["height"] == 1920  # upright
    assert len(rep["reps"]) == 1
    assert "right" in valgus_sides(rep["reps"][0])


def test_overhead_slight_varus_has_no_valgus(analyzed):
    rep = analyzed("overhead_squat_front_slight_varus.mov").report
    assert rep["reps"] and all(not valgus_sides(r) for r in rep["reps"])


def test_side_view_refused_without_flags(analyzed):
    rep = analyzed("squat_side_view.mp4").report
    assert rep["view"] == "side"
    assert any("side view" in w["message"] and w["code"] == "side_view" for w in rep["warnings"])
    assert all(not r["faults"] for r in rep["reps"])
    # no frontal-plane number either: the hip and shoulder lines seen from the side are not a pelvic drop
    assert all(r["pelvic_drop_deg"] is None and r["trunk_lean_deg"] is None and r["hip_verdict"] == "not judged"
               and r["hip_reason"] == "side_view" for r in rep["reps"])
    # and no knee is called ok: every knee of every rep is "not judged" because of the side view
    assert all(r[s]["verdict"] == "not judged" and r[s]["reason"] == "side_view" for r in rep["reps"]
               for s in ("left", "right"))


def test_lunge_with_lead_legs(analyzed):
    rep = analyzed("lunge_front_oblique.mp4").report
    assert rep["exercise"] == "lunge"
    assert len(rep["reps"]) >= 4
    leads = [r["lead_leg"] for r in rep["reps"]]
    assert set(leads) == {"left", "right"}  # alternating lunges use both legs
    assert all(a != b for a, b in zip(leads, leads[1:]))
    # turned ~45 deg from the camera: the hip line is foreshortened and read 10 deg of drop on this good lunge
    assert any("turned" in w["message"] for w in rep["warnings"])
    assert all(r["hip_verdict"] == "not judged" and r["hip_reason"] == "turned" and r["pelvic_drop_deg"] is None
               and not r["faults"] for r in rep["reps"])
    assert all(r[s]["reason"] == "turned" for r in rep["reps"] for s in ("left", "right"))


def test_an_oblique_clip_is_named_oblique_in_every_output(analyzed, tmp_path):
    """A front view turned beyond the judged range is "oblique front" in report.json, the terminal, the batch
    summary and the PDF, with the turn read (one set of words in ``present``)."""
    from knee_cv import present as P
    from knee_cv.batch import Job, _row, summary_csv
    from knee_cv.codes import ViewClass
    from knee_cv.pdf import write_pdf
    from knee_cv.report import summary_text

    res = analyzed("lunge_front_oblique.mp4")
    rep, a = res.report, res.analysis
    assert rep["view"] == "front" and rep["view_class"] == "oblique_front" and a.view_class is ViewClass.OBLIQUE_FRONT
    words = P.view_words(a.view_class, a.yaw_deg)
    assert words == f"oblique front view (body turned {abs(rep['body_yaw_deg']):.0f}°)"
    assert words in summary_text(res)
    row = _row(Job("clip.mp4", "o", "c"), "analyzed", rep, "x", 0.0)
    assert row["view_class"] == "oblique_front" and ",oblique_front," in summary_csv([row])
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) not installed")
    write_pdf(tmp_path / "r.pdf", res)
    first = subprocess.run(["pdftotext", "-layout", "-l", "1", str(tmp_path / "r.pdf"), "-"], capture_output=True,
                           text=True).stdout
    assert "View: " + P.view_words(a.view_class, a.yaw_deg, noun=False) in first


def test_single_rep_clip(analyzed):
    rep = analyzed("squat_front_single_rep_barbell.mp4").report
    assert len(rep["reps"]) == 1 and not valgus_sides(rep["reps"][0])


def test_person_followed_with_people_on_tv(analyzed):
    res = analyzed("squat_front_people_on_tv_background.mp4")
    reps = res.report["reps"]
    assert len(reps) >= 12
    # the followed body stays the large foreground person: leg length varies little
    legs = np.linalg.norm(res.analysis.track.xy[:, 23] - res.analysis.track.xy[:, 27], axis=-1)
    assert np.nanmedian(legs) > 0.25 * res.report["video"]["height"]


def test_outputs_pdf_and_annotated_video(analyzed):
    res = analyzed("squat_front_valgus_then_good.mp4", pdf=True, annotate=True)
    out = res.out_dir
    for f in ("report.json", "reps.csv", "frames.csv", "landmarks.npz", "report.pdf", "annotated.mp4"):
        assert (out / f).stat().st_size > 0, f
    assert len((out / "reps.csv").read_text().splitlines()) == 1 + 6 * 2
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) not installed")
    info = subprocess.run(["pdfinfo", str(out / "report.pdf")], capture_output=True, text=True).stdout
    pages = int(next(ln.split()[-1] for ln in info.splitlines() if ln.startswith("Pages")))
    text_pages = subprocess.run(["pdftotext", str(out / "report.pdf"), "-"], capture_output=True,
                                text=True).stdout.split("\f")
    plan = [p for p in text_pages if "Training plan" in p]
    assert pages == 1 + 6 + len(plan) and plan
    for k in range(1, 7):
        page = text_pages[k]
        assert f"Rep {k}" in page
        flagged = "caves in" in page.split("Flagged:")[1].split("\n")[0]
        assert flagged == (k <= 3), page[:300]
    assert "When to see a professional" in "".join(plan) and "swelling" in "".join(plan)
    # annotated video: same frame count, red knee line at the worst moment of rep 1
    cap = cv2.VideoCapture(str(out / "annotated.mp4"))
    assert int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) == res.report["video"]["frames"]
    worst = res.report["reps"][0]["worst_s"]
    cap.set(cv2.CAP_PROP_POS_FRAMES, round(worst * res.report["video"]["fps"]))
    ok, img = cap.read()
    assert ok
    b, g, r = (img[..., k].astype(int) for k in range(3))
    red = (r > 170) & (g < 90) & (b < 90)
    legs = res.analysis.track.xy[round(worst * res.report["video"]["fps"])][[25, 26, 31, 32]]
    y0, y1 = int(legs[:, 1].min()), int(legs[:, 1].max())
    assert red[y0:y1].sum() > 50


GOOD_CLIPS = ("squat_front_bodyweight_good.mp4", "squat_front_dumbbell_far.mp4",
              "squat_front_people_on_tv_background.mp4")


def test_no_severity_onset_within_twice_the_measured_noise(analyzed):
    """Issue 13: each onset, and each step between severities, clears 2x the rep-to-rep SD of its measure
    on labelled-good reps (pooled within clips, as scripts/noise_real.py does)."""
    from knee_cv.settings import Settings

    groups = []
    for name in GOOD_CLIPS:
        rep = analyzed(name).report
        for side in ("left", "right"):
            v = [r[side]["knee_valgus_deg"] for r in rep["reps"] if r[side]["judged"]]
            if len(v) >= 3:
                groups.append(np.array(v))
    good = analyzed("squat_front_valgus_then_good.mp4").report["reps"][3:]  # reps 4-6 are the good ones
    groups += [np.array([r[s]["knee_valgus_deg"] for r in good]) for s in ("left", "right")]
    dof = sum(len(g) - 1 for g in groups)
    sd = np.sqrt(sum((len(g) - 1) * np.var(g, ddof=1) for g in groups) / dof)
    assert dof >= 30 and 1.0 < sd < 5.0
    th = Settings().faults.valgus_squat
    cuts = (th.mild, th.moderate, th.severe)
    assert th.mild >= 2 * sd, (th.mild, sd)
    assert all(b - a >= 2 * sd for a, b in zip(cuts, cuts[1:])), (cuts, sd)
