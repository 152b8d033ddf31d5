"""The portal's routes, one module per area, each an :class:`fastapi.APIRouter`.

A new page is a new module here, added to :data:`ROUTERS`; its guard is a dependency
(``Depends(page("…"))``) and its rendering :func:`liushou.portal.web.render`.
"""

from __future__ import annotations

from fastapi import APIRouter

from liushou.portal.routes import (
    admin,
    children,
    downloads,
    login,
    overview,
    register,
    review,
    runs,
    worklists,
)

ROUTERS: tuple[APIRouter, ...] = (
    login.router,
    overview.router,
    children.router,
    register.router,
    review.router,
    worklists.router,
    downloads.router,
    runs.router,
    admin.router,
)
