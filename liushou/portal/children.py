"""Finding a child and everything the quarter knows about one: the search and the child
page.

Who a child is, is the published ``evidence`` (every child the rules evaluated), the
``register`` and the ``exits``; their names, households, schools and parents' names are
in the warehouse (``q<quarter>.children``, ``persons``, ``enrolments``), which the
portal opens read-only for one query and closes at once (:mod:`~liushou.portal.runs`
does the same): while a run holds it, search falls back to the names the published
register and exits carry, and the child page says what it cannot show.

Children are named in URLs by an opaque key (an HMAC of the person id with the
installation's secret), never by an ID number: a URL lands in browser histories, proxy
logs and the audit log. Every search and every child page is scoped: a township
account finds only children of its township, and a key of another township's child is
refused (403, audited).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from liushou.decisions.store import DecisionStore, StoredDecision, StoredFeedback
from liushou.matching.names import pinyin_keys
from liushou.portal.data import (
    Scope,
    is_missing,
    published_quarters,
    quarter_dir,
    read_table,
    township_names,
)
from liushou.portal.storage import PortalDB
from liushou.quarters import Quarter
from liushou.vocabulary import (
    CATEGORY_NAMES,
    CLAUSE_NAMES,
    CONFLICT_KIND_NAMES,
    EXIT_REASON_NAMES,
    PARENT_SOURCE_NAMES,
    PARENT_STATE_NAMES,
    ROUTE_NAMES,
    SOURCE_NAMES,
    STATUS_NAMES,
)
from liushou.warehouse import WAREHOUSE_FILE

CHILD_KEY = "child_page_key"
"""The installation secret (in ``portal.sqlite``) keying children's opaque URL keys."""
MAX_HITS = 50
DIGITS = re.compile(r"^[0-9Xx]{4,18}$")
STUDENT = re.compile(r"^[A-Za-z]\w{5,}$")


@contextmanager
def warehouse(out: Path) -> Iterator[duckdb.DuckDBPyConnection | None]:
    """The warehouse read-only, or None while a run holds it (or there is none)."""
    path = out / WAREHOUSE_FILE
    if not path.is_file():
        yield None
        return
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error:
        yield None
        return
    try:
        yield con
    finally:
        con.close()


def _has(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    found = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = ?",
        [schema, table],
    ).fetchone()
    return bool(found and found[0])


def schema_of(quarter: str) -> str:
    return Quarter.parse(quarter).schema


def child_key(db: PortalDB, person_id: str) -> str:
    """The opaque key of a child in URLs: SHA-256 of the installation's secret and the
    person id, 80 bits (the same as the index computes in SQL)."""
    text = db.key(CHILD_KEY).hex() + person_id
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:20]


def _stamp(path: Path) -> tuple[int, int]:
    try:
        stat = path.stat()
    except OSError:
        return (0, 0)
    return (stat.st_mtime_ns, stat.st_size)


def index(out: Path, quarter: str, db: PortalDB) -> pd.DataFrame:
    """Every child of the quarter: person id, key, name (and its pinyin), sex, birth
    date, township, village, on the register or not, student numbers."""
    folder = quarter_dir(out, quarter)
    return _index(
        str(out),
        quarter,
        _stamp(folder / "register.parquet"),
        _stamp(out / WAREHOUSE_FILE),
        db.key(CHILD_KEY).hex(),
    ).copy()


