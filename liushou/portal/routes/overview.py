"""The quarter overview: counts only (administrators may read it), for the county or one
township."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from liushou.portal import data, overview
from liushou.portal.charts import bar_chart, grouped_bar_chart, pyramid
from liushou.portal.guards import Caller, page, portal_of
from liushou.portal.policy import NotFoundError, scope_for
from liushou.portal.web import render
from liushou.publish.tables import VALUES

router = APIRouter()
Viewer = Annotated[Caller, Depends(page("overview"))]


def _overview(request: Request, who: Caller, quarter: str | None, township: str | None) -> Response:
    portal = portal_of(request)
    quarters = data.published_quarters(portal.out)
    scope = scope_for(who.account, township)
    if not quarters:
        return render(request, "overview.html", who, view=None, quarters=[], scope=scope)
    quarter = quarter or quarters[-1]
    data.quarter_dir(portal.out, quarter)
    if (
        scope.township is not None
        and scope.township not in data.township_names(portal.out, quarter)
        and not who.account.is_township
    ):
        raise NotFoundError(f"no township {scope.township} in {quarter}")
    view = overview.overview(portal.out, quarter, scope)
    where = view.townships[0].name if scope.township else "全县"
    chart = bar_chart(view.history, f"{where} 名册人数 register size by quarter")
    flow_chart = grouped_bar_chart(
        [q for q, _, _ in view.flows],
        [
            ("新增 new", [n for _, n, _ in view.flows]),
            ("退出 exited", [x for _, _, x in view.flows]),
        ],
        f"{where} 新增与退出（近 8 季度）",
    )
    lines = view.townships if not scope.township else view.villages
    category_chart = grouped_bar_chart(
        [line.name for line in lines],
        [
            (VALUES["category"][c], [line.by_category[c] for line in lines])
            for c in overview.CATEGORIES
        ],
        f"{where} 各{'乡镇' if not scope.township else '村(居)'}类别人数",
    )
    bands = [a.band for a in view.ages]
    age_chart = pyramid(
        bands,
        [a.by_sex.get("男", 0) for a in view.ages],
        [a.by_sex.get("女", 0) for a in view.ages],
        f"{where} 年龄性别结构（R 时周岁）",
        ("男", "女"),
    )
    return render(
        request,
        "overview.html",
        who,
        view=view,
        quarters=quarters,
        scope=scope,
        chart=chart,
        flow_chart=flow_chart,
        category_chart=category_chart,
        age_chart=age_chart,
        township_options={}
        if who.account.is_township
        else data.township_names(portal.out, quarter),
        categories=overview.CATEGORIES,
        sexes=overview.SEXES,
    )


@router.get("/overview")
def overview_page(
    request: Request, who: Viewer, quarter: str | None = None, township: str | None = None
) -> Response:
    return _overview(request, who, quarter, township)


@router.get("/overview/{quarter}")
def overview_quarter(
    request: Request, quarter: str, who: Viewer, township: str | None = None
) -> Response:
    return _overview(request, who, quarter, township)


@router.get("/overview/{quarter}/{township}")
def overview_township(request: Request, quarter: str, township: str, who: Viewer) -> Response:
    return _overview(request, who, quarter, township)
