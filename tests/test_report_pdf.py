"""The report a coach hands over: the training plan, page 1, the session metadata and the rep pages."""
from __future__ import annotations

import dataclasses
import shutil
import subprocess

import numpy as np
import pytest

from knee_cv import exercises as ex
from knee_cv.analysis import analyze_track
from knee_cv.api import Result
from knee_cv.codes import FaultCode, Severity, Side
from knee_cv.faults import FaultSummary
from knee_cv.meta import ModelMeta, Session, VideoMeta
from knee_cv.pdf import write_pdf

from synth import squat_track


def _valgus(reps: int):
    return analyze_track(squat_track(reps=reps, knee_shift_px=(40.0, 70.0), pelvic_drop_deg=8.0))


def _pdf_text(path) -> list[str]:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) not installed")
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout.split("\f")


def _write(tmp_path, a, name: str, session: Session = Session()):
    video = VideoMeta(f"{name}.mp4", 30.0, len(a.track), len(a.track), 640, 800, len(a.track) / 30.0)
    path = tmp_path / f"{name}.pdf"
    write_pdf(path, Result(a, video, ModelMeta("full", ""), tmp_path, session=session, analyzed_at="2026-11-21"))
    return path


def test_plan_lists_each_exercise_once_and_does_not_grow_with_reps():
    six, twenty = _valgus(6), _valgus(20)
    assert {f.code for f in six.faults} >= {FaultCode.KNEE_VALGUS, FaultCode.HIP_DROP}
    for a in (six, twenty):
        names = [i.drill.name for i in a.plan.items]
        assert len(names) == len(set(names)) > 0
        # every found fault is addressed by some exercise, and each exercise says which
        addressed = {pair for i in a.plan.items for pair in i.addresses}
        assert {(f.code, f.side) for f in a.faults if f.code is not FaultCode.ASYMMETRY} <= addressed
        assert len(a.plan.cues) == len({c.text for c in a.plan.cues})
    assert len(six.reps) == 6 and len(twenty.reps) == 20
    assert [i.drill.name for i in six.plan.items] == [i.drill.name for i in twenty.plan.items]


def test_dose_follows_severity_and_severe_starts_with_mobility():
    def fault(sev):
        return FaultSummary(FaultCode.KNEE_VALGUS, Side.RIGHT, (1, 2), 3, sev, 12.0, 5.0, "deg")
    mild, severe = ex.build_plan([fault(Severity.MILD)]), ex.build_plan([fault(Severity.SEVERE)])
    assert all(i.dose.startswith("2 ") for i in mild.items)
    assert all(i.dose.startswith("3 ") for i in severe.items)
    assert mild.items[0].drill.kind == "strength" and severe.items[0].drill.kind == "mobility"
    assert "gradually" in ex.DOSE_RULE and "several weeks" in ex.DOSE_RULE


def test_user_text_cites_titles_and_plain_cues():
    files = {s.file for s in (ex.VALGUS_DOC, ex.HIP_DOC, ex.REALIGN_DOC, ex.COACH_DOC, ex.METRICS_DOC)}
    texts = [ex.SAFETY, ex.MEASUREMENT_LIMITS, ex.DOSE_RULE] + [c.text for cs in ex.CUES.values() for c in cs]
    texts += [f"{d.how} {d.why}" for d in ex.LIBRARY]
    assert not any(f in t or f.rsplit(".", 1)[0] in t for f in files for t in texts)
    assert not any("Screw your hips into the ground" == c.text for cs in ex.CUES.values() for c in cs)


def test_pdf_pages_say_the_plan_once_with_titles_and_the_session(tmp_path):
    a = _valgus(20)
    pages = _pdf_text(_write(tmp_path, a, "twenty", Session("Ana $Q$ <x>", "2026-03-04", "after ACL rehab")))
    first, plan = pages[0], "\n".join(pages[21:])
    assert "Subject: Ana $Q$ <x>" in first and "2026-03-04" in first and "after ACL rehab" in first
    assert "Start with these exercises" in first and "When to see a professional" in first
    assert len([p for p in pages if p.strip()]) == 1 + 20 + 1  # summary, a page per rep, a one-page plan
    for item in a.plan.items:
        assert plan.count(item.drill.name) == 1
    assert "Knee Valgus: Causes and Corrective Exercises" in plan and ".txt" not in plan and ".md" not in plan
    assert "knee_valgus" not in "\n".join(pages) and "hip_drop" not in "\n".join(pages)


def test_rep_page_puts_one_sided_numbers_under_their_side(tmp_path):
    a = _valgus(2)
    r = a.reps[0]
    assert r.pelvic_drop_side is Side.LEFT  # the synthetic drop lowers the subject's left hip
    rep_page = _pdf_text(_write(tmp_path, a, "two"))[1]
    row = next(ln for ln in rep_page.splitlines() if ln.strip().startswith("Pelvic drop (deg, lower side)"))
    left, right = row.split(")")[-1].split()
    assert right == "—" and abs(float(left) - abs(r.pelvic_drop_deg)) < 0.01


def test_session_rejects_a_bad_date():
    from knee_cv.errors import InputError
    with pytest.raises(InputError, match="YYYY-MM-DD"):
        Session(date="21/11/2026")
    assert Session(date="2026-11-21").date == "2026-11-21"
    assert dataclasses.replace(Session(subject="  "), notes="n").subject is None


