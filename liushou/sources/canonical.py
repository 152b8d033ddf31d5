"""One system's raw text table → its canonical table and the rows that cannot be used.

A row goes to quarantine only when it cannot be used at all (no name, no readable birth
date, no ID where the ID is the only key, …); everything that can still be matched or
repaired later stays in the canonical table with its verdict columns. The quarantine
lists every fault of a row at once, so the bureau mends a row once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from liushou.sources.codes import (
    normalise_division,
    normalise_enrolment,
    normalise_guardian_relation,
    normalise_guardian_type,
    normalise_household_status,
    normalise_hukou_type,
    normalise_left_behind,
    normalise_migrant,
    normalise_reason,
    normalise_relation,
    normalise_sex,
    normalise_work_place,
    only_digits,
)
from liushou.sources.contract import SPECS, System
from liushou.sources.dates import parse_dates, unparseable
from liushou.sources.idnumbers import normalise_ids, normalise_secondary_ids
from liushou.sources.names import normalise_names
from liushou.sources.readers import LINE_COLUMNS, PROVENANCE_COLUMNS, RAW_LINE, RAW_LINE_FAULT
from liushou.sources.schema import CANONICAL, QUARANTINE
from liushou.sources.text import arrow, blank, nfkc, series, squeeze, tidy

Getter = Callable[[str], pd.Series]


@dataclass(frozen=True)
class Fault:
    """A reason a row cannot be used; ``reason`` is read by the bureau."""

    rows: np.ndarray
    field: str
    reason: str


@dataclass(frozen=True)
class Normalised:
    """Every input row normalised, and which of them go to quarantine instead."""

    rows: pd.DataFrame
    """``schema.CANONICAL[system]`` columns, one row per input row."""
    quarantined: np.ndarray
    quarantine: pd.DataFrame
    """``schema.QUARANTINE`` columns, one row per quarantined input row."""

    @property
    def canonical(self) -> pd.DataFrame:
        return self.rows.loc[~self.quarantined].reset_index(drop=True)


def canonicalise(
    system: System, raw: pd.DataFrame, headers: Mapping[str, str] | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(canonical rows with ``schema.CANONICAL[system]`` columns, quarantine rows).

    ``raw`` is a reader's frame (provenance columns, then text columns under canonical
    names or their own header); ``headers`` gives each column's header as written in
    the file, for the quarantine's ``raw`` JSON.
    """
    result = normalise_rows(system, raw, headers)
    return result.canonical, result.quarantine


def normalise_rows(
    system: System,
    raw: pd.DataFrame,
    headers: Mapping[str, str] | None = None,
    *,
    reference_date: date | None = None,
) -> Normalised:
    """:func:`canonicalise` without dropping the quarantined rows, for a caller that
    filters while it copies anyway (the loader, on its way into DuckDB).

    With ``reference_date`` (R), a person born after it is a typing slip (2062 for
    2026) that no later stage can use: quarantined here rather than left to stop the
    run at the register's age gate.
    """
    raw = raw.reset_index(drop=True)

    def get(name: str) -> pd.Series:
        if name in raw.columns:
            return raw[name].astype("str")
        return pd.Series(pd.NA, index=raw.index, dtype="str")

    values, faults = _BUILDERS[system](get)
    if reference_date is not None and "birth_date" in values:
        faults.append(_born_after(values["birth_date"], reference_date))
    repeated = _repeated_header(system, raw, headers or {})
    if repeated.any():
        faults = [Fault(f.rows & ~repeated, f.field, f.reason) for f in faults]
        faults.insert(0, Fault(repeated, "row", REPEATED_HEADER))
    faults = [*_undecodable(raw), *faults]
    ragged = _ragged_lines(raw)
    if ragged:
        lines = np.logical_or.reduce([f.rows for f in ragged])
        faults = [*ragged, *(Fault(f.rows & ~lines, f.field, f.reason) for f in faults)]
    values.update(
        file=raw["file"].astype("str"),
        sheet=raw["sheet"].astype("str"),
        row_number=raw["row_number"].astype("int32"),
        record_key=record_keys(raw, SPECS[system].record_key),
    )
    rows = pd.DataFrame({name: values[name] for name in CANONICAL[system]})
    bad, field, reason = _verdicts(faults, len(raw))
    quarantine = pd.DataFrame(
        {
            "source": pd.Series(system, index=raw.index[bad], dtype="str"),
            **{name: rows.loc[bad, name] for name in (*PROVENANCE_COLUMNS, "record_key")},
            "field": field,
            "reason": reason,
            "raw": _raw_json(raw.loc[bad], headers or {}),
        }
    )[list(QUARANTINE)]
    return Normalised(rows, bad, quarantine.reset_index(drop=True))


