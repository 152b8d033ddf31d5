"""A NUL byte in a path or a parameter is a request for nothing: 404 or 400, never a
server error with a traceback in the log."""

from __future__ import annotations

import logging

from .conftest import PASSWORD, Q3, login

URLS = [
    (f"/quarters/{Q3}/docs/%00", 404),
    (f"/quarters/{Q3}/docs/index.html%00", 404),
    (f"/quarters/{Q3}/docs/%00/index.html", 404),
    (f"/downloads/{Q3}/register%00.csv", 404),
    (f"/downloads/{Q3}/%00.csv", 404),
    ("/downloads/%00/register.csv", 404),
    (f"/review/{Q3}/%00", 404),
    (f"/overview/{Q3}/%00", 404),
    ("/static/%00", 404),
    ("/static/style.css%00", 404),
    (f"/overview?quarter={Q3}%00", 400),
    ("/downloads?township=%00", 400),
    (f"/downloads/{Q3}/register.csv?township=350303002%00", 400),
    ("/review?stored=%00", 400),
    ("/login?next=/overview%00", 400),
]


def test_a_nul_byte_is_not_found_or_a_bad_request_never_a_server_error(portal, caplog):
    anonymous = portal.client(raise_errors=False)
    signed_in = portal.client(raise_errors=False)
    assert login(signed_in, "county", PASSWORD).status_code == 303
    wrong = []
    with caplog.at_level(logging.WARNING):
        for url, status in URLS:
            for who in (anonymous, signed_in):
                response = who.get(url)
                if response.status_code != status:
                    wrong.append(f"{url}: {response.status_code}, expected {status}")
                assert "default-src 'self'" in response.headers["content-security-policy"]
    assert not wrong, "\n".join(wrong)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