@lru_cache(maxsize=8)
def _index(
    out_text: str, quarter: str, published: tuple[int, int], stored: tuple[int, int], key: str
) -> pd.DataFrame:
    """Cached by the files' identity: a run replaces them, which changes the key. A
    warehouse that cannot be opened is not cached as such (its stamp changes when the
    run ends)."""
    out = Path(out_text)
    folder = quarter_dir(out, quarter)
    con = duckdb.connect()
    try:
        sources = {
            t: str(folder / f"{t}.parquet").replace("'", "''")
            for t in ("evidence", "register", "exits")
        }
        names_sql = "SELECT NULL::VARCHAR AS person_id, NULL::VARCHAR AS name, NULL AS sex"
        students_sql = "SELECT NULL::VARCHAR AS person_id, NULL::VARCHAR AS student_numbers"
        with warehouse(out) as wh:
            attached = wh is not None
        if attached:
            path = str(out / WAREHOUSE_FILE).replace("'", "''")
            try:
                con.execute(f"ATTACH '{path}' AS w (READ_ONLY)")
            except duckdb.Error:
                attached = False
        s = schema_of(quarter)
        if attached and _has(con, s, "children"):
            names_sql = f"SELECT person_id, name, sex FROM w.{s}.children"
        if attached and _has(con, s, "enrolments"):
            students_sql = (
                f"SELECT person_id, string_agg(DISTINCT student_number, ' ') AS student_numbers "
                f"FROM w.{s}.enrolments WHERE person_id IS NOT NULL GROUP BY person_id"
            )
        frame = con.execute(
            f"""
            WITH e AS (SELECT * FROM read_parquet('{sources["evidence"]}')),
            r AS (SELECT * FROM read_parquet('{sources["register"]}')),
            x AS (SELECT * FROM read_parquet('{sources["exits"]}')),
            c AS ({names_sql}),
            st AS ({students_sql}),
            ids AS (SELECT person_id FROM e UNION SELECT person_id FROM r
                    UNION SELECT person_id FROM x)
            SELECT ids.person_id,
                   substr(sha256(? || ids.person_id), 1, 20) AS key,
                   coalesce(r.name, c.name, x.name) AS name,
                   coalesce(r.sex, c.sex) AS sex,
                   coalesce(r.birth_date, e.birth_date) AS birth_date,
                   coalesce(r.township_code, e.township_code, x.township_code) AS township_code,
                   coalesce(r.village_code, e.village_code) AS village_code,
                   r.person_id IS NOT NULL AS on_register,
                   x.person_id IS NOT NULL AS exited,
                   st.student_numbers
            FROM ids
            LEFT JOIN (SELECT DISTINCT ON (person_id) * FROM r) r USING (person_id)
            LEFT JOIN (SELECT DISTINCT ON (person_id) * FROM e) e USING (person_id)
            LEFT JOIN (SELECT DISTINCT ON (person_id) * FROM x) x USING (person_id)
            LEFT JOIN (SELECT DISTINCT ON (person_id) * FROM c) c USING (person_id)
            LEFT JOIN st USING (person_id)
            WHERE ids.person_id IS NOT NULL
            ORDER BY name, person_id
            """,
            [key],
        ).df()
    finally:
        con.close()
    frame["pinyin"] = pinyin_keys(frame["name"]).fillna("")
    frame["initials"] = frame["pinyin"].str.replace(r"(\w)\w*\s*", r"\1", regex=True)
    frame["pinyin"] = frame["pinyin"].str.replace(" ", "", regex=False)
    frame["student_numbers"] = frame["student_numbers"].fillna("")
    frame["name"] = frame["name"].fillna("")
    return frame


@dataclass(frozen=True)
class Hit:
    key: str
    name: str
    sex: str
    birth_date: date | None
    id_number: str
    township: str
    village_code: str
    on_register: bool
    exited: bool


def search(
    out: Path, quarter: str, db: PortalDB, scope: Scope, query: str
) -> tuple[list[Hit], int]:
    """Children of ``scope`` whose name (characters or pinyin, full or initials), ID number
    (full, or its last digits) or student number matches ``query``; at most
    :data:`MAX_HITS`, and how many matched in all."""
    text = query.strip()
    if not text:
        return [], 0
    frame = index(out, quarter, db)
    if scope.township is not None:
        frame = frame[frame["township_code"] == scope.township]
    found = pd.Series(False, index=frame.index)
    plain = text.replace(" ", "")
    if DIGITS.match(plain):
        upper = plain.upper()
        found |= (
            frame["person_id"] == upper
            if len(upper) >= 15
            else frame["person_id"].str.endswith(upper)
        )
    if STUDENT.match(plain) or plain.isdigit():
        found |= frame["student_numbers"].str.contains(
            rf"(?:^|\s){re.escape(plain.upper())}(?:\s|$)", regex=True
        )
    if re.search(r"[\u3400-\u9fff]", plain):
        found |= frame["name"].str.contains(plain, regex=False)
    elif plain.isalpha() and plain.isascii():
        lower = plain.lower()
        found |= frame["pinyin"].str.startswith(lower) | (frame["initials"] == lower)
        if len(lower) >= 3:
            found |= frame["pinyin"].str.contains(lower, regex=False)
    hits = frame[found]
    names = township_names(out, quarter)
    shown = [
        Hit(
            key=str(r["key"]),
            name=str(r["name"]),
            sex=_text(r["sex"]),
            birth_date=_day(r["birth_date"]),
            id_number=str(r["person_id"]) if not str(r["person_id"]).startswith("S") else "",
            township=names.get(str(r["township_code"]), _text(r["township_code"])),
            village_code=_text(r["village_code"]),
            on_register=bool(r["on_register"]),
            exited=bool(r["exited"]),
        )
        for r in hits.head(MAX_HITS).to_dict("records")
    ]
    return shown, len(hits)


def _text(value: object) -> str:
    return "" if is_missing(value) else str(value)


def _day(value: object) -> date | None:
    return None if is_missing(value) else pd.Timestamp(str(value)).date()


