"""The command line: exit codes of contract.md, and never a bare traceback."""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from liushou.cli import main
from liushou.data.generator import DemoSpec, generate_demo
from liushou.warehouse import LOCK_FILE


@pytest.fixture(scope="module")
def landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("cli") / "landing"
    generate_demo(root, DemoSpec(households=250))
    return root


def _broken_copy(landing: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "landing"
    shutil.copytree(landing, copy)
    return copy


def test_run_exits_0_or_1_with_the_check_and_prints_the_counts(
    prefect_server, landing, tmp_path, capsys
):
    code = main(
        ["run", "--landing", str(landing), "--quarter", "2026Q2", "--out", str(tmp_path / "out")]
    )
    summary = (tmp_path / "out" / "2026Q2" / "summary.json").read_text(encoding="utf-8")
    passed = '"bu_chong": true' in summary and '"bu_lou": true' in summary
    assert code == (0 if passed else 1)
    assert "不重不漏" in capsys.readouterr().out


def test_missing_required_column_is_exit_2_naming_file_and_column(
    prefect_server, landing, tmp_path, capsys
):
    broken = _broken_copy(landing, tmp_path)
    work = broken / "2026Q2" / "work.csv"
    lines = work.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    column = header.index("外出日期")
    work.write_text(
        "\n".join(
            ",".join(c for i, c in enumerate(line.split(",")) if i != column) for line in lines
        )
        + "\n",
        encoding="utf-8",
    )  # column dropped
    code = main(
        ["run", "--landing", str(broken), "--quarter", "2026Q2", "--out", str(tmp_path / "out")]
    )
    err = capsys.readouterr().err
    assert code == 2
    assert "work.csv" in err and "外出日期" in err and "start_date" in err


def test_missing_landing_folder_is_exit_2(prefect_server, tmp_path, capsys):
    code = main(
        [
            "run",
            "--landing",
            str(tmp_path / "nowhere"),
            "--quarter",
            "2026Q2",
            "--out",
            str(tmp_path / "out"),
        ]
    )
    assert code == 2
    assert "[quarter 2026Q2, file" in capsys.readouterr().err.replace("\n", "")


def test_bad_quarter_label_is_exit_2(prefect_server, landing, tmp_path, capsys):
    code = main(
        ["run", "--landing", str(landing), "--quarter", "2026Q5", "--out", str(tmp_path / "out")]
    )
    assert code == 2
    assert "2026Q5" in capsys.readouterr().err


def test_bad_config_is_exit_2_naming_the_field(prefect_server, landing, tmp_path, capsys):
    config = tmp_path / "settings.yaml"
    config.write_text("rules:\n  scope: town\n", encoding="utf-8")  # not a scope
    code = main(
        [
            "run",
            "--landing",
            str(landing),
            "--quarter",
            "2026Q2",
            "--out",
            str(tmp_path / "out"),
            "--config",
            str(config),
        ]
    )
    err = capsys.readouterr().err
    assert code == 2 and "rules.scope" in err


def test_a_memory_limit_too_small_says_so_and_publishes_nothing(
    prefect_server, landing, tmp_path, capsys
):
    config = tmp_path / "settings.yaml"
    config.write_text("runner:\n  memory_limit: 8MB\n", encoding="utf-8")
    out = tmp_path / "out"
    args = ["run", "--landing", str(landing), "--quarter", "2026Q2", "--out", str(out)]
    code = main([*args, "--config", str(config)])
    err = " ".join(capsys.readouterr().err.split())
    assert code == 3
    assert "out of memory" in err and "runner.memory_limit" in err
    assert not (out / "2026Q2").exists()


def test_second_run_on_the_same_out_refuses(prefect_server, landing, tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    with (out / LOCK_FILE).open("a") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)  # another run holds the folder
        code = main(["run", "--landing", str(landing), "--quarter", "2026Q2", "--out", str(out)])
    assert code == 3
    assert "another run" in capsys.readouterr().err


def test_real_entry_point_never_prints_a_traceback(tmp_path):
    """An error raised inside the flow: Prefect logs it, the console shows no traceback."""
    (tmp_path / "landing" / "2026Q3").mkdir(parents=True)  # a quarter with no files at all
    env = {**os.environ, "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "90"}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "liushou.cli",
            "run",
            "--landing",
            str(tmp_path / "landing"),
            "--quarter",
            "2026Q3",
            "--out",
            str(tmp_path / "out"),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert result.returncode == 2
    assert "required system hukou" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def _digest(folder: Path) -> dict[str, str]:
    import hashlib

    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.iterdir())
        if p.is_file()  # docs/ holds the run's time; its tables are compared as files
    }


