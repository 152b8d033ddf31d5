"""Landing and output folders on a share: ``sftp://`` (a data-exchange server) or ``s3://``.

A province's workers cannot all read one laptop's folder, so ``--landing`` and ``--out``
may name a share. The stages need local files (DuckDB opens a file, the readers open
the extracts), so a run on a share works on a local copy and publishes back:

1. :func:`locked_out` takes the share's run lock (see *Concurrency* below);
2. :func:`pull_landing` copies what ``load_landing`` reads (every entry of
   ``<landing>/<quarter>/``, subfolders as empty folders since they are never read,
   and ``<landing>/divisions.*``), each file's size checked after the download;
3. :func:`open_out` copies what a run reads of the output folder: the warehouse and the
   analysts' decisions store (each with its write-ahead log, if one is there), and puts
   right a publication cut off between its renames;
4. the flow runs on the local copies, exactly as on local folders;
5. :func:`push_out` publishes back: the quarter's folder is uploaded under
   ``.staging-<quarter>-<token>``, every size checked, and swapped in by renames
   (``<quarter>`` to ``.old-…``, staging to ``<quarter>``), as ``publish/writer.py`` does
   locally; then the warehouse is uploaded beside itself and renamed over the old one.
   On sftp a rename is atomic (``posix-rename@openssh.com``), so the final path never
   holds half a quarter. S3 has no renames: ``mv`` copies then deletes each object, so
   a reader listing ``<quarter>/`` during the copy may see some files of the new
   quarter and some of the old one. Publish on an sftp share where that matters.

The decisions store is not pushed back: a run only reads it, and analysts may decide
on the share while the run goes on; pushing the run's copy would lose their decisions.

**Concurrency.** One run per output URL at a time: the lock is a file,
``<out>/.liushou-remote.lock``, created with an exclusive create (``O_CREAT|O_EXCL``
over sftp; ``If-None-Match: *`` on S3, where the installed s3fs supports mode ``xb``,
else a check-then-create that two runs starting in the same second may both pass).
A second run refuses at once (or waits ``--wait`` seconds) naming who holds it and
since when. A killed run cannot release it: when the run it names is certainly dead,
the operator deletes the file. The lock does not exclude a run on the share's own
machine using the folder as a local ``--out`` (that one takes ``.liushou.lock`` with
``flock``): use one or the other per output folder.

**Credentials** are never logged or shown. sftp: the URL's user and password
(``sftp://user:password@host:port/path``), else ``LIUSHOU_SFTP_USER``,
``LIUSHOU_SFTP_PASSWORD``, a private key file in ``LIUSHOU_SFTP_KEY`` (its passphrase in
``LIUSHOU_SFTP_KEY_PASSPHRASE``), ``~/.ssh/config`` (``HostName``, ``User``, ``Port``,
``IdentityFile``), the ssh agent and ``~/.ssh/id_*``. Host keys: an unknown host is
accepted unless ``LIUSHOU_SFTP_KNOWN_HOSTS`` names a known_hosts file (then only the
hosts in it are), and a host whose key differs from the one in ``~/.ssh/known_hosts``
(or that file) is refused. S3: the standard AWS environment (``AWS_ACCESS_KEY_ID``,
``AWS_SECRET_ACCESS_KEY``, ``AWS_PROFILE``, ``AWS_ENDPOINT_URL`` …); needs ``pip install
'liushou[s3]'`` (s3fs). Every message shows a URL with its password as ``***``.

Plain module: no Prefect here; ``cli._run`` calls :func:`on_share` around the flow.
"""

from __future__ import annotations

import contextlib
import getpass
import json
import os
import posixpath
import re
import socket
import tempfile
import traceback
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote, unquote, urlsplit

from liushou.errors import InputError, LiushouError
from liushou.sources.contract import FILE_SUFFIXES
from liushou.warehouse import WAREHOUSE_FILE

REMOTE_PROTOCOLS = ("sftp", "ssh", "s3")
LOCK_FILE = ".liushou-remote.lock"
STAGING_PREFIX = ".staging-"  # as publish/writer.py, so its recovery and ours agree
OLD_PREFIX = ".old-"
PART_SUFFIX = ".part"
REJECTED_DIR = "rejected"
DECISIONS_FILE = "decisions.sqlite"
DIVISIONS_STEM = "divisions"
CACHE_ENV = "LIUSHOU_CACHE"
"""Parent folder of the run's local copies (default: the system's temporary folder).
The copies hold personal data; they are deleted when the run ends."""
CONNECT_TIMEOUT = 15.0

