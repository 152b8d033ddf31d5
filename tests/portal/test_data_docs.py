"""The Data Docs of the published runs: static pages of our own (no script, nothing from
the internet), served under a CSP that lets no script run."""

from __future__ import annotations

import re

from liushou.portal.data import published_quarters

from .conftest import Q3, table


def test_published_data_docs_hold_no_script_and_no_outside_url(portal):
    quarters = published_quarters(portal.out)
    assert quarters
    for quarter in quarters:
        folder = portal.out / quarter / "docs"
        files = {p.relative_to(folder).as_posix(): p for p in folder.rglob("*") if p.is_file()}
        pages = {name: p.read_text(encoding="utf-8") for name, p in files.items()}
        assert "index.html" in pages and "style.css" in pages
        text = "\n".join(pages.values())
        assert "<script" not in text.lower()
        assert not re.search(r"(?i)https?://|(?:href|src)=\"//", text)
        for name, html in pages.items():
            for target in re.findall(r'(?:href|src)="([^"#]*)', html):
                assert target == "" or target in files, f"{quarter}/{name} links {target}"
        keys = set(table(portal.out, quarter, "expectations")["key"])
        assert keys and all(f'id="{key}"' in text for key in keys)


def test_data_docs_are_served_under_a_csp_that_runs_no_script(portal):
    client = portal.login("county")
    for path in ("index.html", "register.html", "style.css"):
        response = client.get(f"/quarters/{Q3}/docs/{path}")
        assert response.status_code == 200, path
        policy = response.headers["content-security-policy"]
        assert "script-src 'none'" in policy and "unsafe-inline" not in policy
        assert "default-src 'none'" in policy and "style-src 'self'" in policy
        assert response.headers["x-frame-options"] == "DENY"
    assert (
        client.get(f"/quarters/{Q3}/docs/style.css").headers["content-type"].startswith("text/css")
    )
    missing = client.get(f"/quarters/{Q3}/docs/nothing.html")
    assert (
        missing.status_code == 404
        and "default-src 'self'" in missing.headers["content-security-policy"]
    )
