"""A real OpenSSH server on localhost for the share tests: its own host key, one user
key, sftp through ``internal-sftp``; started once per module and stopped after."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

SSHD = "/usr/sbin/sshd"


@dataclass(frozen=True)
class Server:
    port: int
    user: str
    key: Path
    readonly_port: int
    """The same server, its sftp read-only (``internal-sftp -R``): every write is denied."""

    def url(self, path: Path, password: str | None = None, *, port: int | None = None) -> str:
        login = f"{self.user}:{password}" if password is not None else self.user
        return f"sftp://{login}@127.0.0.1:{port or self.port}{path}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _keygen(path: Path) -> None:
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(path)],
        check=True,
        capture_output=True,
    )


@pytest.fixture(scope="module")
def sshd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    if not os.path.exists(SSHD) or shutil.which("ssh-keygen") is None:
        pytest.skip("no OpenSSH server: apt-get install -y openssh-server")
    try:
        Path("/run/sshd").mkdir(exist_ok=True)  # sshd's privilege-separation directory
    except OSError as exc:
        pytest.skip(f"cannot create /run/sshd for sshd: {exc}")
    home = tmp_path_factory.mktemp("sshd")
    _keygen(home / "host_key")
    _keygen(home / "user_key")
    (home / "authorized_keys").write_text((home / "user_key.pub").read_text())
    port, readonly_port = free_port(), free_port()
    config = home / "sshd_config"
    config.write_text(
        "\n".join(
            [
                f"Port {port}",
                f"Port {readonly_port}",
                "ListenAddress 127.0.0.1",
                f"HostKey {home / 'host_key'}",
                f"AuthorizedKeysFile {home / 'authorized_keys'}",
                f"PidFile {home / 'sshd.pid'}",
                "StrictModes no",
                "UsePAM no",
                "PermitRootLogin yes",
                "PubkeyAuthentication yes",
                "PasswordAuthentication yes",
                "Subsystem sftp internal-sftp",
                f"Match LocalPort {readonly_port}",
                "    ForceCommand internal-sftp -R",
                "",
            ]
        )
    )
    log = (home / "sshd.log").open("w")
    proc = subprocess.Popen([SSHD, "-D", "-f", str(config), "-e"], stdout=log, stderr=log)
    try:
        deadline = time.monotonic() + 15
        while True:
            if proc.poll() is not None:
                pytest.skip(f"sshd did not start: {(home / 'sshd.log').read_text()[-500:]}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                    if s.recv(64).startswith(b"SSH-"):
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.skip("sshd did not answer within 15 s")
            time.sleep(0.1)
        import getpass

        yield Server(port, getpass.getuser(), home / "user_key", readonly_port)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture
def sftp_key(sshd: Server, monkeypatch: pytest.MonkeyPatch) -> Server:
    """Log in with the test user's key, and with nothing else (no agent)."""
    monkeypatch.setenv("LIUSHOU_SFTP_KEY", str(sshd.key))
    monkeypatch.delenv("SSH_AUTH_SOCK", raising=False)
    return sshd