T = TypeVar("T")

_URL = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.-]+):/+(?P<rest>.*)$", re.DOTALL)
_PASSWORD = re.compile(r"(?P<head>[A-Za-z][A-Za-z0-9+.-]*://[^/@:\s]*):(?P<pw>[^/@\s]*)@")


class RemoteError(InputError):
    """A share that cannot be reached, read or written: names the (masked) URL and file.

    An :class:`InputError`, so the command line exits 2 with the message and no
    traceback: an unreachable host, a refused login, a missing quarter folder or a
    denied permission is the operator's to mend, not a bug."""

    def __init__(
        self, message: str, *, url: str, file: str | None = None, quarter: str | None = None
    ) -> None:
        self.url = mask_url(url)
        super().__init__(mask_url(message), file=mask_url(file or url), quarter=quarter)


class RemoteRunError(LiushouError):
    """A run on a share failed for a reason that is not bad input (exit 3); the traceback
    went to a log file, named in the message."""


# --- locations -------------------------------------------------------------------------


def location(value: str | os.PathLike[str]) -> str:
    """``--landing``/``--out`` as the operator typed it. argparse's ``Path`` turns
    ``sftp://host/path`` into ``sftp:/host/path``; that is undone for the share schemes."""
    text = os.fspath(value)
    m = _URL.match(text)
    if m and m["scheme"].lower() in REMOTE_PROTOCOLS:
        return f"{m['scheme'].lower()}://{m['rest']}"
    return text


def is_remote(value: str | os.PathLike[str]) -> bool:
    """Whether a location names a share (``sftp://``, ``ssh://``, ``s3://``)."""
    m = _URL.match(location(value))
    return bool(m and m["scheme"].lower() in REMOTE_PROTOCOLS)


def mask_url(text: str) -> str:
    """Every ``scheme://user:password@`` in ``text`` with the password as ``***``."""
    return _PASSWORD.sub(lambda m: f"{m['head']}:***@", text)


@dataclass
class _Share:
    """A connected share: the fsspec filesystem, the folder's path on it, and how to show
    it (the URL without its password)."""

    url: str
    protocol: str
    fs: Any
    root: str
    secrets: tuple[str, ...] = ()

    @property
    def shown(self) -> str:
        return mask_url(self.url)

    def path(self, *parts: str) -> str:
        return posixpath.join(self.root, *parts) if parts else self.root

    def show(self, *parts: str) -> str:
        """The masked URL of a path under the folder."""
        return posixpath.join(self.shown.rstrip("/"), *parts) if parts else self.shown

    def close(self) -> None:
        client = getattr(self.fs, "client", None)
        if client is not None:
            with contextlib.suppress(Exception):
                client.close()


@contextmanager
def _share(url: str, *, quarter: str | None = None) -> Iterator[_Share]:
    """A fresh connection for one phase (a run may last longer than an idle session)."""
    share = _connect(url, quarter)
    try:
        yield share
    finally:
        share.close()


def _connect(url: str, quarter: str | None) -> _Share:
    parts = urlsplit(url)
    protocol = parts.scheme.lower()
    if protocol in ("sftp", "ssh"):
        return _connect_sftp(url, quarter)
    if protocol == "s3":
        return _connect_s3(url, quarter)
    raise RemoteError(f"not a share URL (expected {', '.join(REMOTE_PROTOCOLS)})", url=url)


