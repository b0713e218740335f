"""A subject's sessions over time, in an embedded SQLite database.

Every analyze, live or batch run with ``--subject`` records its session here. The
file lives in the user's data folder (``platformdirs``), or at ``--db PATH`` or
``$KNEE_CV_DB``. It uses WAL mode (batch workers write at once), carries its own
schema version and migrates older files forward. A file that is not a knee-cv
history (damaged, or another program's) is never written: it is a one-line error.
"""
from __future__ import annotations

import dataclasses
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from .errors import InputError, KneeCvError

#: The schema version this code writes; :data:`MIGRATIONS` ``[k]`` takes a file from version ``k`` to ``k + 1``.
SCHEMA_VERSION = 2
APP_ID = 0x6B6E6376  # "kncv": SQLite's application_id, so a knee-cv file is recognised as one

SCHEMA_V1 = """
CREATE TABLE subject (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
CREATE TABLE session (
    id INTEGER PRIMARY KEY,
    subject_id INTEGER NOT NULL REFERENCES subject(id) ON DELETE CASCADE,
    date TEXT NOT NULL, exercise TEXT NOT NULL,
    settings_hash TEXT NOT NULL, video_sha256 TEXT NOT NULL, report_path TEXT NOT NULL,
    UNIQUE (subject_id, video_sha256, settings_hash));
CREATE TABLE rep (
    session_id INTEGER NOT NULL REFERENCES session(id) ON DELETE CASCADE,
    rep INTEGER NOT NULL, part TEXT NOT NULL,          -- left, right or hip
    judged INTEGER NOT NULL, verdict TEXT NOT NULL, reason TEXT,
    value REAL,                                        -- judged knee measure (deg) or signed pelvic drop (deg)
    PRIMARY KEY (session_id, rep, part));
"""

#: Version 1 -> 2: the view, the tool version, the analysis time, and per knee FPPA and knee-over-toe.
MIGRATIONS = (
    None,
    SCHEMA_V1,
    """
    ALTER TABLE session ADD COLUMN view TEXT NOT NULL DEFAULT 'unknown';
    ALTER TABLE session ADD COLUMN tool_version TEXT NOT NULL DEFAULT '';
    ALTER TABLE session ADD COLUMN analyzed_at TEXT NOT NULL DEFAULT '';
    ALTER TABLE rep ADD COLUMN fppa_deg REAL;
    ALTER TABLE rep ADD COLUMN knee_toe_pct REAL;
    """,
)


class HistoryError(KneeCvError):
    """The history database cannot be used (damaged, foreign, or locked for too long)."""

    exit_code = 6


def default_path() -> Path:
    """``$KNEE_CV_DB``, else ``history.sqlite3`` in the user's data folder."""
    if os.environ.get("KNEE_CV_DB"):
        return Path(os.environ["KNEE_CV_DB"])
    import platformdirs

    return Path(platformdirs.user_data_dir("knee-cv", appauthor=False)) / "history.sqlite3"


@dataclasses.dataclass(frozen=True)
class PartRow:
    """One knee (or the hip) in one rep of a stored session."""

    rep: int
    part: str
    judged: bool
    verdict: str
    reason: str | None
    value: float | None
    fppa_deg: float | None
    knee_toe_pct: float | None


@dataclasses.dataclass(frozen=True)
class SessionRow:
    """A stored session with its per-rep rows."""

    id: int
    subject: str
    date: str
    exercise: str
    view: str
    settings_hash: str
    video_sha256: str
    report_path: str
    tool_version: str
    analyzed_at: str
    parts: tuple[PartRow, ...]

    def values(self, part: str) -> list[float]:
        """The judged values of one knee (``left``/``right``) or the hip over the session's reps."""
        return [p.value for p in self.parts if p.part == part and p.judged and p.value is not None]

    def flagged_share(self, part: str) -> float | None:
        """Share of judged reps with a severity (not ok) for that knee or the hip; None if never judged."""
        judged = [p for p in self.parts if p.part == part and p.judged]
        return sum(p.verdict != "ok" for p in judged) / len(judged) if judged else None


#: A stored session's columns, in :class:`SessionRow` order (a WHERE clause follows).
_SESSIONS = ("SELECT session.id, subject.name, date, exercise, view, settings_hash, video_sha256, report_path, "
             "tool_version, analyzed_at FROM session JOIN subject ON subject.id = session.subject_id ")


