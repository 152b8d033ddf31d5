"""ID numbers masked in every rendered page, for callers without the full-ID grant.

Tables are masked where they are read (:func:`~liushou.portal.data.scoped`), but free
text reaches pages by other ways: a decision's note, an error message, an audit detail,
whatever a future page shows. So the templates' environment masks every value it
outputs (Jinja's ``finalize``), unless the request being rendered has the grant; the
page-rendering function says which, through a context variable. A new page is covered
without anyone remembering to.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from jinja2 import Undefined
from markupsafe import Markup

from liushou.portal.data import masked

_full_ids: ContextVar[bool] = ContextVar("liushou_portal_full_ids", default=False)
"""The grant of the caller whose page is being rendered; masked unless set."""


@contextmanager
def rendering_for(full_ids: bool) -> Iterator[None]:
    """Render inside this block for a caller with (or without) the full-ID grant."""
    token = _full_ids.set(full_ids)
    try:
        yield
    finally:
        _full_ids.reset(token)


def finalize(value: object) -> object:
    """Jinja's hook on every ``{{ … }}``: ID-like numbers masked (18 digits, 15-digit
    legacy numbers, G + 18 student numbers), markup kept markup, the rest untouched."""
    if _full_ids.get() or value is None or isinstance(value, Undefined):
        return value
    if isinstance(value, Markup) or hasattr(value, "__html__"):
        return Markup(masked(str(value.__html__())))
    if isinstance(value, str):
        return masked(value)
    text = str(value)
    hidden = masked(text)
    return value if hidden == text else hidden