def _sftp_options(url: str) -> tuple[str, str, dict[str, Any]]:
    """Host, folder and paramiko's connect arguments: URL first, then ``LIUSHOU_SFTP_*``,
    then ``~/.ssh/config``."""
    import paramiko

    parts = urlsplit(url)
    if not parts.hostname:
        raise RemoteError("no host in the URL (sftp://user@host:port/path)", url=url)
    try:
        port = parts.port
    except ValueError:
        raise RemoteError("the port in the URL is not a number", url=url) from None
    host = parts.hostname
    config: dict[str, Any] = {}
    ssh_config = Path.home() / ".ssh" / "config"
    if ssh_config.is_file():
        with contextlib.suppress(Exception):
            config = dict(paramiko.SSHConfig.from_path(str(ssh_config)).lookup(host))
    env = os.environ
    keys = [env["LIUSHOU_SFTP_KEY"]] if env.get("LIUSHOU_SFTP_KEY") else []
    keys += [os.path.expanduser(k) for k in config.get("identityfile", []) if k]
    options: dict[str, Any] = {
        "port": port or int(env.get("LIUSHOU_SFTP_PORT") or config.get("port") or 22),
        "username": unquote(parts.username)
        if parts.username
        else env.get("LIUSHOU_SFTP_USER") or config.get("user") or getpass.getuser(),
        "password": unquote(parts.password)
        if parts.password is not None
        else env.get("LIUSHOU_SFTP_PASSWORD") or None,
        "key_filename": [k for k in keys if os.path.isfile(k)] or None,
        "passphrase": env.get("LIUSHOU_SFTP_KEY_PASSPHRASE") or None,
        "timeout": CONNECT_TIMEOUT,
        "banner_timeout": CONNECT_TIMEOUT,
        "auth_timeout": CONNECT_TIMEOUT,
        "allow_agent": True,
        "look_for_keys": True,
    }
    if keys and not options["key_filename"]:
        raise RemoteError(f"no such key file: {keys[0]}", url=url, file=keys[0])
    folder = unquote(parts.path) or "/"
    return str(config.get("hostname") or host), folder.rstrip("/") or "/", options


def _host_key_policy() -> Any:
    """Refuse a host whose key differs from the known one; refuse unknown hosts too when
    ``LIUSHOU_SFTP_KNOWN_HOSTS`` names the file of the hosts to trust."""
    import paramiko

    strict_file = os.environ.get("LIUSHOU_SFTP_KNOWN_HOSTS")
    files = [strict_file] if strict_file else [str(Path.home() / ".ssh" / "known_hosts")]
    known = paramiko.HostKeys()
    for name in files:
        if os.path.isfile(name):
            with contextlib.suppress(Exception):
                known.load(name)

    class KnownHosts(paramiko.MissingHostKeyPolicy):
        def missing_host_key(self, client: Any, hostname: str, key: Any) -> None:
            entry = known.lookup(hostname)
            if entry is None:
                if strict_file:
                    raise paramiko.SSHException(
                        f"host key of {hostname} is not in {strict_file} (LIUSHOU_SFTP_KNOWN_HOSTS)"
                    )
                return
            if entry.get(key.get_name()) != key:
                raise paramiko.SSHException(
                    f"host key of {hostname} does not match the one in {', '.join(files)}: "
                    "refusing to connect (the server changed, or someone is in between)"
                )

    return KnownHosts()


def _connect_sftp(url: str, quarter: str | None) -> _Share:
    import fsspec

    host, folder, options = _sftp_options(url)
    secrets = tuple(s for s in (options["password"], options["passphrase"]) if s)
    shown = mask_url(url)
    with _translated(shown, shown, secrets, quarter):
        fs = fsspec.filesystem(
            "sftp",
            host=host,
            host_key_policy=_host_key_policy(),
            skip_instance_cache=True,
            **options,
        )
    return _Share(url, "sftp", fs, folder, secrets)


def _connect_s3(url: str, quarter: str | None) -> _Share:
    try:
        import s3fs  # noqa: F401
    except ImportError:
        raise RemoteError(
            "s3:// needs s3fs: pip install 'liushou[s3]' (or pip install s3fs)", url=url
        ) from None
    import fsspec

    parts = urlsplit(url)
    if not parts.netloc:
        raise RemoteError("no bucket in the URL (s3://bucket/prefix)", url=url)
    root = f"{parts.netloc}{parts.path}".rstrip("/")
    with _translated(url, url, (), quarter):
        fs = fsspec.filesystem("s3", skip_instance_cache=True)
    return _Share(url, "s3", fs, root)


