"""Tiny canonical tables built in code, for tests of matching, rules and the register.

The ID verdict columns are computed here with python-stdnum, independently of
``sources/``, so these tests exercise the later stages alone.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import duckdb
import pandas as pd
from stdnum.cn import ric

from liushou.sources.contract import SPECS, System, record_key
from liushou.sources.schema import (
    CANONICAL,
    FILE_ACCOUNTING,
    LANDING_DIVISIONS,
    QUARANTINE,
    UNREAD_FILES,
)

COUNTY = "350303"


def make_id(birth: date | str, seq: int, region: str = COUNTY) -> str:
    """A valid ID number; ``seq`` odd for a male, even for a female."""
    if isinstance(birth, str):
        birth = date.fromisoformat(birth)
    body = f"{region}{birth:%Y%m%d}{seq:03d}"
    return body + ric.calc_check_digit(body + "0")


class People:
    """Household-registration rows with fresh valid ID numbers, numbered per test module so
    that golden files do not depend on which tests ran first."""

    def __init__(self, first_sequence: int) -> None:
        self._sequence = iter(range(first_sequence, 999, 2))

    def hukou(
        self,
        name: str,
        birth: str,
        sex: str,
        household: str,
        relation: str,
        division: str,
        **extra: Any,
    ) -> dict[str, Any]:
        seq = next(self._sequence) + (0 if sex == "男" else 1)
        return {
            "id_number": make_id(birth, seq),
            "name": name,
            "birth_date": birth,
            "sex": sex,
            "household_id": household,
            "relation": relation,
            "division_code": division,
            "status": "正常",
            **extra,
        }


def typo_swap(id_number: str, position: int) -> str:
    """Swap two adjacent digits, as a hurried typist does."""
    chars = list(id_number)
    chars[position], chars[position + 1] = chars[position + 1], chars[position]
    return "".join(chars)


def _id_verdict(value: str | None) -> dict[str, Any]:
    if not value:
        return {"id_number": None, "id_status": "missing", "id_valid": False}
    if len(value) != 18:
        return {"id_number": None, "id_status": "bad_length", "id_valid": False}
    try:
        ric.get_birth_date(value)
    except Exception:
        return {"id_number": value, "id_status": "bad_birth_date", "id_valid": False}
    if ric.calc_check_digit(value) != value[-1]:
        return {"id_number": value, "id_status": "bad_checksum", "id_valid": False}
    return {
        "id_number": value,
        "id_status": "valid",
        "id_valid": True,
        "id_region_ok": True,
        "id_birth_date": ric.get_birth_date(value),
        "id_sex": "男" if int(value[16]) % 2 else "女",
    }


def canon_frame(system: System, rows: list[dict[str, Any]], file: str = "") -> pd.DataFrame:
    """Rows given by their canonical fields; everything else filled as the loader would."""
    columns = CANONICAL[system]
    spec = SPECS[system]
    out = []
    for n, row in enumerate(rows, start=2):
        full: dict[str, Any] = dict.fromkeys(columns)
        full.update({"file": file or f"{system}.csv", "row_number": n})
        raw_id = row.get("id_number")
        full.update(_id_verdict(raw_id))
        full["id_raw"] = raw_id
        for key, value in row.items():
            if key != "id_number":
                full[key] = value
        for date_col in ("birth_date", "status_date", "start_date", "end_date", "entered_on"):
            if isinstance(full.get(date_col), str):
                full[date_col] = date.fromisoformat(full[date_col])
        if "name" in columns:
            full["name_raw"] = full.get("name")
        for rel in ("father", "mother", "guardian"):
            if f"{rel}_id_number" in columns and full.get(f"{rel}_id_number"):
                full[f"{rel}_id_valid"] = _id_verdict(full[f"{rel}_id_number"])["id_valid"]
        if system == "xueji":
            sn = full["student_number"]
            full["student_number_kind"] = sn[0] if sn and sn[0] in "GLJ" else "other"
            if full["student_number_kind"] == "G":
                v = _id_verdict(sn[1:])
                full["student_number_id"] = v["id_number"]
                full["student_number_id_valid"] = v["id_valid"]
            full["school_county_code"] = (full.get("school_division_code") or "")[:6] or None
            flag = full.get("left_behind_flag")
            full["school_flag"] = None if flag is None else flag in ("1", "2", "是")
        if "division_code" in columns and full.get("division_code"):
            code = full["division_code"]
            full["county_code"] = code[:6]
            full["township_code"] = code[:9] if len(code) >= 9 else None
            full["village_code"] = code if len(code) == 12 else None
        if system == "hukou":
            full["relation_raw"] = full.get("relation")
        if system == "work":
            code = full.get("work_division_code") or ""
            full["work_division_raw"] = code
            full["work_place_level"] = full.get("work_place_level") or (
                "abroad"
                if code == "999999"
                else "province"
                if code.endswith("0000")
                else "prefecture"
                if code.endswith("00")
                else "county"
            )
        if system == "incapacity":
            full["reason_raw"] = full.get("reason")
        full["record_key"] = record_key(
            [raw_id if c == "id_number" else _as_text(full.get(c)) for c in spec.record_key]
        )
        out.append(full)
    frame = pd.DataFrame(out, columns=list(columns))
    return frame


def _as_text(value: Any) -> str | None:
    if isinstance(value, date):
        return value.isoformat()
    return None if value is None else str(value)


def load_stage(
    con: duckdb.DuckDBPyConnection,
    schema: str,
    frames: dict[System, pd.DataFrame],
    prev_register: pd.DataFrame | None = None,
    divisions: pd.DataFrame | None = None,
) -> None:
    """Create the stage tables ``sources/`` would: canon_*, raw_*, quarantine, accounting."""
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
    accounting = []
    for system, types in CANONICAL.items():
        frame = frames.get(system, pd.DataFrame(columns=list(types)))
        cols = ", ".join(f'CAST("{c}" AS {t}) AS "{c}"' for c, t in types.items())
        con.register("_f", frame)
        con.execute(f"CREATE OR REPLACE TABLE {schema}.canon_{system} AS SELECT {cols} FROM _f")
        con.execute(f"""
            CREATE OR REPLACE TABLE {schema}.raw_{system} AS
            SELECT file, sheet, CAST(row_number AS VARCHAR) AS row_number, id_raw AS id_number
            FROM _f
        """)
        con.unregister("_f")
        for file, n in frame.groupby("file").size().items() if len(frame) else []:
            accounting.append((system, file, None, "utf-8", n, n, 0))
    _empty(con, f"{schema}.quarantine", QUARANTINE)
    _empty(con, f"{schema}.file_accounting", FILE_ACCOUNTING)
    _empty(con, f"{schema}.unread_files", UNREAD_FILES)
    for row in accounting:
        con.execute(f"INSERT INTO {schema}.file_accounting VALUES (?, ?, ?, ?, ?, ?, ?)", row)
    _empty(con, f"{schema}.landing_divisions", LANDING_DIVISIONS)
    if divisions is not None:
        con.register("_d", divisions)
        con.execute(f"INSERT INTO {schema}.landing_divisions SELECT * FROM _d")
        con.unregister("_d")
    prev = (
        prev_register
        if prev_register is not None
        else pd.DataFrame(
            columns=[
                "person_id",
                "id_number",
                "name",
                "sex",
                "birth_date",
                "category",
                "entered_on",
                "township_code",
            ]
        )
    )
    con.register("_p", prev)
    con.execute(f"CREATE OR REPLACE TABLE {schema}.prev_register AS SELECT * FROM _p")
    con.unregister("_p")


def _empty(con: duckdb.DuckDBPyConnection, table: str, types: dict[str, str]) -> None:
    cols = ", ".join(f'"{c}" {t}' for c, t in types.items())
    con.execute(f"CREATE OR REPLACE TABLE {table} ({cols})")
