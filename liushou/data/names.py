"""Chinese personal names for the synthetic demo county.

Surnames are drawn by frequency: a Putian (莆田) table for people born in the county, where
林 陈 黄 郑 吴 are far more common than nationally, and a national table for spouses and
parents from elsewhere. Given names come from character lists that follow the fashion of
each generation (grandparents 秀英 金福, parents 丽娟 志强, children 梓涵 浩宇), one or two
characters. A few Uyghur names carry the middle dot (阿依古丽·买买提).

Everything is drawn from the caller's :class:`random.Random`: the same seed gives the same
names.
"""

from __future__ import annotations

import random
from itertools import accumulate
from typing import Literal

Generation = Literal["elder", "parent", "child"]
Sex = Literal["男", "女"]

# Approximate shares per mille; the tail keeps rarer surnames alive, including some whose
# surname reading differs from the common one (曾 zeng, 单 shan, 仇 qiu, 解 xie).
PUTIAN_SURNAMES: dict[str, float] = {
    "林": 120,
    "陈": 105,
    "黄": 70,
    "郑": 62,
    "吴": 48,
    "王": 38,
    "蔡": 34,
    "李": 30,
    "张": 28,
    "刘": 24,
    "方": 22,
    "许": 20,
    "朱": 16,
    "余": 15,
    "柯": 15,
    "翁": 15,
    "杨": 14,
    "周": 14,
    "徐": 12,
    "宋": 11,
    "卓": 11,
    "彭": 10,
    "关": 9,
    "游": 9,
    "肖": 9,
    "薛": 9,
    "魏": 8,
    "戴": 8,
    "傅": 8,
    "何": 8,
    "江": 7,
    "郭": 7,
    "胡": 6,
    "赵": 6,
    "孙": 5,
    "马": 5,
    "苏": 6,
    "詹": 5,
    "姚": 5,
    "谢": 6,
    "洪": 5,
    "曾": 5,
    "欧": 4,
    "康": 4,
    "邱": 4,
    "蒋": 3,
    "温": 3,
    "潘": 4,
    "庄": 4,
    "严": 3,
    "单": 1,
    "仇": 1,
    "解": 1,
    "范": 3,
    "唐": 3,
    "龚": 2,
    "田": 2,
    "阮": 2,
    "兰": 2,
    "程": 2,
}

NATIONAL_SURNAMES: dict[str, float] = {
    "王": 72,
    "李": 71,
    "张": 68,
    "刘": 54,
    "陈": 45,
    "杨": 32,
    "黄": 24,
    "赵": 22,
    "吴": 20,
    "周": 19,
    "徐": 14,
    "孙": 13,
    "马": 12,
    "朱": 12,
    "胡": 11,
    "郭": 11,
    "何": 10,
    "林": 9,
    "高": 10,
    "罗": 9,
    "郑": 8,
    "梁": 8,
    "谢": 7,
    "宋": 6,
    "唐": 6,
    "许": 6,
    "韩": 6,
    "冯": 6,
    "邓": 6,
    "曹": 5,
    "彭": 5,
    "曾": 5,
    "肖": 5,
    "田": 4,
    "董": 4,
    "袁": 4,
    "潘": 4,
    "于": 4,
    "蒋": 4,
    "蔡": 4,
    "余": 4,
    "杜": 4,
    "叶": 4,
    "程": 3,
    "苏": 3,
    "魏": 3,
    "吕": 3,
    "丁": 3,
    "任": 3,
    "沈": 3,
    "姚": 3,
    "卢": 3,
    "姜": 3,
    "崔": 2,
    "钟": 2,
    "谭": 2,
    "陆": 2,
    "汪": 2,
    "范": 2,
    "金": 2,
    "石": 2,
    "廖": 2,
    "贾": 2,
    "夏": 2,
    "韦": 2,
    "付": 2,
    "方": 2,
    "白": 2,
    "邹": 2,
    "孟": 2,
    "熊": 2,
    "秦": 2,
    "邱": 2,
    "江": 2,
    "尹": 2,
    "薛": 2,
    "闫": 2,
    "段": 2,
    "雷": 2,
    "侯": 1,
    "龙": 1,
    "史": 1,
    "陶": 1,
    "黎": 1,
    "贺": 1,
    "顾": 1,
    "毛": 1,
    "郝": 1,
}