@contextmanager
def _translated(
    shown: str, file: str, secrets: tuple[str, ...], quarter: str | None = None
) -> Iterator[None]:
    """The share's faults as :class:`RemoteError`: what went wrong in words, the masked
    URL and the file; never the password, never a traceback on the screen."""

    def scrub(text: str) -> str:
        for secret in secrets:
            text = text.replace(secret, "***").replace(quote(secret, safe=""), "***")
        return mask_url(text)

    def fail(message: str) -> RemoteError:
        return RemoteError(scrub(message), url=shown, file=scrub(file), quarter=quarter)

    try:
        import paramiko

        auth_error: type[BaseException] = paramiko.AuthenticationException
        ssh_error: type[BaseException] = paramiko.SSHException
    except ImportError:  # pragma: no cover - paramiko is a dependency
        auth_error = ssh_error = type("_Never", (Exception,), {})
    try:
        yield
    except RemoteError:
        raise
    except auth_error:
        raise fail(
            "the share refused the login: check the user and the password or key (in the "
            "URL, LIUSHOU_SFTP_PASSWORD or LIUSHOU_SFTP_KEY)"
        ) from None
    except FileNotFoundError:
        raise fail("not found on the share") from None
    except PermissionError:
        raise fail("permission denied on the share") from None
    except socket.gaierror as exc:
        raise fail(f"cannot reach the share: unknown host ({exc.strerror})") from None
    except (ConnectionError, TimeoutError, EOFError) as exc:
        raise fail(f"cannot reach the share: {type(exc).__name__}: {exc}") from None
    except ssh_error as exc:
        raise fail(f"cannot reach the share: {exc}") from None
    except OSError as exc:
        if type(exc).__name__ == "NoValidConnectionsError" or exc.errno in (111, 113, 110):
            raise fail(f"cannot reach the share: {exc.strerror or exc}") from None
        raise fail(f"error on the share: {exc}") from None
    except Exception as exc:
        if type(exc).__module__.split(".")[0] in ("botocore", "aiobotocore", "s3fs"):
            raise fail(f"error on the share: {type(exc).__name__}: {exc}") from None
        raise


# --- copying -----------------------------------------------------------------------------


def _entries(share: _Share, folder: str) -> list[dict[str, Any]]:
    return sorted(share.fs.ls(folder, detail=True), key=lambda e: str(e["name"]))


def _name(entry: dict[str, Any]) -> str:
    return posixpath.basename(str(entry["name"]).rstrip("/"))


def _get(share: _Share, remote: str, local: Path, size: int | None, shown: str) -> None:
    """Download one file; a short file is an error naming it (and is not left behind)."""
    local.parent.mkdir(parents=True, exist_ok=True)
    with _translated(share.shown, shown, share.secrets):
        share.fs.get_file(remote, str(local))
    got = local.stat().st_size if local.exists() else 0
    if size is not None and got != size:
        local.unlink(missing_ok=True)
        raise RemoteError(f"incomplete download: {got} of {size} bytes", url=share.url, file=shown)


def _put(share: _Share, local: Path, remote: str, shown: str) -> None:
    """Upload one file and check the size the share reports."""
    size = local.stat().st_size
    with _translated(share.shown, shown, share.secrets):
        share.fs.put_file(str(local), remote)
        got = share.fs.info(remote).get("size")
    if got != size:
        raise RemoteError(f"incomplete upload: {got} of {size} bytes", url=share.url, file=shown)


def _put_tree(share: _Share, local: Path, remote: str, shown: str) -> None:
    with _translated(share.shown, shown, share.secrets):
        share.fs.makedirs(remote, exist_ok=True)
    for path in sorted(local.rglob("*")):
        relative = path.relative_to(local).as_posix()
        if path.is_dir():
            with _translated(share.shown, f"{shown}/{relative}", share.secrets):
                share.fs.makedirs(f"{remote}/{relative}", exist_ok=True)
        else:
            _put(share, path, f"{remote}/{relative}", f"{shown}/{relative}")


def _mv(share: _Share, source: str, target: str) -> None:
    """A rename: atomic on sftp (posix-rename), a copy then delete on S3."""
    if share.protocol == "sftp":
        share.fs.mv(source, target)
    else:
        share.fs.mv(source, target, recursive=True)


def _exists(share: _Share, path: str) -> bool:
    with _translated(share.shown, share.shown, share.secrets):
        return bool(share.fs.exists(path))


