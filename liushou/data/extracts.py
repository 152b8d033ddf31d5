"""The five extracts of one quarter, and the division table, built from the world.

File-level choices (encodings, header variants, date formats) are fixed per file and do
not change between quarters, as a source system's export would not; row-level noise is
stored on the entities, so a row is written the same way every quarter and keeps its
record key.
"""

from __future__ import annotations

from datetime import date

from liushou.data import ids
from liushou.data.model import Enrolment, Household, Person
from liushou.data.render import (
    STYLES,
    Cell,
    DateStyle,
    FileOut,
    Row,
    Sheet,
    date_text,
    finish,
    headers,
    pick_style,
)
from liushou.data.world import RegisterEntry, World, years_before

GRADE_ORDER = (
    "小班",
    "中班",
    "大班",
    "一年级",
    "二年级",
    "三年级",
    "四年级",
    "五年级",
    "六年级",
    "七年级",
    "八年级",
    "九年级",
    "高一",
    "高二",
    "高三",
)
CHILD_RELATIONS = ("子", "女", "孙子", "孙女", "外孙子", "外孙女")


def in_extract(hh: Household, ref: date) -> list[Person]:
    """Members of a household the quarter's extract holds: the whole household, when it has
    a child under 18 on ref."""
    members = [m for m in hh.members if m.birth <= ref]
    adult_on = years_before(ref, 18)
    if not any(m.birth > adult_on for m in members):
        return []
    return members


def hukou_files(w: World, qi: int) -> list[FileOut]:
    ref = w.R[qi]
    files = []
    for i, t in enumerate(w.townships):
        style = STYLES[i % len(STYLES)]
        overrides = None
        if i == 3:
            overrides = {
                "id_number": "身份证号码",
                "birth_date": "出生年月日",
                "household_id": "户编号",
                "relation_to_head": "与户主的关系",
            }
        order = None
        if i == 9:
            order = [
                "household_id",
                "id_number",
                "name",
                "sex",
                "birth_date",
                "relation_to_head",
                "division_code",
                "division_name",
                "hukou_type",
                "urban_rural_code",
                "status",
                "status_date",
                "father_id_number",
                "father_name",
                "mother_id_number",
                "mother_name",
            ]
        extra = "备注" if i == 5 else None
        sheet = Sheet(t.name, headers("hukou", overrides, order, extra))
        households = sorted(
            (h for h in w.households if h.village.township is t), key=lambda h: h.hid
        )
        for hh in households:
            for p in in_extract(hh, ref):
                sheet.rows.append(
                    _hukou_row(p, hh, qi, ref, style, sex_digits=i == 7, remark=extra is not None)
                )
        encoding = "utf-8-sig" if i == 1 else "gb18030"
        # a township that names its file in Chinese: recognised by its name and header
        name = f"户籍_{t.name}.csv" if i == 4 else f"hukou_{t.code}.csv"
        out = FileOut(f"{w.quarters[qi]}/{name}", "hukou", "csv", [sheet], encoding)
        if i == 2:
            out.blank_line_after = min(5, len(sheet.rows) - 1)
        files.append(finish(out))
    if w.registered_away:
        files.append(_registered_away_file(w, qi))
    return files


def _registered_away_file(w: World, qi: int) -> FileOut:
    """Parents of this county's children registered in another county of the area: rows
    of that county's household extract (the contract's 'parents registered elsewhere'),
    written while a child of theirs is in this county's extract."""
    ref = w.R[qi]
    adult_on = years_before(ref, 18)
    with_child = {
        id(parent)
        for c in w.persons
        if c.household is not None and adult_on < c.birth <= ref
        for parent in (c.father, c.mother)
        if parent is not None
    }
    sheet = Sheet("外县登记父母", headers("hukou"))
    for parent, hh in w.registered_away:
        if id(parent) not in with_child:
            continue
        sheet.rows.append(
            _hukou_row(
                parent, hh, qi, ref, STYLES[0], sex_digits=False, remark=False, relation="户主"
            )
        )
    out = FileOut(f"{w.quarters[qi]}/hukou_registered_away.csv", "hukou", "csv", [sheet], "utf-8")
    return finish(out)


