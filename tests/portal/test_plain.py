"""The review page's plain Chinese for the matcher's evidence, and the new charts (pure
functions: no portal needed)."""

from __future__ import annotations

from liushou.portal.charts import grouped_bar_chart, pyramid
from liushou.portal.plain import sentence


def test_candidates_with_scores_become_a_sentence():
    detail = (
        "fits 2 household persons: 350303********348X score 0.5 [姓名 同名 same characters "
        "(+9.8); 出生日期 同日 same day (+12.6); 身份证号 missing (+0.0)] | "
        "350303********7923 score 0.5 [姓名 同名 same characters (+9.8)]"
    )
    said = sentence(detail)
    assert said.startswith("该记录与 2 名户籍人员都相符")
    assert "姓名相同" in said and "出生日期相同" in said and "身份证号缺失" in said
    assert "(+9.8)" not in said and "same characters" not in said and "score" not in said


def test_codes_and_english_halves_are_said_in_chinese():
    assert "校验位错误" in sentence("学籍中的身份证号无效（bad_checksum），已按 exact_id 确认")
    assert "bad_checksum" not in sentence("学籍中的身份证号无效（bad_checksum）")
    assert sentence(
        "父母均无监护能力且均未外出 / both parents unable, neither away (服刑在押)"
    ) == ("父母均无监护能力且均未外出（服刑在押）")
    assert sentence("check the ID number on the xueji record") == "核对学籍记录中的身份证号"
    assert sentence("") == ""


def test_charts_escape_labels_and_draw_every_value():
    chart = grouped_bar_chart(["2026Q2", "<b>"], [("新增", [3, 4]), ("退出", [1, 0])], "新增与退出")
    assert "<b>" not in chart and "&lt;b&gt;" in chart
    assert chart.count('class="bar"') == 3 and chart.count('class="bar2"') == 3  # + legend
    ages = pyramid(["0–5岁", "6–13岁"], [2, 5], [1, 7], "年龄性别", ("男", "女"))
    assert ages.count("<rect") == 4 and ">7<" in ages