def pull_landing(url: str, quarter: str, cache: Path) -> Path:
    """Copy what ``load_landing`` reads of the landing share into ``cache`` (created) and
    return it: every entry of ``<quarter>/`` (subfolders as empty folders: the loader
    only names them as not read) and the top-level ``divisions.*``."""
    with _share(url, quarter=quarter) as share:
        folder = share.path(quarter)
        with _translated(share.shown, share.show(), share.secrets, quarter):
            share.fs.ls(share.root)  # the landing folder itself: reachable, readable
        if not _exists(share, folder) or not share.fs.isdir(folder):
            raise RemoteError(
                f"no landing folder for {quarter} on the share",
                url=url,
                file=share.show(quarter),
                quarter=quarter,
            )
        target = cache / quarter
        target.mkdir(parents=True, exist_ok=True)
        with _translated(share.shown, share.show(quarter), share.secrets, quarter):
            entries = _entries(share, folder)
        for entry in entries:
            name = _name(entry)
            if entry.get("type") == "directory":
                (target / name).mkdir(exist_ok=True)
                continue
            _get(
                share,
                str(entry["name"]),
                target / name,
                entry.get("size"),
                share.show(quarter, name),
            )
        with _translated(share.shown, share.show(), share.secrets, quarter):
            top = _entries(share, share.root)
        for entry in top:
            name = _name(entry)
            if (
                entry.get("type") != "directory"
                and name.lower().startswith(DIVISIONS_STEM)
                and posixpath.splitext(name)[1].lower() in FILE_SUFFIXES
            ):
                _get(share, str(entry["name"]), cache / name, entry.get("size"), share.show(name))
    return cache


# --- the output folder -------------------------------------------------------------------


@dataclass(frozen=True)
class OutLock:
    """The share's run lock, as this run took it."""

    url: str
    token: str


def _lock_text(token: str) -> bytes:
    return json.dumps(
        {
            "token": token,
            "host": socket.gethostname(),
            "pid": os.getpid(),
            "since": datetime.now().isoformat(timespec="seconds"),
        }
    ).encode()


def _holder(share: _Share) -> str:
    try:
        with share.fs.open(share.path(LOCK_FILE), "rb") as f:
            held = json.loads(f.read() or b"{}")
    except Exception:
        return ""
    if not isinstance(held, dict) or not held.get("host"):
        return ""
    return f" by host {held['host']} pid {held.get('pid')} since {held.get('since')}"


def _create_exclusive(share: _Share, path: str, body: bytes) -> bool:
    """Create ``path`` only if it does not exist; False if it does."""
    try:
        if share.protocol == "sftp":  # paramiko: "x" adds O_CREAT|O_EXCL, "w" the writing
            with share.fs.ftp.open(path, "wbx") as f:
                f.write(body)
        else:
            with share.fs.open(path, "xb") as f:
                f.write(body)
        return True
    except FileExistsError:
        return False
    except (ValueError, NotImplementedError):  # an fsspec backend without mode "x"
        if share.fs.exists(path):
            return False
        with share.fs.open(path, "wb") as f:
            f.write(body)
        return True
    except OSError:
        # sftp has no "exists" status: an exclusive create of a present file is "Failure"
        if share.fs.exists(path):
            return False
        raise


@contextmanager
def locked_out(url: str, wait_seconds: float = 0.0, poll_seconds: float = 2.0) -> Iterator[OutLock]:
    """One run per output URL: a lock file created exclusively on the share, removed
    when the run ends (see the module's *Concurrency*)."""
    import time

    from liushou.errors import RunLockedError

    token = uuid.uuid4().hex[:12]
    deadline = time.monotonic() + wait_seconds
    with _share(url) as share:
        lock = share.path(LOCK_FILE)
        with _translated(share.shown, share.show(LOCK_FILE), share.secrets):
            share.fs.makedirs(share.root, exist_ok=True)
            while not _create_exclusive(share, lock, _lock_text(token)):
                if time.monotonic() >= deadline:
                    waited = f" after waiting {wait_seconds:.0f} s" if wait_seconds else ""
                    raise RunLockedError(
                        f"another run is using {share.shown} (lock {LOCK_FILE}"
                        f"{_holder(share)}){waited}; wait for it to finish, or pass --wait "
                        f"SECONDS; if that run is dead, delete {share.show(LOCK_FILE)}"
                    )
                time.sleep(poll_seconds)
    try:
        yield OutLock(mask_url(url), token)
    finally:
        with contextlib.suppress(Exception), _share(url) as share:
            if _lock_token(share) == token:
                share.fs.rm(share.path(LOCK_FILE))


def _lock_token(share: _Share) -> str | None:
    try:
        with share.fs.open(share.path(LOCK_FILE), "rb") as f:
            token = json.loads(f.read() or b"{}").get("token")
        return str(token) if token else None
    except FileNotFoundError:
        return None


