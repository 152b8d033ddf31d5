"""Canonical tables written by ``sources/`` (``canon_<system>`` in the warehouse).

Each table keeps the row's provenance, its record key, the raw value of every field
that normalisation may change, and the normaliser's verdict, so a later stage or an
analyst can always see what came in and what was made of it.
"""

from __future__ import annotations

from liushou.sources.contract import System

PROVENANCE: dict[str, str] = {
    "file": "VARCHAR",
    "sheet": "VARCHAR",
    "row_number": "INTEGER",
    "record_key": "VARCHAR",
}
"""``file`` is relative to the quarter's landing folder; ``row_number`` is the row a
spreadsheet user sees (header = row 1, first data row = 2; for XLSX the sheet's row)."""

ID_STATUSES = (
    "valid",
    "bad_checksum",
    "bad_birth_date",
    "bad_length",
    "bad_chars",
    "excel_float",
    "missing",
)
"""``id_status``: ``valid`` means 18 characters, digits and a final digit or X, a real
birth date and the right check digit (the region is a separate warning)."""

ID_FIXES = ("fullwidth", "whitespace", "lowercase_x", "legacy_15", "excel_float", "trailing_000")
"""Comma-separated in ``id_fixes``: what the normaliser changed or suspects."""


def id_block(prefix: str = "") -> dict[str, str]:
    """The verdict columns of the main ID number of a row."""
    p = f"{prefix}_" if prefix else ""
    return {
        f"{p}id_raw": "VARCHAR",
        f"{p}id_number": "VARCHAR",
        f"{p}id_status": "VARCHAR",
        f"{p}id_valid": "BOOLEAN",
        f"{p}id_region_ok": "BOOLEAN",
        f"{p}id_birth_date": "DATE",
        f"{p}id_sex": "VARCHAR",
        f"{p}id_fixes": "VARCHAR",
    }


def secondary_id(prefix: str) -> dict[str, str]:
    """A person's relative's ID number: normalised value and its validity only."""
    return {f"{prefix}_id_number": "VARCHAR", f"{prefix}_id_valid": "BOOLEAN"}


DIVISION = {
    "division_code": "VARCHAR",
    "county_code": "VARCHAR",
    "township_code": "VARCHAR",
    "village_code": "VARCHAR",
}

CANONICAL: dict[System, dict[str, str]] = {
    "hukou": {
        **PROVENANCE,
        **id_block(),
        "name_raw": "VARCHAR",
        "name": "VARCHAR",
        "sex_raw": "VARCHAR",
        "sex": "VARCHAR",
        "birth_date_raw": "VARCHAR",
        "birth_date": "DATE",
        "household_id": "VARCHAR",
        "relation_raw": "VARCHAR",
        "relation": "VARCHAR",
        **DIVISION,
        "division_name": "VARCHAR",
        "hukou_type": "VARCHAR",
        "urban_rural_code": "VARCHAR",
        "status": "VARCHAR",
        "status_date": "DATE",
        **secondary_id("father"),
        "father_name": "VARCHAR",
        **secondary_id("mother"),
        "mother_name": "VARCHAR",
    },
    "xueji": {
        **PROVENANCE,
        "student_number": "VARCHAR",
        "student_number_kind": "VARCHAR",
        "student_number_id": "VARCHAR",
        "student_number_id_valid": "BOOLEAN",
        **id_block(),
        "name_raw": "VARCHAR",
        "name": "VARCHAR",
        "sex_raw": "VARCHAR",
        "sex": "VARCHAR",
        "birth_date_raw": "VARCHAR",
        "birth_date": "DATE",
        "school_code": "VARCHAR",
        "school_name": "VARCHAR",
        "school_division_code": "VARCHAR",
        "school_county_code": "VARCHAR",
        "grade": "VARCHAR",
        "enrolment_status_raw": "VARCHAR",
        "enrolment_status": "VARCHAR",
        "left_behind_flag": "VARCHAR",
        "school_flag": "BOOLEAN",
        "migrant_flag": "BOOLEAN",
        "guardian_name": "VARCHAR",
        "guardian_relation": "VARCHAR",
        **secondary_id("guardian"),
        "home_address": "VARCHAR",
    },
    "register": {
        **PROVENANCE,
        **id_block(),
        "name_raw": "VARCHAR",
        "name": "VARCHAR",
        "sex_raw": "VARCHAR",
        "sex": "VARCHAR",
        "birth_date_raw": "VARCHAR",
        "birth_date": "DATE",
        **DIVISION,
        "guardian_type": "VARCHAR",
        "guardian_name": "VARCHAR",
        "child_director": "VARCHAR",
        "entered_on": "DATE",
    },
    "work": {
        **PROVENANCE,
        **id_block(),
        "name_raw": "VARCHAR",
        "name": "VARCHAR",
        "work_division_raw": "VARCHAR",
        "work_division_code": "VARCHAR",
        "work_place_level": "VARCHAR",
        "start_date": "DATE",
        "end_date": "DATE",
        "source": "VARCHAR",
    },
    "incapacity": {
        **PROVENANCE,
        **id_block(),
        "name_raw": "VARCHAR",
        "name": "VARCHAR",
        "reason_raw": "VARCHAR",
        "reason": "VARCHAR",
        "start_date": "DATE",
        "end_date": "DATE",
    },
}

