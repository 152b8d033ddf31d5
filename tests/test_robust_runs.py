"""Runs that go wrong: a blocking expectation, a run killed mid-way, a rerun.

Each leaves the last published outputs exactly as they were, and the next run succeeds.
The runs are real processes of the installed command, killed with SIGKILL.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from stdnum.cn import ric

from liushou.cli import main
from liushou.data.generator import DemoSpec, generate_demo

QUARTER = "2026Q2"


@pytest.fixture(scope="module")
def landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("robust") / "landing"
    generate_demo(root, DemoSpec(households=250))
    return root


def _run(landing: Path, out: Path) -> int:
    return main(["run", "--landing", str(landing), "--quarter", QUARTER, "--out", str(out)])


def _digest(folder: Path) -> dict[str, str]:
    """Every published file but the Data Docs (which carry the run's time) and the
    summary's Markdown twin; Parquet by content."""
    found = {}
    for path in sorted(folder.rglob("*")):
        if path.is_dir() or "docs" in path.relative_to(folder).parts:
            continue
        data = path.read_bytes()
        if path.suffix == ".parquet":
            data = pd.read_parquet(path).to_csv(index=False).encode()
        found[str(path.relative_to(folder))] = hashlib.sha256(data).hexdigest()
    return found


def _encoding(raw: bytes) -> str:
    if raw.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return "gb18030"
    return "utf-8"


def _wrong_check_digit(value: str) -> str:
    body = "".join(value.split())[:17]
    if len(body) < 17 or not body.isdigit():
        return value
    return body + ("1" if ric.calc_check_digit(body) != "1" else "2")


def test_mistyped_ids_in_one_township_file_stop_the_run_with_docs(
    prefect_server, landing, tmp_path, capsys
):
    out = tmp_path / "out"
    assert _run(landing, out) in (0, 1)
    published = _digest(out / QUARTER)
    broken = tmp_path / "landing"
    shutil.copytree(landing, broken)
    target = max((broken / QUARTER).glob("hukou_*.csv"), key=lambda p: p.stat().st_size)
    encoding = _encoding(target.read_bytes())
    frame = pd.read_csv(  # a planted ragged line, if this file holds it, is not the point here
        target, dtype=str, keep_default_na=False, encoding=encoding, on_bad_lines="skip"
    )
    column = next(c for c in frame.columns if "身份" in c and "父" not in c and "母" not in c)
    ids = frame[column].tolist()
    frame[column] = frame[column].map(_wrong_check_digit)  # every check digit in the file wrong
    frame.to_csv(target, index=False, encoding=encoding)
    capsys.readouterr()
    code = _run(broken, out)
    err = re.sub(r"\s+", "", capsys.readouterr().err)  # the console wraps anywhere
    assert code == 2
    assert "source.hukou.id_valid_rate" in err and "id_status" in err
    assert re.search(r"columnid_status:\d+of\d+rowsfail", err)  # the failing count
    assert target.name in err and f"{target.name}row" in err  # file and example rows
    assert not any(i in err for i in ids)
    rejected = out / "rejected" / QUARTER
    assert (rejected / "docs" / "index.html").is_file()
    assert (rejected / "quarantine.xlsx").is_file()
    assert _digest(out / QUARTER) == published  # the last good output is untouched
    # the mended file goes through, and the rejected folder is cleared
    assert _run(landing, out) in (0, 1)
    assert not rejected.exists()
    assert _digest(out / QUARTER) == published


def _api_env() -> dict[str, str]:
    from prefect.settings import PREFECT_API_URL

    env = dict(os.environ)
    url = PREFECT_API_URL.value()
    if url:
        env["PREFECT_API_URL"] = url  # the session's test server: no server start per process
    return env


def _run_until(landing: Path, out: Path, log: Path, ready) -> int:
    """Start a real run and SIGKILL it (and its children) once ``ready()`` holds."""
    command = [sys.executable, "-m", "liushou.cli", "run", "--landing", str(landing)]
    command += ["--quarter", QUARTER, "--out", str(out)]
    with log.open("w") as sink:
        process = subprocess.Popen(
            command, stdout=sink, stderr=subprocess.STDOUT, env=_api_env(), start_new_session=True
        )
        deadline = time.monotonic() + 240
        while process.poll() is None and time.monotonic() < deadline:
            if ready():
                os.killpg(process.pid, signal.SIGKILL)
                break
            time.sleep(0.02)
        return process.wait(timeout=60)


@pytest.mark.parametrize(
    "moment",
    ["reading", "matching", "publishing"],
)
def test_a_run_killed_mid_way_leaves_the_last_output_and_the_next_run_succeeds(
    prefect_server, landing, tmp_path, moment
):
    out = tmp_path / "out"
    assert _run(landing, out) in (0, 1)
    published = _digest(out / QUARTER)
    log = tmp_path / "killed.log"

    def ready() -> bool:
        if moment == "reading":  # the files' parts are being written
            return any(out.glob(".staging-parts-*/*/*.arrow"))
        if moment == "publishing":
            return any(out.glob(f".staging-{QUARTER}-*"))
        return log.exists() and "resolve-persons" in log.read_text(errors="replace")

    code = _run_until(landing, out, log, ready)
    assert code == -signal.SIGKILL, log.read_text(errors="replace")[-2000:]
    assert _digest(out / QUARTER) == published
    assert _run(landing, out) in (0, 1)
    assert _digest(out / QUARTER) == published  # and the rerun gives identical output
    assert not list(out.glob(".staging-*")) and not list(out.glob(".old-*"))