REPEATED_HEADER = "重复的表头行 / a repeated header row (files pasted together?)"
UNDECODABLE = "含无法解码的字节 / undecodable bytes (the file's encoding is damaged here)"


def born_after_reason(reference_date: date) -> str:
    return (
        f"出生日期晚于参考日期 {reference_date}（录入错误？）/ birth date after the reference "
        f"date R ({reference_date}): a typing slip?"
    )


def _born_after(birth: pd.Series, reference_date: date) -> Fault:
    later = (birth > np.datetime64(reference_date, "s")).to_numpy(dtype=bool)
    return Fault(later, "birth_date", born_after_reason(reference_date))


def _ragged_lines(raw: pd.DataFrame) -> list[Fault]:
    """A fault per way a delimited file's lines are ragged (the reader says how)."""
    if RAW_LINE_FAULT not in raw.columns:
        return []
    fault = raw[RAW_LINE_FAULT]
    return [
        Fault((fault == reason).to_numpy(dtype=bool), "row", str(reason))
        for reason in fault.dropna().unique()
    ]


def _repeated_header(system: System, raw: pd.DataFrame, headers: Mapping[str, str]) -> np.ndarray:
    """Rows that repeat the header: every mapped column holds a header of that column.

    Files pasted together (one per township) keep each file's header line; such a row
    is told apart so the bureau is not sent after "unparseable dates" that are the
    word 出生日期. The header as written and every alias of the column count, because
    the pasted files need not spell their headers alike. Case and surrounding white
    space are ignored. Each column is looked at only in the rows still in the running,
    so after the first the check costs next to nothing.
    """
    mapped = [c for c in SPECS[system].columns if c.name in raw.columns]
    if raw.empty or not mapped:
        return np.zeros(len(raw), dtype=bool)
    found = np.arange(len(raw))
    for column in mapped:
        spellings = {h.strip().lower() for h in (headers.get(column.name, ""), *column.all_headers)}
        values = raw[column.name]
        values = values if found.size == len(raw) else values.iloc[found]
        text = pc.utf8_lower(pc.utf8_trim_whitespace(arrow(values)))
        hit = pc.is_in(text, value_set=pa.array(sorted(spellings - {""}), pa.string()))
        found = found[np.asarray(pc.fill_null(hit, False).to_numpy(zero_copy_only=False))]
        if not found.size:
            break
    repeated = np.zeros(len(raw), dtype=bool)
    repeated[found] = True
    return repeated


def _undecodable(raw: pd.DataFrame) -> list[Fault]:
    """A fault per data column holding U+FFFD, which the CSV reader puts for bytes that
    are not valid in the file's encoding: the value is not what the bureau typed."""
    data = [c for c in raw.columns if c not in (*PROVENANCE_COLUMNS, *LINE_COLUMNS)]
    faults = []
    for name in data:
        hit = pc.match_substring(arrow(raw[name]), "\ufffd")
        rows = np.array(pc.fill_null(hit, False).to_numpy(zero_copy_only=False), dtype=bool)
        if rows.any():
            faults.append(Fault(rows, str(name), UNDECODABLE))
    return faults


