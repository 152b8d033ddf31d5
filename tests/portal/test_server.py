"""The portal over a real socket, as ``liushou serve`` and browser tests run it."""

from __future__ import annotations

import httpx

from liushou.portal.app import create_app
from liushou.portal.server import running


def test_the_app_serves_in_a_background_thread(portal):
    with running(create_app(portal.out, clock=portal.clock)) as url:
        assert url.startswith("http://127.0.0.1:")
        page = httpx.get(f"{url}/login")
        assert page.status_code == 200 and 'id="login-form"' in page.text
        assert "httponly" in page.headers["set-cookie"].lower()
        assert httpx.get(f"{url}/static/style.css").status_code == 200
    try:
        httpx.get(f"{url}/login", timeout=2)
    except httpx.TransportError:
        pass
    else:
        raise AssertionError("the server still answers after the block")