def _hukou_row(
    p: Person,
    hh: Household,
    qi: int,
    ref: date,
    style: DateStyle,
    *,
    sex_digits: bool,
    remark: bool,
    relation: str | None = None,
) -> Row:
    status, when = p.status_on(ref)
    st = pick_style(style, p.fmt)
    is_child = p.relation in CHILD_RELATIONS
    father = p.father if is_child and p.father_col else None
    mother = p.mother if is_child and p.mother_col else None
    cells: dict[str, Cell] = {
        "id_number": ids.noisy(p.id_at(qi), p.id_noise),
        "name": p.name_written,
        "sex": ("1" if p.sex == "男" else "2") if sex_digits else p.sex,
        "birth_date": p.birth_written or date_text(p.birth, st),
        "household_id": hh.hid,
        "relation_to_head": relation or p.relation,
        "division_code": hh.village.code,
        "division_name": hh.address if p.fmt % 10 < 7 else "",
        "hukou_type": p.hukou_type,
        "urban_rural_code": hh.village.urban_rural_code if p.ur_written else "",
        "status": status,
        "status_date": date_text(when, style) if when is not None else "",
        "father_id_number": ids.noisy(father.id18, p.parent_col_noise) if father else "",
        "father_name": father.name if father else "",
        "mother_id_number": ids.noisy(mother.id18, p.parent_col_noise) if mother else "",
        "mother_name": mother.name if mother else "",
    }
    if remark:
        cells["__extra__"] = "补录" if p.fmt % 97 == 0 else ("户主变更" if p.fmt % 89 == 0 else "")
    if p.ragged:
        cells["division_name"] = f"{hh.village.township.name},{hh.village.name}"
    return Row(cells, p, ragged=p.ragged)


def enrolments(w: World, qi: int) -> list[Enrolment]:
    rows = [e for p in w.persons for e in p.enrol_plan.get(qi, [])]
    rows.extend(w.extra_enrolments[qi])
    return rows


def xueji_file(w: World, qi: int) -> FileOut:
    rows = enrolments(w, qi)
    rank = {g: i for i, g in enumerate(GRADE_ORDER)}
    rows.sort(key=lambda e: (e.school.code, rank.get(e.grade, 99), e.student_number))
    primary = Sheet("小学", headers("xueji"))
    secondary = Sheet(
        "中学",
        headers(
            "xueji",
            {
                "name": "学生姓名",
                "student_number": "全国学籍号*",
                "id_number": "身份证件号（18位）",
            },
            extra="备注",
        ),
    )
    for e in rows:
        target = primary if e.school.level in ("kg", "primary") else secondary
        target.rows.append(_xueji_row(e, extra=target is secondary))
    notes = [
        f"{w.quarters[qi]} 学籍数据导出（留守儿童信息比对用）",
        "1. 本表含学前、小学、初中、高中在籍学生；“小学”表含学前教育阶段。",
        "2. 是否留守儿童：0 非留守，1 单亲留守，2 双亲留守；部分学校填写是/否。",
        "3. 全国学籍号以 G 开头为正式学籍号，L 为临时学籍号，J 为无有效身份证件学生。",
        "4. 数据仅供民政、教育部门比对使用，不得外传。",
    ]
    return finish(
        FileOut(f"{w.quarters[qi]}/xueji.xlsx", "xueji", "xlsx", [primary, secondary], notes=notes)
    )


def _xueji_row(e: Enrolment, *, extra: bool) -> Row:
    birth: Cell
    fmt = e.child.fmt if e.child is not None else 0
    if isinstance(e.birth, date):
        style = pick_style("iso", fmt, serial=False)
        birth = e.birth if style == "iso" else date_text(e.birth, style)
    else:
        birth = e.birth
    cells: dict[str, Cell] = {
        "student_number": e.student_number,
        "name": e.name,
        "sex": e.sex,
        "birth_date": birth,
        "id_number": e.id_col,
        "school_code": e.school.code,
        "school_name": e.school.name,
        "school_division_code": e.school.division_code,
        "grade": e.grade,
        "enrolment_status": e.status,
        "left_behind_flag": e.flag or "",
        "migrant_flag": e.migrant,
        "guardian_name": e.guardian_name,
        "guardian_relation": e.guardian_relation,
        "guardian_id_number": e.guardian_id,
        "home_address": e.home_address,
    }
    if extra:
        cells["__extra__"] = (
            "已办理转学" if e.status == "转出" else "随迁" if e.migrant == "是" else ""
        )
    return Row(cells, e)