def open_out(url: str, cache: Path) -> Path:
    """Copy what a run reads of the output share into ``cache`` (created) and return it:
    the warehouse and the decisions store, each with its write-ahead log if present.
    A publication cut off between its renames is put right first."""
    cache.mkdir(parents=True, exist_ok=True)
    with _share(url) as share:
        with _translated(share.shown, share.show(), share.secrets):
            share.fs.makedirs(share.root, exist_ok=True)
            _recover(share)
            entries = {_name(e): e for e in _entries(share, share.root)}
        for name in (
            WAREHOUSE_FILE,
            f"{WAREHOUSE_FILE}.wal",
            DECISIONS_FILE,
            f"{DECISIONS_FILE}-wal",
        ):
            entry = entries.get(name)
            if entry is not None and entry.get("type") != "directory":
                _get(share, str(entry["name"]), cache / name, entry.get("size"), share.show(name))
    return cache


def _recover(share: _Share) -> None:
    """The share's counterpart of ``publish.writer.recover_interrupted``."""
    for folder in (share.root, share.path(REJECTED_DIR)):
        if not share.fs.exists(folder):
            continue
        for entry in _entries(share, folder):
            name = _name(entry)
            path = str(entry["name"])
            if name.startswith(OLD_PREFIX):
                quarter = name[len(OLD_PREFIX) :].split("-")[0]
                target = posixpath.join(folder, quarter)
                if not share.fs.exists(target):
                    _mv(share, path, target)
                else:
                    share.fs.rm(path, recursive=True)
            elif name.startswith(STAGING_PREFIX) or name.endswith(PART_SUFFIX):
                share.fs.rm(path, recursive=True)


def _checkpoint(local: Path) -> None:
    """Fold a warehouse's write-ahead log into the file, so one file is the warehouse."""
    if (local / f"{WAREHOUSE_FILE}.wal").exists():
        import duckdb

        con = duckdb.connect(str(local / WAREHOUSE_FILE))
        try:
            con.execute("CHECKPOINT")
        finally:
            con.close()


def _swap_tree(share: _Share, local: Path, folder: str, name: str, token: str) -> None:
    """Upload ``local`` as ``folder/name`` via a staging folder and two renames."""
    staging = posixpath.join(folder, f"{STAGING_PREFIX}{name}-{token}")
    old = posixpath.join(folder, f"{OLD_PREFIX}{name}-{token}")
    target = posixpath.join(folder, name)
    shown = share.show(posixpath.relpath(target, share.root))
    _put_tree(share, local, staging, shown)
    with _translated(share.shown, shown, share.secrets):
        if share.fs.exists(target):
            _mv(share, target, old)
        _mv(share, staging, target)
        if share.fs.exists(old):
            share.fs.rm(old, recursive=True)


def _check_lock(share: _Share, lock: OutLock | None) -> None:
    if lock is None:
        return
    with _translated(share.shown, share.show(LOCK_FILE), share.secrets):
        held = _lock_token(share)
    if held != lock.token:
        raise RemoteError(
            "the run's lock on the share is gone or someone else's: nothing was published "
            "(was it deleted while the run went on?)",
            url=share.url,
            file=share.show(LOCK_FILE),
        )


def push_out(local: Path, url: str, quarter: str, lock: OutLock | None = None) -> None:
    """Publish a run's local output folder back to the share: the quarter's folder by a
    staging upload and renames, then the warehouse by an upload beside it and a rename;
    the quarter's refused-run quarantine, if one was left, is removed (as ``swap_in``)."""
    folder = local / quarter
    if not folder.is_dir():
        raise RemoteError(f"the run left no {quarter} folder to publish", url=url, file=str(folder))
    _checkpoint(local)
    token = lock.token if lock else uuid.uuid4().hex[:12]
    with _share(url, quarter=quarter) as share:
        _check_lock(share, lock)
        _swap_tree(share, folder, share.root, quarter, token)
        part = share.path(f"{WAREHOUSE_FILE}.{token}{PART_SUFFIX}")
        _put(share, local / WAREHOUSE_FILE, part, share.show(WAREHOUSE_FILE))
        with _translated(share.shown, share.show(WAREHOUSE_FILE), share.secrets):
            _mv(share, part, share.path(WAREHOUSE_FILE))
            stale_wal = share.path(f"{WAREHOUSE_FILE}.wal")
            if share.fs.exists(stale_wal):
                share.fs.rm(stale_wal)
            rejected = share.path(REJECTED_DIR, quarter)
            if share.fs.exists(rejected):
                share.fs.rm(rejected, recursive=True)