def record_keys(raw: pd.DataFrame, columns: tuple[str, ...]) -> pd.Series:
    """``contract.record_key`` for every row at once: raw parts trimmed, joined by ``|``."""
    parts = [
        pc.utf8_trim_whitespace(pc.fill_null(arrow(raw[c]), ""))
        if c in raw.columns
        else pa.nulls(len(raw), pa.large_string()).fill_null("")
        for c in columns
    ]
    separator = pa.scalar("|", pa.large_string())
    return series(pc.binary_join_element_wise(*parts, separator), raw.index)


def _verdicts(faults: list[Fault], n: int) -> tuple[np.ndarray, pd.Series, pd.Series]:
    """Rows with any fault, and their faults' fields and reasons joined by ``; ``."""
    if not faults:
        empty = pd.Series([], dtype="str")
        return np.zeros(n, dtype=bool), empty, empty
    found = np.column_stack([f.rows for f in faults])
    bad: np.ndarray = np.asarray(found.any(axis=1))
    combos, code = np.unique(found[bad], axis=0, return_inverse=True)
    fields = [
        "; ".join(dict.fromkeys(f.field for f, on in zip(faults, c, strict=True) if on))
        for c in combos
    ]
    reasons = ["; ".join(f.reason for f, on in zip(faults, c, strict=True) if on) for c in combos]
    index = pd.RangeIndex(n)[np.flatnonzero(bad)]
    return (
        bad,
        pd.Series(np.asarray(fields, dtype=object)[code.ravel()], index=index, dtype="str"),
        pd.Series(np.asarray(reasons, dtype=object)[code.ravel()], index=index, dtype="str"),
    )


def _raw_json(rows: pd.DataFrame, headers: Mapping[str, str]) -> pd.Series:
    """The quarantine's ``raw``: each row keyed by the file's own headers, except a ragged
    line, whose cells mean nothing: ``{"原始行": the line as written}``."""
    data = [c for c in rows.columns if c not in (*PROVENANCE_COLUMNS, *LINE_COLUMNS)]
    if RAW_LINE not in rows.columns:
        return _json_rows(rows, headers, data)
    line = rows[RAW_LINE].notna().to_numpy()
    return pd.concat(
        [
            _json_rows(rows.loc[~line], headers, data),
            _json_rows(rows.loc[line], {RAW_LINE: RAW_LINE}, [RAW_LINE]),
        ]
    ).loc[rows.index]