QUARANTINE: dict[str, str] = {
    "source": "VARCHAR",
    "file": "VARCHAR",
    "sheet": "VARCHAR",
    "row_number": "INTEGER",
    "record_key": "VARCHAR",
    "field": "VARCHAR",
    "reason": "VARCHAR",
    "raw": "VARCHAR",
}
"""One row per input row that could not be used; ``field`` and ``reason`` list every
fault found (joined by ``; ``), ``raw`` is the row as read, as JSON with its headers."""

FILE_ACCOUNTING: dict[str, str] = {
    "source": "VARCHAR",
    "file": "VARCHAR",
    "sheet": "VARCHAR",
    "encoding": "VARCHAR",
    "rows_read": "INTEGER",
    "rows_used": "INTEGER",
    "rows_quarantined": "INTEGER",
}

UNREAD_FILES: dict[str, str] = {
    "file": "VARCHAR",
    "reason": "VARCHAR",
}
"""Every entry of the quarter's folder that was not read (a file of no system, a type
the pipeline cannot read, a sub-folder), with the reason: with ``file_accounting`` it
accounts for the whole folder, so nothing in it goes unread without a word."""

LANDING_DIVISIONS: dict[str, str] = {
    "code": "VARCHAR",
    "name": "VARCHAR",
    "type": "VARCHAR",
    "urban_rural_code": "VARCHAR",
}

VALUE_DOMAINS: dict[str, tuple[str, ...]] = {
    "sex": ("男", "女"),
    "relation": (
        "户主",
        "配偶",
        "子",
        "女",
        "孙子",
        "孙女",
        "外孙子",
        "外孙女",
        "儿媳",
        "女婿",
        "父亲",
        "母亲",
        "祖父",
        "祖母",
        "外祖父",
        "外祖母",
        "兄弟姐妹",
        "其他",
    ),
    "status": ("正常", "迁出", "死亡", "注销"),
    "hukou_type": ("农业", "非农业", "居民"),
    "student_number_kind": ("G", "L", "J", "other"),
    "enrolment_status": ("在读", "休学", "转出", "辍学", "毕业"),
    "left_behind_flag": ("0", "1", "2", "是", "否"),
    "guardian_relation": ("父亲", "母亲", "祖父母", "外祖父母", "其他"),
    "guardian_type": ("祖辈监护", "亲属监护", "委托监护", "其他"),
    "work_place_level": ("province", "prefecture", "county", "abroad", "invalid"),
    "reason": ("重病", "重残", "服刑在押", "强制隔离戒毒", "失联", "死亡"),
}