def register_file(w: World, qi: int, entries: list[RegisterEntry]) -> FileOut:
    as_xlsx = qi % 2 == 0
    if as_xlsx:
        sheet = Sheet("留守儿童名册", headers("register"))
    else:
        sheet = Sheet("register", headers("register", {"id_number": "儿童身份证号"}))
    for e in entries:
        fmt = e.person.fmt if e.person is not None else 500
        cells: dict[str, Cell] = {
            "id_number": e.id_written,
            "name": e.name,
            "sex": e.sex,
            "birth_date": e.birth if as_xlsx else date_text(e.birth, pick_style("slash", fmt)),
            "division_code": e.division,
            "guardian_type": e.guardian_type,
            "guardian_name": e.guardian_name,
            "child_director": e.director,
            "entered_on": e.entered_on if as_xlsx else date_text(e.entered_on, "slash"),
        }
        sheet.rows.append(Row(cells, e))
    if as_xlsx:
        return finish(FileOut(f"{w.quarters[qi]}/register.xlsx", "register", "xlsx", [sheet]))
    return finish(FileOut(f"{w.quarters[qi]}/register.csv", "register", "csv", [sheet], "gb18030"))


def work_file(w: World, qi: int) -> FileOut:
    ref = w.R[qi]
    spells = [s for p in w.persons for s in p.spells if s.start <= ref]
    spells.sort(key=lambda s: (s.source, s.parent.id18, s.start, s.place))
    sheet = Sheet("work", headers("work"))
    for s in spells:
        p = s.parent
        noise = s.id_noise or (
            "lower_x"
            if p.id18.endswith("X") and s.fmt % 5 == 0
            else ("trail" if s.fmt % 151 == 0 else ("space" if s.fmt % 173 == 0 else ""))
        )
        style = pick_style("iso", s.fmt)
        end = s.end if s.end is not None and s.end <= ref else None
        cells: dict[str, Cell] = {
            "id_number": ids.noisy(p.id18, noise),
            "name": p.name if s.fmt % 6 else "",
            "work_division_code": s.place,
            "start_date": date_text(s.start, style),
            "end_date": date_text(end, style) if end else "",
            "source": s.source,
        }
        sheet.rows.append(Row(cells, s))
    return finish(
        FileOut(f"{w.quarters[qi]}/work.csv", "work", "csv", [sheet], "utf-8", line_end="\n")
    )


def incapacity_file(w: World, qi: int) -> FileOut:
    ref = w.R[qi]
    records = [r for p in w.persons for r in p.incapacities if r.start <= ref]
    records.sort(key=lambda r: (r.start, r.parent.id18))
    sheet = Sheet("incapacity", headers("incapacity"))
    for r in records:
        cells: dict[str, Cell] = {
            "id_number": r.parent.id18,
            "name": r.parent.name,
            "reason": r.reason,
            "start_date": r.start,
            "end_date": r.end if r.end is not None and r.end <= ref else None,
        }
        sheet.rows.append(Row(cells, r))
    return finish(FileOut(f"{w.quarters[qi]}/incapacity.parquet", "incapacity", "parquet", [sheet]))


def divisions_file(w: World) -> FileOut:
    """contract.md: every ``code`` has 12 digits, a township's ending in 000."""
    sheet = Sheet(
        "divisions",
        {"code": "code", "name": "name", "type": "type", "urban_rural_code": "urban_rural_code"},
    )
    for t in w.townships:
        sheet.rows.append(
            Row({"code": t.code + "000", "name": t.name, "type": t.type, "urban_rural_code": ""}, t)
        )
        for v in t.villages:
            sheet.rows.append(
                Row(
                    {
                        "code": v.code,
                        "name": v.name,
                        "type": v.type,
                        "urban_rural_code": v.urban_rural_code,
                    },
                    v,
                )
            )
    return FileOut("divisions.csv", "hukou", "csv", [sheet], "utf-8", line_end="\n")