class History:
    """The history database. Open with ``with History(path) as h:``; every write is one transaction."""

    def __init__(self, path: str | Path | None = None, *, create: bool = True) -> None:
        self.path = Path(path) if path is not None else default_path()
        self._db: sqlite3.Connection | None = None
        self._create = create

    def __enter__(self) -> "History":
        self._db = _open(self.path, create=self._create)
        return self

    def __exit__(self, *exc) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    @property
    def db(self) -> sqlite3.Connection:
        if self._db is None:
            raise RuntimeError("use History inside a with-block")
        return self._db

    # --- writing ---------------------------------------------------------------------

    def record(self, report: dict, *, subject: str, settings_hash: str, report_path: str,
               video_sha256: str) -> int:
        """Store one analysis (its report.json document); the same video and settings update the session.

        Returns the session id.
        """
        with _write(self.db) as db:
            db.execute("INSERT OR IGNORE INTO subject(name) VALUES (?)", (subject,))
            sid = db.execute("SELECT id FROM subject WHERE name = ?", (subject,)).fetchone()[0]
            ses = report.get("session") or {}
            row = (sid, ses.get("date") or report.get("analyzed_at") or "", report["exercise"], report["view"],
                   settings_hash, video_sha256, report_path, report.get("tool", {}).get("version", ""),
                   report.get("analyzed_at") or "")
            db.execute("""INSERT INTO session(subject_id, date, exercise, view, settings_hash, video_sha256,
                                              report_path, tool_version, analyzed_at)
                          VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                          ON CONFLICT(subject_id, video_sha256, settings_hash) DO UPDATE SET
                            date = excluded.date, exercise = excluded.exercise, view = excluded.view,
                            report_path = excluded.report_path, tool_version = excluded.tool_version,
                            analyzed_at = excluded.analyzed_at""", row)
            session_id = db.execute("SELECT id FROM session WHERE subject_id = ? AND video_sha256 = ? AND "
                                    "settings_hash = ?", (sid, video_sha256, settings_hash)).fetchone()[0]
            db.execute("DELETE FROM rep WHERE session_id = ?", (session_id,))
            db.executemany("INSERT INTO rep(session_id, rep, part, judged, verdict, reason, value, fppa_deg, "
                           "knee_toe_pct) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", list(_rep_rows(session_id, report)))
        return session_id

    def delete(self, subject: str) -> int:
        """Remove a subject and every session of theirs; returns how many sessions went."""
        with _write(self.db) as db:
            n = db.execute("SELECT COUNT(*) FROM session JOIN subject ON subject.id = session.subject_id "
                           "WHERE subject.name = ?", (subject,)).fetchone()[0]
            db.execute("DELETE FROM subject WHERE name = ?", (subject,))
        return n

    # --- reading ---------------------------------------------------------------------

    def subjects(self) -> list[tuple[str, int, str]]:
        """``(name, sessions, last date)`` for every subject, by name."""
        return [tuple(r) for r in self.db.execute(
            "SELECT subject.name, COUNT(session.id), COALESCE(MAX(session.date), '') FROM subject "
            "LEFT JOIN session ON session.subject_id = subject.id GROUP BY subject.id ORDER BY subject.name")]

    def sessions(self, subject: str) -> list[SessionRow]:
        """A subject's sessions, oldest first; an :class:`InputError` for an unknown subject."""
        rows = self.db.execute(_SESSIONS + "WHERE subject.name = ? ORDER BY date, session.id", (subject,)).fetchall()
        if not rows and not self.db.execute("SELECT 1 FROM subject WHERE name = ?", (subject,)).fetchone():
            known = ", ".join(n for n, *_ in self.subjects()) or "none yet"
            raise InputError(f"no subject {subject!r} in {self.path} (known: {known})")
        return [SessionRow(*r, parts=self._parts(r[0])) for r in rows]

    def session(self, session_id: int) -> SessionRow:
        r = self.db.execute(_SESSIONS + "WHERE session.id = ?", (session_id,)).fetchone()
        if r is None:
            raise InputError(f"no session {session_id} in {self.path}")
        return SessionRow(*r, parts=self._parts(r[0]))

    def _parts(self, session_id: int) -> tuple[PartRow, ...]:
        return tuple(PartRow(rep, part, bool(j), verdict, reason, value, fppa, toe) for rep, part, j, verdict,
                     reason, value, fppa, toe in self.db.execute(
                         "SELECT rep, part, judged, verdict, reason, value, fppa_deg, knee_toe_pct FROM rep "
                         "WHERE session_id = ? ORDER BY rep, part", (session_id,)))