def test_too_many_bad_rows_stop_the_run_and_leave_the_last_output(
    prefect_server, landing, tmp_path, capsys
):
    import pandas as pd

    out = tmp_path / "out"
    assert main(["run", "--landing", str(landing), "--quarter", "2026Q2", "--out", str(out)]) in (
        0,
        1,
    )
    published = _digest(out / "2026Q2")
    broken = _broken_copy(landing, tmp_path)
    target = sorted((broken / "2026Q2").glob("hukou_*.csv"))[0]
    raw = target.read_bytes()
    encoding = (
        "utf-8-sig"
        if raw.startswith(b"\xef\xbb\xbf")
        else ("utf-8" if _is_utf8(raw) else "gb18030")
    )
    frame = pd.read_csv(  # a planted ragged line, if this file holds it, is not the point here
        target, dtype=str, keep_default_na=False, encoding=encoding, on_bad_lines="skip"
    )
    name = next(c for c in frame.columns if c in ("姓名", "人员姓名", "name"))
    frame.loc[frame.index[: len(frame) // 3], name] = ""  # a third of the names blanked
    frame.to_csv(target, index=False, encoding=encoding)
    capsys.readouterr()
    code = main(["run", "--landing", str(broken), "--quarter", "2026Q2", "--out", str(out)])
    err = capsys.readouterr().err.replace("\n", "")
    assert code == 2
    assert target.name in err and "rejected" in err
    rejected = pd.read_parquet(out / "rejected" / "2026Q2" / "quarantine.parquet")
    assert (rejected["file"] == target.name).sum() >= len(frame) // 3
    assert (out / "rejected" / "2026Q2" / "quarantine.xlsx").is_file()
    assert _digest(out / "2026Q2") == published  # the last good output is untouched


def _is_utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def test_a_swap_cut_off_between_its_renames_is_put_right(tmp_path):
    from liushou.publish.writer import recover_interrupted

    old = tmp_path / ".old-2026Q3-abc"  # the published folder, moved aside
    old.mkdir()
    (old / "register.parquet").write_bytes(b"published")
    (tmp_path / ".staging-2026Q3-abc").mkdir()  # the new one, never swapped in
    notes = recover_interrupted(tmp_path)
    assert (tmp_path / "2026Q3" / "register.parquet").read_bytes() == b"published"
    assert not old.exists() and not (tmp_path / ".staging-2026Q3-abc").exists()
    assert len(notes) == 2


def test_a_second_run_can_wait_for_the_first(tmp_path):
    import threading
    import time

    from liushou.errors import RunLockedError
    from liushou.warehouse import locked

    out = tmp_path / "out"
    held = threading.Event()
    release = threading.Event()

    def first_run():
        with locked(out):
            held.set()
            release.wait(5)

    thread = threading.Thread(target=first_run)
    thread.start()
    held.wait(5)
    with (
        pytest.raises(RunLockedError, match="--wait"),
        locked(out, wait_seconds=0.2, poll_seconds=0.05),
    ):
        pass  # refused: the first run still holds the folder
    threading.Timer(0.3, release.set).start()
    start = time.monotonic()
    with locked(out, wait_seconds=10, poll_seconds=0.05):
        waited = time.monotonic() - start  # got the lock once the first run let go
    thread.join()
    assert 0.2 < waited < 5


def test_demo_runs_with_a_relative_out_folder(prefect_server, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)  # the README's command: `liushou demo` writes ./demo
    assert main(["demo", "--households", "200"]) == 0
    for quarter in ("2026Q2", "2026Q3"):
        assert (tmp_path / "demo" / "output" / quarter / "register.xlsx").is_file()
        assert (tmp_path / "demo" / "output" / quarter / "docs" / "index.html").is_file()
    assert "demo finished" in capsys.readouterr().out