def _json_rows(rows: pd.DataFrame, headers: Mapping[str, str], data: list[str]) -> pd.Series:
    """Each row as a JSON object keyed by the file's own headers (UTF-8, not escaped)."""
    if rows.empty or not data:
        return pd.Series("{}", index=rows.index, dtype="str")
    pairs = ", ".join(f"{_literal(headers.get(c, c))}, {_identifier(c)}" for c in data)
    table = pa.Table.from_pandas(rows[data].astype("str"), preserve_index=False)
    with duckdb.connect() as con:
        con.register("quarantined", table)
        out = con.sql(f"SELECT json_object({pairs})::VARCHAR AS raw FROM quarantined").df()
    return pd.Series(out["raw"].to_numpy(), index=rows.index, dtype="str")


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _identifier(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def _name_and_birth(get: Getter) -> tuple[dict[str, pd.Series], list[Fault]]:
    name = normalise_names(get("name"))
    birth = parse_dates(get("birth_date"))
    faults = [
        Fault(name.isna().to_numpy(), "name", "姓名为空 / name missing"),
        Fault(blank(get("birth_date")), "birth_date", "出生日期为空 / birth date missing"),
        Fault(
            unparseable(get("birth_date"), birth),
            "birth_date",
            "出生日期无法识别 / unparseable birth date",
        ),
    ]
    values = {
        "name_raw": get("name"),
        "name": name,
        "birth_date_raw": get("birth_date"),
        "birth_date": birth,
    }
    return values, faults


_ID_UNUSABLE = {
    "missing": "身份号码为空 / ID number missing",
    "excel_float": "身份号码被 Excel 改成科学计数法、后几位已丢失 / ID number truncated by Excel",
    "bad_length": "身份号码位数不对 / ID number has the wrong length",
}


def _id_faults(block: pd.DataFrame, vouched: tuple[str, ...] = ()) -> list[Fault]:
    """The main ID of a row that has no other key: unusable when nothing is left of it.

    Statuses in ``vouched`` stay for matching, where another extract may hold the
    number intact (a household number cut short by Excel); matching quarantines the
    row when none does."""
    status = block["id_status"]
    return [
        Fault((status == s).to_numpy(), "id_number", reason)
        for s, reason in _ID_UNUSABLE.items()
        if s not in vouched
    ]


def _dates(
    get: Getter, start: str, end: str, start_label: str, end_label: str
) -> tuple[dict[str, pd.Series], list[Fault]]:
    """A spell's start (required) and end (blank while it lasts)."""
    first = parse_dates(get(start))
    last = parse_dates(get(end))
    faults = [
        Fault(blank(get(start)), start, f"{start_label}为空 / start date missing"),
        Fault(unparseable(get(start), first), start, f"{start_label}无法识别 / unparseable date"),
        Fault(unparseable(get(end), last), end, f"{end_label}无法识别 / unparseable date"),
        Fault(
            (last < first).fillna(False).to_numpy(dtype=bool),
            end,
            f"{end_label}早于{start_label} / end date before start date",
        ),
    ]
    return {start: first, end: last}, faults


def _code(values: pd.Series) -> pd.Series:
    """Identifiers typed by hand (户号, 学校标识码): NFKC, no white space; blank → NA."""
    text = squeeze(nfkc(values))
    return text.mask(text == "")


def _hukou(get: Getter) -> tuple[dict[str, pd.Series], list[Fault]]:
    values, faults = _name_and_birth(get)
    block = normalise_ids(get("id_number"), values["birth_date"])
    father, father_valid = normalise_secondary_ids(get("father_id_number"))
    mother, mother_valid = normalise_secondary_ids(get("mother_id_number"))
    household = _code(get("household_id"))
    status = normalise_household_status(get("status"))
    status_blank = blank(get("status"))
    values.update(
        _columns(block),
        sex_raw=get("sex"),
        sex=normalise_sex(get("sex")),
        household_id=household,
        relation_raw=get("relation_to_head"),
        relation=normalise_relation(get("relation_to_head")),
        **_columns(normalise_division(get("division_code"))),
        division_name=tidy(get("division_name")),
        hukou_type=normalise_hukou_type(get("hukou_type")),
        urban_rural_code=_blank_na(only_digits(get("urban_rural_code"))),
        status=status,
        status_date=parse_dates(get("status_date")),
        father_id_number=father,
        father_id_valid=father_valid,
        father_name=normalise_names(get("father_name")),
        mother_id_number=mother,
        mother_id_valid=mother_valid,
        mother_name=normalise_names(get("mother_name")),
    )
    faults += [
        *_id_faults(block, vouched=("excel_float",)),
        Fault(household.isna().to_numpy(), "household_id", "户号为空 / household number missing"),
        Fault(status_blank, "status", "户籍状态为空 / household status missing"),
        Fault(
            status.isna().to_numpy() & ~status_blank,
            "status",
            "户籍状态无法识别（应为 正常/迁出/死亡/注销）/ unknown household status",
        ),
    ]
    return values, faults


def _xueji(get: Getter) -> tuple[dict[str, pd.Series], list[Fault]]:
    values, faults = _name_and_birth(get)
    number = nfkc(get("student_number")).str.strip().str.upper()
    number = number.mask(number == "")
    lead = number.str.slice(0, 1)
    kind = lead.where(lead.isin(["G", "L", "J"]), "other")
    embedded = normalise_ids(number.str.slice(1), values["birth_date"])
    is_g = (kind == "G").to_numpy()
    flag, school_flag = normalise_left_behind(get("left_behind_flag"))
    guardian, guardian_valid = normalise_secondary_ids(get("guardian_id_number"))
    school_code = _code(get("school_code"))
    school_division = _blank_na(only_digits(get("school_division_code")))
    values.update(
        _columns(normalise_ids(get("id_number"), values["birth_date"])),
        student_number=number,
        student_number_kind=kind,
        student_number_id=embedded["id_number"].where(is_g),
        student_number_id_valid=embedded["id_valid"] & is_g,
        sex_raw=get("sex"),
        sex=normalise_sex(get("sex")),
        school_code=school_code,
        school_name=tidy(get("school_name")),
        school_division_code=school_division,
        school_county_code=school_division.str.slice(0, 6).where(school_division.str.len() >= 6),
        grade=tidy(get("grade")),
        enrolment_status_raw=get("enrolment_status"),
        enrolment_status=normalise_enrolment(get("enrolment_status")),
        left_behind_flag=flag,
        school_flag=school_flag,
        migrant_flag=normalise_migrant(get("migrant_flag")),
        guardian_name=normalise_names(get("guardian_name")),
        guardian_relation=normalise_guardian_relation(get("guardian_relation")),
        guardian_id_number=guardian,
        guardian_id_valid=guardian_valid,
        home_address=tidy(get("home_address")),
    )
    faults += [
        Fault(
            number.isna().to_numpy(), "student_number", "全国学籍号为空 / student number missing"
        ),
        Fault(school_code.isna().to_numpy(), "school_code", "学校标识码为空 / school code missing"),
    ]
    return values, faults


def _register(get: Getter) -> tuple[dict[str, pd.Series], list[Fault]]:
    values, faults = _name_and_birth(get)
    values.update(
        _columns(normalise_ids(get("id_number"), values["birth_date"])),
        sex_raw=get("sex"),
        sex=normalise_sex(get("sex")),
        **_columns(normalise_division(get("division_code"))),
        guardian_type=normalise_guardian_type(get("guardian_type")),
        guardian_name=normalise_names(get("guardian_name")),
        child_director=normalise_names(get("child_director")),
        entered_on=parse_dates(get("entered_on")),
    )
    return values, faults


def _work(get: Getter) -> tuple[dict[str, pd.Series], list[Fault]]:
    block = normalise_ids(get("id_number"))
    place = normalise_work_place(get("work_division_code"))
    spell, faults = _dates(get, "start_date", "end_date", "外出日期", "返回日期")
    values = {
        **_columns(block),
        "name_raw": get("name"),
        "name": normalise_names(get("name")),
        "work_division_raw": get("work_division_code"),
        **_columns(place),
        **spell,
        "source": tidy(get("source")),
    }
    faults += [
        *_id_faults(block),
        Fault(
            (place["work_place_level"] == "invalid").to_numpy(),
            "work_division_code",
            "务工地区划代码无法识别 / unrecognised work place code",
        ),
    ]
    return values, faults


def _incapacity(get: Getter) -> tuple[dict[str, pd.Series], list[Fault]]:
    block = normalise_ids(get("id_number"))
    reason = normalise_reason(get("reason"))
    spell, faults = _dates(get, "start_date", "end_date", "认定日期", "终止日期")
    values = {
        **_columns(block),
        "name_raw": get("name"),
        "name": normalise_names(get("name")),
        "reason_raw": get("reason"),
        "reason": reason,
        **spell,
    }
    faults += [
        *_id_faults(block),
        Fault(reason.isna().to_numpy(), "reason", "原因为空 / reason missing"),
    ]
    return values, faults


def _columns(frame: pd.DataFrame) -> dict[str, pd.Series]:
    return {str(name): frame[name] for name in frame.columns}


def _blank_na(values: pd.Series) -> pd.Series:
    return values.mask(values == "")


_BUILDERS: dict[System, Callable[[Getter], tuple[dict[str, pd.Series], list[Fault]]]] = {
    "hukou": _hukou,
    "xueji": _xueji,
    "register": _register,
    "work": _work,
    "incapacity": _incapacity,
}