def _rep_rows(session_id: int, report: dict) -> Iterator[tuple]:
    for r in report["reps"]:
        for side in ("left", "right"):
            k = r[side]
            yield (session_id, r["index"], side, int(k["judged"]), k["verdict"], k["reason"], k["knee_valgus_deg"],
                   k["fppa_deg"], k["knee_toe_medial_pct"])
        yield (session_id, r["index"], "hip", int(r["hip_judged"]), r["hip_verdict"], r["hip_reason"],
               r["pelvic_drop_signed_deg"], None, None)


class _write:
    """One write transaction, taken at once (``BEGIN IMMEDIATE``) so concurrent writers queue, not deadlock."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __enter__(self) -> sqlite3.Connection:
        try:
            self.db.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise HistoryError(f"the history database is busy ({exc}); try again") from None
        return self.db

    def __exit__(self, exc_type, *exc) -> None:
        self.db.execute("COMMIT" if exc_type is None else "ROLLBACK")


def _open(path: Path, *, create: bool) -> sqlite3.Connection:
    """Open (and if needed create or migrate) the database; never writes to a file that is not ours."""
    new = not path.exists() or path.stat().st_size == 0
    if new and not create:
        raise InputError(f"no history yet at {path}: record a session with --subject first")
    if path.exists() and not path.is_file():
        raise HistoryError(f"{path}: the history database path is a folder, not a file")
    if not new:
        _check_header(path)
    if new:
        path.parent.mkdir(parents=True, exist_ok=True)
    try:
        db = sqlite3.connect(path, timeout=30, isolation_level=None)
        db.execute("PRAGMA foreign_keys = ON")
        app = db.execute("PRAGMA application_id").fetchone()[0]
        version = db.execute("PRAGMA user_version").fetchone()[0]
        if not new and app != APP_ID:
            db.close()
            raise HistoryError(f"{path} is an SQLite database of another program; knee-cv leaves it untouched "
                               "(use --db or KNEE_CV_DB to choose another file)")
        if version > SCHEMA_VERSION:
            db.close()
            raise HistoryError(f"{path} was written by a newer knee-cv (schema {version}); update knee-cv")
        if version < SCHEMA_VERSION:
            _migrate(db, version)
        return db
    except sqlite3.DatabaseError as exc:
        raise HistoryError(f"{path}: not a usable knee-cv history database ({exc}); it was left untouched") from None


def _check_header(path: Path) -> None:
    """A damaged or foreign file is refused before SQLite may write to it (a journal, a WAL)."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(100)
    except OSError as exc:
        raise HistoryError(f"{path}: cannot read the history database ({exc.strerror})") from None
    if not head.startswith(b"SQLite format 3\x00") or len(head) < 100:
        raise HistoryError(f"{path} is not a knee-cv history database (damaged or another kind of file); "
                           "it was left untouched")
    if int.from_bytes(head[68:72], "big") != APP_ID:
        raise HistoryError(f"{path} is an SQLite database of another program; knee-cv leaves it untouched "
                           "(use --db or KNEE_CV_DB to choose another file)")
    size = path.stat().st_size
    page = int.from_bytes(head[16:18], "big")
    page = 65536 if page == 1 else page
    pages = int.from_bytes(head[28:32], "big")
    if page and pages and size < page * pages:
        raise HistoryError(f"{path} is truncated ({size} of {page * pages} bytes); it was left untouched")


def _migrate(db: sqlite3.Connection, version: int) -> None:
    """Bring the schema from ``version`` to :data:`SCHEMA_VERSION`, one step per transaction."""
    for v in range(version, SCHEMA_VERSION):
        db.execute("BEGIN IMMEDIATE")
        try:
            for stmt in filter(str.strip, MIGRATIONS[v + 1].split(";")):  # executescript() would commit midway
                db.execute(stmt)
            if v == 0:
                db.execute(f"PRAGMA application_id = {APP_ID}")
            db.execute(f"PRAGMA user_version = {v + 1}")
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
    db.execute("PRAGMA journal_mode = WAL")


def record_result(history: History, result) -> int:
    """Record a :class:`knee_cv.api.Result` whose session names a subject; returns the session id."""
    import hashlib

    from .models import sha256_of
    from .settings import settings_key

    video = result.video
    sha = video.sha256 or (sha256_of(Path(video.path)) if Path(video.path).is_file() else
                           hashlib.sha256(f"{video.path}|{result.analyzed_at}".encode()).hexdigest())
    return history.record(result.report, subject=result.session.subject,
                          settings_hash=settings_key(result.analysis.settings),
                          report_path=str(Path(result.out_dir).resolve()), video_sha256=sha)