def find(out: Path, quarter: str, db: PortalDB, key: str) -> dict[str, Any] | None:
    """The index row of the child with ``key`` (or with that person id), if any."""
    frame = index(out, quarter, db)
    rows = frame[(frame["key"] == key) | (frame["person_id"] == key)]
    return None if rows.empty else {str(k): v for k, v in rows.iloc[0].to_dict().items()}


@dataclass
class Line:
    """One line of the evidence: the clause, whether it holds, and why in words."""

    clause: str
    ok: bool | None
    text: str


@dataclass
class QuarterLine:
    quarter: str
    on_register: bool
    status: str
    category: str
    exit_reason: str
    outcome: str


@dataclass
class ChildPage:
    quarter: str
    person_id: str
    key: str
    name: str
    sex: str
    birth_date: date | None
    township: str
    village: str
    on_register: bool
    register: dict[str, Any] | None
    exit: dict[str, Any] | None
    outcome: str
    evidence: list[Line]
    parents: list[dict[str, Any]]
    household: list[dict[str, Any]]
    schools: list[dict[str, Any]]
    links: list[dict[str, Any]]
    history: list[QuarterLine]
    findings: list[dict[str, Any]]
    resolved: list[dict[str, Any]]
    decisions: list[StoredDecision]
    feedback: list[StoredFeedback]
    warehouse_busy: bool = False
    notes: list[str] = field(default_factory=list)


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [
        {str(k): (None if is_missing(v) else v) for k, v in row.items()}
        for row in frame.to_dict("records")
    ]


def _evidence_lines(row: dict[str, Any]) -> list[Line]:
    """The clauses of rules.md in the order they are judged, each in one sentence."""
    lines = []
    age = row.get("age_years")
    lines.append(
        Line(
            CLAUSE_NAMES["age"],
            None if row.get("under_16") is None else bool(row.get("under_16")),
            f"统计时点 {'未满' if row.get('under_16') else '已满'}16周岁"
            + (f"（{age} 周岁）" if not is_missing(age) else ""),
        )
    )
    status = _text(row.get("household_status")) or "未知"
    record = _text(row.get("status_record"))
    lines.append(
        Line(
            CLAUSE_NAMES["household_status"],
            None if is_missing(row.get("status_ok")) else bool(row.get("status_ok")),
            f"户籍状态：{status}" + (f"（依据记录 {record}）" if record else ""),
        )
    )
    lines.append(
        Line(
            CLAUSE_NAMES["scope"],
            None if is_missing(row.get("scope_ok")) else bool(row.get("scope_ok")),
            _text(row.get("scope_detail")) or _text(row.get("scope")),
        )
    )
    parents = []
    for role, word in (("father", "父亲"), ("mother", "母亲")):
        state = _text(row.get(f"{role}_state"))
        detail = _text(row.get(f"{role}_detail"))
        parents.append(f"{word}{PARENT_STATE_NAMES.get(state, state or '未知')}：{detail}".strip())
    failing = _text(row.get("failing_clause"))
    verdict = False if failing == "parents" else (True if row.get("eligible") else None)
    lines.append(Line(CLAUSE_NAMES["parents"], verdict, "；".join(parents)))
    return lines


