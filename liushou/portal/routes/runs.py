"""Run history and each quarter's Data Docs."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, Response

from liushou.portal import data, runs
from liushou.portal.guards import Caller, page, portal_of
from liushou.portal.policy import NotFoundError
from liushou.portal.web import render

router = APIRouter()

DOCS_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; img-src 'self' data:; style-src 'self'; script-src 'none'; "
        "frame-ancestors 'none'; form-action 'none'; base-uri 'none'"
    ),
}
"""Data Docs are static pages with their own stylesheet: not even our own script runs
(the other security headers are added to every response by the app)."""


@router.get("/runs")
def runs_page(request: Request, who: Annotated[Caller, Depends(page("runs"))]) -> Response:
    history = runs.run_history(portal_of(request).out)
    return render(request, "runs.html", who, history=history)


@router.get("/quarters/{quarter}/docs/{path:path}")
def data_docs(
    request: Request, quarter: str, path: str, who: Annotated[Caller, Depends(page("docs"))]
) -> Response:
    root = (data.quarter_dir(portal_of(request).out, quarter) / "docs").resolve()
    target = (root / (path or "index.html")).resolve()
    if not target.is_relative_to(root) or not target.is_file():
        raise NotFoundError(f"no Data Docs file {path!r} for {quarter}")
    return FileResponse(target, headers=DOCS_HEADERS)
