"""The findings' evidence in plain Chinese for the review page.

The published ``detail`` and ``suggestion`` are written for both the analysts' workbook
and the logs: bilingual, with the matcher's scores and codes (``score 0.5 [姓名 同名
same characters (+9.8); …]``, ``bad_checksum``, ``same_person 1=2``). A township clerk
reading the portal needs the sentence, not the weights: this module keeps the Chinese
half of bilingual text, turns the matcher's feature lists into 「姓名相同、出生日期相同」,
and names codes in words. It only rewrites text: the facts are the published ones.
"""

from __future__ import annotations

import re

CODES: dict[str, str] = {
    "bad_checksum": "校验位错误",
    "bad_length": "位数不对",
    "bad_date": "出生日期无效",
    "bad_region": "地区码无效",
    "excel_float": "被 Excel 截断",
    "scientific": "被 Excel 转为科学计数法",
    "exact_id": "身份证号一致",
    "corrected_id": "更正后的身份证号一致",
    "legacy_id": "15 位旧号码一致",
    "name_birth": "姓名和出生日期一致",
    "own_id": "本人证件号",
    "registered_id": "登记号码",
    "alias": "曾用名",
    "surrogate": "无有效号码",
    "ambiguous": "匹配不确定",
    "unresolved": "未能匹配",
    "missing": "缺失",
}
"""The matcher's and readers' codes that reach the text, in words."""

FEATURE_WORDS: dict[str, str] = {
    "同名": "相同",
    "同日": "相同",
    "相同": "相同",
    "同县": "相同",
    "不同": "不同",
}

ENGLISH: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(
            r"^a valid ID number \(([^)]*)\) that is not in this area's household registration$"
        ),
        r"身份证号 \1 有效，但不在本地户籍登记中",
    ),
    (
        re.compile(
            r"^the ID number \(([^)]*)\) belongs to a household person with another name "
            r"and birth date$"
        ),
        r"身份证号 \1 属于另一名姓名、出生日期不同的户籍人员",
    ),
    (
        re.compile(
            r"^no usable ID number and no household person with this name and birth date: "
            r"possibly 无户籍$"
        ),
        "没有可用的身份证号，户籍中也没有同名同日出生的人：可能无户籍",
    ),
    (
        re.compile(r"^household registered elsewhere: confirm with the household county$"),
        "户籍在外地：请与户籍所在县（区）核实",
    ),
    (re.compile(r"^check the ID number on the (\w+) record$"), r"核对\1记录中的身份证号"),
    (
        re.compile(r"^check whether the child has household registration \(户口登记\)$"),
        "核实该儿童是否已办理户口登记",
    ),
)
"""Whole English sentences some findings still carry, in Chinese."""

_FEATURES = re.compile(r"\[([^\]]*)\]")
_SCORE = re.compile(r"\(?score (\d+(?:\.\d+)?)\)?")
_CANDIDATES = re.compile(r"^fits (\d+) (household persons|persons|records): (.*)$", re.S)
_SOURCES = {"xueji": "学籍", "hukou": "户籍", "register": "民政名册"}


def features(text: str) -> str:
    """``姓名 同名 same characters (+9.8); 身份证号 missing (+0.0)`` →
    ``姓名相同；身份证号缺失``."""
    said = []
    for part in text.split(";"):
        words = part.strip().split(" ")
        if not words or not words[0]:
            continue
        field = words[0]
        verdict = next(
            (w for w in words[1:] if re.search(r"[\u4e00-\u9fff]", w) and not w.startswith("(")),
            "",
        )
        if not verdict:
            code = next((w for w in words[1:] if w in CODES), "")
            verdict = CODES.get(code, "")
        verdict = FEATURE_WORDS.get(verdict, verdict)
        if verdict.startswith(field[:2]) and len(verdict) > len(field[:2]):
            said.append(verdict)
        else:
            said.append(f"{field}{verdict}")
    return "、".join(said)


def chinese_half(text: str) -> str:
    """``中文 / English`` → ``中文``: the Chinese comes first in bilingual text; what the
    English half adds as data (a parenthesis at its end, Chinese after a colon) is kept."""
    if " / " not in text:
        return text
    head, _, tail = text.partition(" / ")
    if not re.search(r"[\u4e00-\u9fff]", head) or re.search(r"[\u4e00-\u9fff]{2,}", tail[:12]):
        return text
    head = head.strip()
    after = re.search(r":\s*([^:]*[\u4e00-\u9fff][^:]*)$", tail)
    if after:
        return f"{head}：{after.group(1).strip()}"
    bracket = re.search(r"\(([^()]*)\)\s*$", tail)
    if bracket and not re.fullmatch(r"[a-z_ ]+", bracket.group(1)):
        return f"{head}（{bracket.group(1).strip()}）"
    return head


def codes(text: str) -> str:
    return re.sub(
        r"\b(" + "|".join(CODES) + r")\b",
        lambda m: CODES[m.group(1)],
        text,
    )


def sentence(text: str) -> str:
    """One finding's detail or suggestion as plain Chinese."""
    if not text:
        return ""
    text = text.strip()
    for pattern, words in ENGLISH:
        if pattern.match(text):
            return _sources(pattern.sub(words, text))
    found = _CANDIDATES.match(text)
    if found:
        count, _, rest = found.groups()
        parts = []
        for i, candidate in enumerate(rest.split(" | "), start=1):
            who = candidate.split(" score ")[0].strip()
            score = _SCORE.search(candidate)
            why = _FEATURES.search(candidate)
            parts.append(
                f"候选{i}（{who}）：{features(why.group(1)) if why else ''}"
                + (f"，匹配分 {score.group(1)}" if score else "")
            )
        return f"该记录与 {count} 名户籍人员都相符，无法自动确定是谁。" + "；".join(parts) + "。"
    if ": " in text and _FEATURES.search(text) is None and "(+" in text:
        head, _, tail = text.partition(": ")
        score = _SCORE.search(head)
        head = chinese_half(_SCORE.sub("", head).strip())
        return (
            f"{head}（匹配分 {score.group(1)}）：{features(tail)}"
            if score
            else f"{head}：{features(tail)}"
        )
    return codes(_sources(chinese_half(text)))


def _sources(text: str) -> str:
    for code, word in _SOURCES.items():
        text = re.sub(rf"(?<![a-z_]){code}(?![a-z_])", word, text)
    return text