def child_page(
    out: Path,
    quarter: str,
    db: PortalDB,
    store: DecisionStore,
    child: dict[str, Any],
) -> ChildPage:
    """Everything about one child in ``quarter`` (the caller's scope is checked before)."""
    person_id = str(child["person_id"])
    names = township_names(out, quarter)

    def of(table: str, q: str = quarter) -> pd.DataFrame:
        frame = read_table(out, q, table)
        return frame[frame["person_id"] == person_id]

    register = _records(of("register"))
    exits = _records(of("exits"))
    evidence = _records(of("evidence"))
    row = evidence[0] if evidence else {}
    findings = of("conflicts")
    resolved = _records(of("resolved_conflicts"))
    links = of("links")
    keys = set(links["record_key"].dropna().astype(str))
    conflict_ids = set(findings["conflict_id"]) | {r["conflict_id"] for r in resolved}
    decisions = [
        d
        for d in store.current()
        if d.conflict_id in conflict_ids or (d.records and set(d.records) & keys)
    ]
    feedback = [a for a in store.feedback_current() if a.conflict_id in conflict_ids]
    parents: list[dict[str, Any]] = []
    household: list[dict[str, Any]] = []
    schools: list[dict[str, Any]] = []
    notes: list[str] = []
    s = schema_of(quarter)
    with warehouse(out) as con:
        busy = con is None
        if con is not None and _has(con, s, "persons"):
            household = _records(
                con.execute(
                    f"""
                    SELECT p.person_id, p.name, p.sex, p.birth_date, p.relation, p.status,
                           p.household_id, p.division_name
                    FROM {s}.persons p
                    WHERE p.household_key IS NOT NULL AND p.household_key = (
                        SELECT household_key FROM {s}.persons WHERE person_id = ? LIMIT 1)
                    ORDER BY p.birth_date NULLS LAST, p.person_id
                    """,
                    [person_id],
                ).df()
            )
            parent_ids = [str(row.get(f"{r}_id") or "") for r in ("father", "mother")]
            known = {
                str(r[0]): r[1]
                for r in con.execute(
                    f"SELECT person_id, name FROM {s}.persons WHERE person_id IN (?, ?)",
                    parent_ids,
                ).fetchall()
            }
        else:
            known = {}
        if con is not None and _has(con, s, "enrolments"):
            schools = _records(
                con.execute(
                    f"""
                    SELECT school_name, grade, enrolment_status, student_number,
                           guardian_name, guardian_relation, home_address, record_key
                    FROM {s}.enrolments WHERE person_id = ?
                    ORDER BY enrolment_status = '在读' DESC, school_name
                    """,
                    [person_id],
                ).df()
            )
    if busy:
        notes.append("正在运行：仓库被占用，户内成员和学籍暂不可见。/ A run holds the warehouse.")
    for role, word in (("father", "父亲"), ("mother", "母亲")):
        pid = row.get(f"{role}_id")
        state = _text(row.get(f"{role}_state"))
        source = _text(row.get(f"{role}_identified_by"))
        parents.append(
            {
                "role": word,
                "id_number": _text(pid),
                "name": _text(known.get(str(pid))) if pid else "",
                "state": PARENT_STATE_NAMES.get(state, state or "未知"),
                "identified_by": PARENT_SOURCE_NAMES.get(source, source),
                "since": _day(row.get(f"{role}_since")),
                "until": _day(row.get(f"{role}_until")),
                "place": _text(row.get(f"{role}_place")),
                "detail": _text(row.get(f"{role}_detail")),
            }
        )
    link_rows = _records(links.sort_values(["source", "record_key"]))
    for link in link_rows:
        link["source_name"] = SOURCE_NAMES.get(str(link["source"]), link["source"])
    finding_rows = _records(findings)
    for f in finding_rows:
        f["kind_name"] = CONFLICT_KIND_NAMES.get(str(f["kind"]), f["kind"])
        f["route_name"] = ROUTE_NAMES.get(f["route"], f["route"]) if f.get("route") else ""
    for r in resolved:
        r["kind_name"] = CONFLICT_KIND_NAMES.get(str(r["kind"]), r["kind"])
    reg = register[0] if register else None
    if reg is not None:
        reg["category_name"] = CATEGORY_NAMES.get(str(reg["category"]), reg["category"])
        reg["status_name"] = STATUS_NAMES.get(str(reg["status"]), reg["status"])
    ex = exits[0] if exits else None
    if ex is not None:
        ex["reason_name"] = EXIT_REASON_NAMES.get(str(ex["reason"]), ex["reason"])
    return ChildPage(
        quarter=quarter,
        person_id=person_id,
        key=str(child["key"]),
        name=str(child["name"]),
        sex=_text(child["sex"]),
        birth_date=_day(child["birth_date"]),
        township=names.get(str(child["township_code"]), _text(child["township_code"])),
        village=_text(reg["village_name"]) if reg else _text(child["village_code"]),
        on_register=reg is not None,
        register=reg,
        exit=ex,
        outcome=_text(row.get("outcome")),
        evidence=_evidence_lines(row) if row else [],
        parents=parents if row else [],
        household=household,
        schools=schools,
        links=link_rows,
        history=history(out, person_id),
        findings=finding_rows,
        resolved=resolved,
        decisions=decisions,
        feedback=feedback,
        warehouse_busy=busy,
        notes=notes,
    )


def history(out: Path, person_id: str) -> list[QuarterLine]:
    """The child in every published quarter: on the register or not, with what status
    and category, or the exit reason."""
    lines = []
    for quarter in published_quarters(out):
        register = read_table(out, quarter, "register")
        exits = read_table(out, quarter, "exits")
        evidence = read_table(out, quarter, "evidence")
        reg = register[register["person_id"] == person_id]
        ex = exits[exits["person_id"] == person_id]
        ev = evidence[evidence["person_id"] == person_id]
        if reg.empty and ex.empty and ev.empty:
            continue
        status = _text(reg["status"].iloc[0]) if len(reg) else ""
        category = _text(reg["category"].iloc[0]) if len(reg) else ""
        reason = _text(ex["reason"].iloc[0]) if len(ex) else ""
        lines.append(
            QuarterLine(
                quarter=quarter,
                on_register=not reg.empty,
                status=STATUS_NAMES.get(status, status),
                category=CATEGORY_NAMES.get(category, category),
                exit_reason=EXIT_REASON_NAMES.get(reason, reason),
                outcome=_text(ev["outcome"].iloc[0]) if len(ev) else "",
            )
        )
    return lines