def test_report_json_follows_the_schema_and_the_schema_catches_drift(tmp_path):
    import jsonschema

    from knee_cv.report import to_dict
    from knee_cv.schema import report_schema

    a = _valgus(3)
    video = VideoMeta("clip.mp4", 30.0, len(a.track), len(a.track), 640, 800, len(a.track) / 30.0)
    doc = to_dict(Result(a, video, ModelMeta("full", ""), tmp_path, session=Session("Ann", "2026-01-02", None),
                         analyzed_at="2026-01-02T10:00:00+00:00"))
    validator = jsonschema.Draft202012Validator(report_schema())
    assert not list(validator.iter_errors(doc))
    assert doc["schema_version"] == 3 and doc["tool"]["name"] == "knee-cv" and doc["session"]["subject"] == "Ann"
    doc["reps"][0]["left"]["verdict"] = "n/a"          # a verdict word that is not in the vocabulary
    doc["surprise"] = 1                               # a field the schema does not document
    assert len(list(validator.iter_errors(doc))) == 2


def _precheck(track, image):
    from knee_cv.guide import PreCheck
    check, out = PreCheck(fps=30.0), []
    for k in range(len(track)):
        out += check.update(image, track.xyz[k], track.visibility[k])
    return out


def test_precheck_names_filming_problems_early():
    from knee_cv.present import filming_line

    bright = np.full((800, 640, 3), 160, np.uint8)
    track = squat_track(reps=2)
    assert _precheck(track, bright) == []                          # a good front view: nothing to say
    assert _precheck(track, np.zeros_like(bright)) == [filming_line("light")]
    cut = track.replace(xyz=track.xyz * np.array([1, 1.6, 1], np.float32))  # feet below the picture's edge
    assert filming_line("feet") in _precheck(cut, bright)
    side = track.xyz.copy()
    side[:, :, 0] = 320 + 0.1 * (side[:, :, 0] - 320)              # everything squeezed sideways: side-on
    assert filming_line("front") in _precheck(track.replace(xyz=side), bright)


def test_precheck_says_too_dark_as_the_report_does_once_the_person_is_seen():
    """Fed the caller's :class:`knee_cv.guide.Exposure`, the early check judges the light by the person, as
    the report's too_dark warning does: a lit person in a dark room is fine, a dark person in a bright room
    is not."""
    from knee_cv.guide import Exposure, PreCheck
    from knee_cv.present import filming_line

    track = squat_track(reps=2)
    for room, person, dark in ((10, 150, False), (200, 20, True)):
        image = np.full((800, 640, 3), room, np.uint8)
        xy = track.xyz[0, :, :2]
        image[int(xy[:, 1].min()):int(xy[:, 1].max()), int(xy[:, 0].min()):int(xy[:, 0].max())] = person
        exposure, out = Exposure(), []
        check = PreCheck(fps=30.0, exposure=exposure)
        for k in range(len(track)):
            exposure.update(image, track.xyz[k])
            out += check.update(image, track.xyz[k], track.visibility[k])
        assert (filming_line("light") in out) is dark, (room, person, out)
        assert (exposure.notice() is not None) is dark


def test_guide_command_prints_the_rules_and_draws_the_setup(tmp_path, capsys):
    from knee_cv.cli import main
    from knee_cv.present import FILMING_GUIDE

    assert main(["guide", "--picture", str(tmp_path / "setup.png")]) == 0
    out = capsys.readouterr().out
    assert all(rule in out for _, rule in FILMING_GUIDE)
    assert (tmp_path / "setup.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("name", [r"bad_$\notacommand$", r"ok_$\alpha$"])
def test_file_names_with_math_signs_print_as_written(tmp_path, name):
    """Issue 15: a file named bad_$\\notacommand$.mp4 crashed the PDF (matplotlib mathtext) and ok_$\\alpha$.mp4
    printed as ok_α."""
    pages = _pdf_text(_write(tmp_path, _valgus(2), name))
    assert f"{name}.mp4" in pages[0]


@pytest.mark.parametrize("drawn_there", [True, False])
def test_a_report_drawn_in_two_processes_reads_as_one(tmp_path, drawn_there):
    """The later rep pages and the plan may come from the video worker (knee_cv.early_worker): joined, the report
    has the same pages in the same order, word for word, as one drawn here; if the worker could not draw them
    (``fetch`` gives None) they are drawn here."""
    from knee_cv.pdf import PageShare, tail_pages
    from knee_cv.present import OverlayModel

    a = _valgus(6)
    whole = _pdf_text(_write(tmp_path, a, "whole"))
    video = VideoMeta("whole.mp4", 30.0, len(a.track), len(a.track), 640, 800, len(a.track) / 30.0)
    overlays = OverlayModel.from_analysis(a)
    share = PageShare(4, (lambda: tail_pages(a, 4, None, overlays)) if drawn_there else (lambda: None))
    write_pdf(tmp_path / "joined.pdf", Result(a, video, ModelMeta("full", ""), tmp_path, analyzed_at="2026-11-21"),
              share=share)
    joined = _pdf_text(tmp_path / "joined.pdf")
    assert len(joined) == len(whole) >= 1 + 6 + 1
    words = lambda pages: [" ".join(p.split()) for p in pages]  # noqa: E731 - the layout mode's spacing may differ
    assert words(joined) == words(whole)
    info = subprocess.run(["pdfinfo", str(tmp_path / "joined.pdf")], capture_output=True, text=True).stdout
    assert "knee-cv report" in info and "knee-cv" in info.split("Creator:")[1].split("\n")[0]