def push_rejected(local: Path, url: str, quarter: str, lock: OutLock | None = None) -> bool:
    """Upload the quarantine (and Data Docs) a refused run left in ``rejected/<quarter>``;
    False when there is none."""
    folder = local / REJECTED_DIR / quarter
    if not folder.is_dir():
        return False
    token = lock.token if lock else uuid.uuid4().hex[:12]
    with _share(url, quarter=quarter) as share:
        _check_lock(share, lock)
        _swap_tree(share, folder, share.path(REJECTED_DIR), quarter, token)
    return True


def _keep_log(text: str, out: str) -> str:
    """Keep a failed run's traceback under ``--out`` (on the share if it is one and can
    be reached), else in the system's temporary folder. Returns where (masked)."""
    name = f"liushou-error-{datetime.now():%Y%m%d-%H%M%S}.log"
    if not is_remote(out):
        with contextlib.suppress(OSError):
            Path(out).mkdir(parents=True, exist_ok=True)
            (Path(out) / name).write_text(text, encoding="utf-8")
            return str(Path(out) / name)
    local = Path(tempfile.gettempdir()) / name
    local.write_text(text, encoding="utf-8")
    if is_remote(out):
        with contextlib.suppress(Exception), _share(out) as share:
            _put(share, local, share.path(name), share.show(name))
            local.unlink()
            return share.show(name)
    return str(local)


def _relocate(exc: BaseException, places: dict[str, str]) -> None:
    """Name the share, not the run's local copy (deleted when it ends), in a message."""

    def fix(text: str) -> str:
        for local, remote in places.items():
            text = text.replace(local, remote)
        return text

    exc.args = tuple(fix(a) if isinstance(a, str) else a for a in exc.args)
    for attr in ("message", "file"):
        value = getattr(exc, attr, None)
        if isinstance(value, str):
            setattr(exc, attr, fix(value))


def on_share(
    landing: str,
    quarter: str,
    out: str,
    run: Callable[[Path, Path], T],
    *,
    wait_seconds: float = 0.0,
    decisions: str | None = None,
) -> T:
    """``run(local_landing, local_out)`` with landing and output on shares where they
    are: lock, pull, run, push (the module's steps 1 to 5). The local copies are deleted
    at the end.

    The project's own errors pass through, naming the share instead of the local copy
    (exit 2 for bad input, 3 otherwise); any other failure, here or in the run, becomes
    a :class:`RemoteRunError` whose traceback, passwords masked, is kept in a log file
    under ``out``: never a traceback on the screen, never a local folder named after a
    URL."""
    places: dict[str, str] = {}
    try:
        return _on_share(landing, quarter, out, run, wait_seconds, decisions, places)
    except LiushouError as exc:
        _relocate(exc, places)
        raise
    except Exception as exc:
        text = "".join(traceback.format_exception(exc))
        for local, shown in places.items():
            text = text.replace(local, shown)
        where = _keep_log(mask_url(text), out)
        message = str(exc)
        for local, shown in places.items():
            message = message.replace(local, shown)
        raise RemoteRunError(
            f"{type(exc).__name__}: {mask_url(message)} (details in {where})"
        ) from None


def _on_share(
    landing: str,
    quarter: str,
    out: str,
    run: Callable[[Path, Path], T],
    wait_seconds: float,
    decisions: str | None,
    places: dict[str, str],
) -> T:
    if decisions is not None and is_remote(decisions):
        raise RemoteError("--decisions must be a local file (or left out)", url=decisions)
    out_remote = is_remote(out)
    with tempfile.TemporaryDirectory(prefix="liushou-", dir=os.environ.get(CACHE_ENV)) as tmp:
        cache = Path(tmp)
        with locked_out(out, wait_seconds) if out_remote else contextlib.nullcontext() as lock:
            if is_remote(landing):
                local_landing = pull_landing(landing, quarter, cache / "landing")
                places[str(local_landing)] = mask_url(landing).rstrip("/")
            else:
                local_landing = Path(landing)
            local_out = open_out(out, cache / "out") if out_remote else Path(out)
            if out_remote:
                places[str(local_out)] = mask_url(out).rstrip("/")
            try:
                result = run(local_landing, local_out)
            except LiushouError:
                if out_remote:  # a refused run's quarantine, for the bureau to mend
                    with contextlib.suppress(Exception):
                        push_rejected(local_out, out, quarter, lock)
                raise
            if out_remote:
                push_out(local_out, out, quarter, lock)
            return result