GIVEN: dict[tuple[Generation, Sex], str] = {
    ("elder", "男"): "金福国建文德清荣春水木炳开成天明玉顺亚庆永朝元宗忠",
    ("elder", "女"): "秀英兰凤珍桂玉美娥琼金春梅花月素碧霞淑亚惠莲",
    ("parent", "男"): "伟强磊军勇杰斌涛明超鹏辉华建国志文峰海平东亮刚锋新荣清春福德金伟俊",
    ("parent", "女"): "丽娟艳芳敏静婷燕红玲霞秀英梅琴萍凤兰莉慧洁倩雪华珍玉桂美丹",
    ("child", "男"): "子梓浩宇轩睿博俊泽晨铭杰豪鑫航然辰逸诚凯文恒嘉锦一家煜昊翔皓彬宸奕哲瑞",
    ("child", "女"): "欣怡涵萱诗雨思佳琪婷妍悦梦语可心雅晴馨彤若依紫颖瑶璐静嘉晗珊蕾雯",
}

UYGHUR_GIVEN: dict[Sex, tuple[str, ...]] = {
    "女": ("阿依古丽", "古丽米拉", "迪丽努尔", "热依拉", "祖丽菲亚", "米热古丽"),
    "男": ("艾力", "买买提", "阿卜杜拉", "吐尔逊", "艾克拜尔", "努尔艾力", "艾合买提"),
}

HOMOPHONE_TWINS: tuple[tuple[Sex, str, str], ...] = (
    ("女", "静", "婧"),
    ("女", "涵", "晗"),
    ("女", "欣怡", "心怡"),
    ("男", "浩然", "皓然"),
    ("男", "子轩", "梓轩"),
    ("女", "思彤", "思桐"),
)
"""Twins named alike: identical toneless pinyin, different characters."""

NAME_VARIANTS: dict[str, str] = {
    "子": "梓",
    "梓": "子",
    "涵": "晗",
    "晗": "涵",
    "欣": "心",
    "怡": "依",
    "依": "怡",
    "浩": "皓",
    "皓": "浩",
    "宇": "雨",
    "静": "婧",
    "婧": "静",
    "轩": "萱",
    "萱": "轩",
    "佳": "家",
    "家": "佳",
    "彤": "桐",
    "雯": "文",
    "文": "雯",
    "琪": "淇",
    "晨": "辰",
    "辰": "晨",
    "睿": "瑞",
    "瑞": "睿",
}
"""Characters a clerk types for one another (same reading): 林梓涵 → 林子涵."""


class NameGen:
    """Draws names from one random stream."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self._tables = {
            "putian": _cumulative(PUTIAN_SURNAMES),
            "national": _cumulative(NATIONAL_SURNAMES),
        }

    def surname(self, table: Literal["putian", "national"] = "putian") -> str:
        names, weights = self._tables[table]
        return self.rng.choices(names, cum_weights=weights)[0]

    def given(self, generation: Generation, sex: Sex) -> str:
        chars = GIVEN[(generation, sex)]
        one_char = {"elder": 0.3, "parent": 0.25, "child": 0.12}[generation]
        if self.rng.random() < one_char:
            return self.rng.choice(chars)
        first = self.rng.choice(chars)
        second = self.rng.choice(chars)
        while second == first and self.rng.random() < 0.9:
            second = self.rng.choice(chars)
        return first + second

    def full(
        self, generation: Generation, sex: Sex, table: Literal["putian", "national"] = "putian"
    ) -> str:
        return self.surname(table) + self.given(generation, sex)

    def uyghur(self, sex: Sex, father_given: str | None = None) -> str:
        """``given·father's given name``, the usual Chinese transcription of a Uyghur name."""
        father = father_given or self.rng.choice(UYGHUR_GIVEN["男"])
        return f"{self.rng.choice(UYGHUR_GIVEN[sex])}·{father}"

    def homophone_twins(self, surname: str) -> tuple[Sex, str, str]:
        sex, a, b = self.rng.choice(HOMOPHONE_TWINS)
        return sex, surname + a, surname + b


def variant(name: str) -> str | None:
    """The same name as another clerk might type it: one character swapped for a homophone."""
    for i in range(len(name) - 1, 0, -1):
        if name[i] in NAME_VARIANTS:
            return name[:i] + NAME_VARIANTS[name[i]] + name[i + 1 :]
    return None


def given_part(name: str) -> str:
    """The given name of a Han name (surname = first character) or of a dotted name."""
    return name.split("·", maxsplit=1)[0] if "·" in name else name[1:]


def _cumulative(table: dict[str, float]) -> tuple[list[str], list[float]]:
    names = list(table)
    return names, list(accumulate(table[n] for n in names))
