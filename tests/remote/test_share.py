"""``--landing`` and ``--out`` on an sftp share, against a real OpenSSH server."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from liushou import remote
from liushou.cli import main
from liushou.data.generator import DemoSpec, generate_demo
from liushou.errors import RunLockedError
from tests.remote.conftest import Server, free_port

PASSWORD = "Sekr3t-pw%40x"
"""In the URL of a run that logs in with its key: it must show nowhere."""


@pytest.fixture(scope="module")
def landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("share") / "landing"
    generate_demo(root, DemoSpec(households=200))
    return root


def _files(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }


def test_pull_landing_copies_what_the_loader_reads_byte_for_byte(sftp_key, landing, tmp_path):
    copy = tmp_path / "landing"
    shutil.copytree(landing, copy)
    (copy / "2026Q2" / "old").mkdir()  # a subfolder: named as not read, never read
    (copy / "2026Q2" / "old" / "hukou_2025.csv").write_text("x\n")
    (copy / "2026Q2" / "说明.txt").write_text("导出说明\n", encoding="utf-8")
    (copy / "divisions.csv").write_text("code,name\n350303100000,城关镇\n", encoding="utf-8")
    local = remote.pull_landing(sftp_key.url(copy), "2026Q2", tmp_path / "cache")
    expected = {
        k: v
        for k, v in _files(copy).items()
        if (k.startswith("2026Q2/") and not k.startswith("2026Q2/old/"))
        or k.startswith("divisions")
    }
    assert expected.keys() >= {"2026Q2/说明.txt", "divisions.csv", "2026Q2/xueji.xlsx"}
    assert _files(local) == expected
    assert (local / "2026Q2" / "old").is_dir()  # so the loader still names it as not read


def test_a_short_download_is_an_error_naming_the_file(sftp_key, landing, tmp_path, monkeypatch):
    from fsspec.implementations.sftp import SFTPFileSystem

    real = SFTPFileSystem.get_file

    def short(self, rpath, lpath, **kwargs):
        real(self, rpath, lpath, **kwargs)
        with open(lpath, "r+b") as f:
            f.truncate(max(Path(lpath).stat().st_size - 7, 0))

    monkeypatch.setattr(SFTPFileSystem, "get_file", short)
    with pytest.raises(remote.RemoteError, match="incomplete download") as caught:
        remote.pull_landing(sftp_key.url(landing), "2026Q2", tmp_path / "cache")
    assert "2026Q2/" in str(caught.value.file)


def test_missing_quarter_folder_is_a_remote_error(sftp_key, landing, tmp_path):
    with pytest.raises(remote.RemoteError, match="no landing folder for 2025Q4") as caught:
        remote.pull_landing(sftp_key.url(landing), "2025Q4", tmp_path / "cache")
    assert caught.value.file is not None and caught.value.file.endswith("landing/2025Q4")


def test_permission_denied_is_a_remote_error(sftp_key, tmp_path):
    url = sftp_key.url(tmp_path / "out", port=sftp_key.readonly_port)
    (tmp_path / "out").mkdir()
    with pytest.raises(remote.RemoteError, match="permission denied") as caught:
        remote.push_out(_published(tmp_path / "local"), url, "2026Q2")
    assert caught.value.file is not None and "/out/" in caught.value.file
    assert not any((tmp_path / "out").iterdir())


def _published(local: Path) -> Path:
    (local / "2026Q2").mkdir(parents=True)
    (local / "2026Q2" / "register.parquet").write_bytes(b"PAR1")
    (local / "warehouse.duckdb").write_bytes(b"")
    return local


@pytest.fixture(scope="module")
def runs(prefect_server, sshd: Server, landing, tmp_path_factory: pytest.TempPathFactory):
    """2026Q2 with local folders; 2026Q2 then 2026Q3 with landing and out on the share."""
    base = tmp_path_factory.mktemp("runs")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LIUSHOU_SFTP_KEY", str(sshd.key))
        mp.delenv("SSH_AUTH_SOCK", raising=False)
        local = main(
            ["run", "--landing", str(landing), "--quarter", "2026Q2", "--out", str(base / "local")]
        )
        codes = [local]
        for quarter in ("2026Q2", "2026Q3"):
            codes.append(
                main(
                    [
                        "run",
                        "--landing",
                        sshd.url(landing, PASSWORD),
                        "--quarter",
                        quarter,
                        "--out",
                        sshd.url(base / "share-out", PASSWORD),
                    ]
                )
            )
    return base, codes


def test_a_run_on_the_share_publishes_what_a_local_run_does(runs, capfd):
    base, codes = runs
    assert codes[0] in (0, 1) and codes[1] == codes[0]
    local = pd.read_parquet(base / "local" / "2026Q2" / "register.parquet")
    shared = pd.read_parquet(base / "share-out" / "2026Q2" / "register.parquet")
    key = ["person_id"]
    pd.testing.assert_frame_equal(
        local.sort_values(key).reset_index(drop=True),
        shared.sort_values(key).reset_index(drop=True),
    )
    names = {p.name for p in (base / "share-out").iterdir()}
    assert {"2026Q2", "2026Q3", "warehouse.duckdb"} <= names
    leftovers = [n for n in names if n.startswith((".staging-", ".old-", remote.LOCK_FILE))]
    assert not leftovers and not any(n.endswith(".part") for n in names)


def test_the_second_quarter_on_the_share_follows_the_first(runs):
    base, codes = runs
    assert codes[2] in (0, 1)
    summary = json.loads((base / "share-out" / "2026Q3" / "summary.json").read_text("utf-8"))
    assert summary["previous"] == "2026Q2"


def test_the_password_shows_nowhere(runs, capfd):
    base, _ = runs
    captured = capfd.readouterr()
    for secret in (PASSWORD, "Sekr3t"):
        assert secret not in captured.out + captured.err
        for path in (base / "share-out").rglob("*"):
            if path.is_file():
                assert secret.encode() not in path.read_bytes(), path


def test_a_refused_run_leaves_its_quarantine_on_the_share(
    prefect_server, sftp_key, landing, tmp_path, capfd
):
    copy = tmp_path / "landing"
    shutil.copytree(landing / "2026Q2", copy / "2026Q2")
    (copy / "2026Q2" / "说明.txt").write_text("导出说明\n", encoding="utf-8")  # not read: blocks
    out = tmp_path / "share-out"
    code = main(_run(sftp_key.url(copy), sftp_key.url(out)))
    err = capfd.readouterr().err.replace("\n", "")
    assert code == 2
    assert f"{sftp_key.url(out)}/rejected/2026Q2" in err and "/liushou-" not in err
    assert (out / "rejected" / "2026Q2" / "quarantine.parquet").exists()
    assert not (out / "2026Q2").exists() and not (out / remote.LOCK_FILE).exists()


def _run(url_landing: str, url_out: str) -> list[str]:
    return ["run", "--landing", url_landing, "--quarter", "2026Q2", "--out", url_out]


def test_wrong_password_is_exit_2_with_a_clear_message(sshd, landing, tmp_path, capfd, monkeypatch):
    monkeypatch.delenv("LIUSHOU_SFTP_KEY", raising=False)
    monkeypatch.delenv("SSH_AUTH_SOCK", raising=False)
    code = main(_run(sshd.url(landing, "wrong-Pa55"), str(tmp_path / "out")))
    out, err = capfd.readouterr()
    assert code == 2
    assert "refused the login" in err and f"{sshd.user}:***@127.0.0.1" in err
    assert "Traceback" not in out + err and "wrong-Pa55" not in out + err


def test_unreachable_port_is_exit_2_with_a_clear_message(sftp_key, tmp_path, capfd):
    port = free_port()
    code = main(_run(str(tmp_path), f"sftp://u:hunter2@127.0.0.1:{port}/srv/out"))
    out, err = capfd.readouterr()
    assert code == 2
    assert "cannot reach the share" in err and f"u:***@127.0.0.1:{port}" in err
    assert "Traceback" not in out + err and "hunter2" not in out + err
    assert not list(Path().glob("sftp:*"))  # no stray local folder named after the URL


def test_one_run_per_share_out(sftp_key, tmp_path, capfd):
    url = sftp_key.url(tmp_path / "out")
    with remote.locked_out(url) as lock:
        assert (tmp_path / "out" / remote.LOCK_FILE).exists()
        with pytest.raises(RunLockedError, match="another run is using"), remote.locked_out(url):
            pass
        code = main(_run(str(tmp_path), url))
        assert code == 3 and "another run is using" in capfd.readouterr().err
        assert lock.token in (tmp_path / "out" / remote.LOCK_FILE).read_text()
    assert not (tmp_path / "out" / remote.LOCK_FILE).exists()


def test_locations_and_masking():
    assert remote.location(Path("sftp://u:p@h:22/x/y")) == "sftp://u:p@h:22/x/y"
    assert remote.is_remote(Path("s3://bucket/prefix")) and not remote.is_remote("/srv/out")
    assert not remote.is_remote("C:/landing") and not remote.is_remote("landing")
    assert remote.mask_url("at sftp://u:p%40ss@h:22/x and s3://b/p") == (
        "at sftp://u:***@h:22/x and s3://b/p"
    )


def test_an_unexpected_failure_keeps_its_traceback_on_the_share(sftp_key, landing, tmp_path):
    out = tmp_path / "share-out"
    url = sftp_key.url(out, "pw-in-url")

    def broken(here: Path, there: Path) -> None:
        raise ValueError(f"cannot go on in {there} with {url}")

    with pytest.raises(remote.RemoteRunError, match="ValueError") as caught:
        remote.on_share(str(landing), "2026Q2", url, broken)
    logs = list(out.glob("liushou-error-*.log"))
    assert len(logs) == 1 and logs[0].name in str(caught.value)
    text = logs[0].read_text(encoding="utf-8")
    assert "Traceback" in text and f"{sftp_key.url(out, '***')}" in text
    assert "pw-in-url" not in text + str(caught.value)
    assert not (out / remote.LOCK_FILE).exists()


def test_known_hosts_are_enforced_when_named(sftp_key, landing, tmp_path, monkeypatch):
    def known(public_key: Path) -> Path:
        kind, key = public_key.read_text().split()[:2]
        path = tmp_path / f"known_{public_key.stem}"
        path.write_text(f"[127.0.0.1]:{sftp_key.port} {kind} {key}\n")
        return path

    monkeypatch.setenv("LIUSHOU_SFTP_KNOWN_HOSTS", str(known(sftp_key.key.parent / "host_key.pub")))
    remote.pull_landing(sftp_key.url(landing), "2026Q2", tmp_path / "ok")
    monkeypatch.setenv("LIUSHOU_SFTP_KNOWN_HOSTS", str(known(sftp_key.key.parent / "user_key.pub")))
    with pytest.raises(remote.RemoteError, match="does not match"):
        remote.pull_landing(sftp_key.url(landing), "2026Q2", tmp_path / "bad")
    monkeypatch.setenv("LIUSHOU_SFTP_KNOWN_HOSTS", str(tmp_path / "empty"))
    with pytest.raises(remote.RemoteError, match="is not in"):
        remote.pull_landing(sftp_key.url(landing), "2026Q2", tmp_path / "unknown")
