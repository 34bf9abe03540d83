"""A real, throw-away PostgreSQL server for the tests, from Debian's `postgresql` binaries.

The cluster lives in a temp dir, listens on 127.0.0.1 (an ephemeral port) and on a unix socket
inside that dir, and requires a password (scram-sha-256), so URLs carry one like production's.
initdb refuses to run as root: as root every server command runs as the `postgres` system user
(created by the Debian package) through `runuser`.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

USER = "assistant"
# A recognisable, per-session password: tests assert it never reaches the service's output.
PASSWORD = f"pg-pass-{secrets.token_hex(8)}"
INSTALL_HINT = (
    "PostgreSQL server binaries (initdb, pg_ctl) not found under /usr/lib/postgresql/*/bin: "
    "install them with `apt-get install postgresql` (the tests in tests/pg need a real server)"
)


def find_bindir() -> Path | None:
    """The newest /usr/lib/postgresql/<version>/bin holding initdb and pg_ctl (or $PG_BINDIR)."""
    if os.environ.get("PG_BINDIR"):
        candidates = [Path(os.environ["PG_BINDIR"])]
    else:
        candidates = sorted(
            Path("/usr/lib/postgresql").glob("*/bin"),
            key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
            reverse=True,
        )
    for bindir in candidates:
        if (bindir / "initdb").is_file() and (bindir / "pg_ctl").is_file():
            return bindir
    return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class PostgresServer:
    """A running cluster: admin connections and one fresh database per test."""

    bindir: Path
    root: Path
    port: int
    as_user: str | None  # system user the server runs as (None: the current user)

    @property
    def datadir(self) -> Path:
        """The cluster's data directory."""
        return self.root / "data"

    def url(self, database: str = "postgres", driver: str = "postgresql+psycopg") -> str:
        """A SQLAlchemy URL (with the password) for ``database`` over TCP on 127.0.0.1."""
        return f"{driver}://{USER}:{PASSWORD}@127.0.0.1:{self.port}/{database}"

    def conninfo(self, database: str = "postgres") -> str:
        """A libpq connection string for psycopg."""
        return f"host=127.0.0.1 port={self.port} user={USER} password={PASSWORD} dbname={database}"

    def create_database(self, name: str | None = None) -> str:
        """CREATE DATABASE (a fresh, empty one); returns its SQLAlchemy URL."""
        import psycopg

        name = name or f"t_{secrets.token_hex(6)}"
        with psycopg.connect(self.conninfo(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def _run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        prefix = ["runuser", "-u", self.as_user, "--"] if self.as_user else []
        return subprocess.run(
            [*prefix, *args], capture_output=True, text=True, timeout=timeout, check=False,
            cwd=self.root,
        )  # fmt: skip

    def start(self) -> None:
        """initdb, then pg_ctl start -w (returns once the server accepts connections)."""
        pwfile = self.root / "pwfile"
        pwfile.write_text(PASSWORD + "\n", encoding="utf-8")
        if self.as_user:
            entry = pwd.getpwnam(self.as_user)
            for path in (self.root, pwfile):
                os.chown(path, entry.pw_uid, entry.pw_gid)
        init = self._run(
            str(self.bindir / "initdb"), "-D", str(self.datadir), "-U", USER,
            f"--pwfile={pwfile}", "--auth=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8",
            "--no-sync",
        )  # fmt: skip
        pwfile.unlink()
        if init.returncode != 0:
            raise RuntimeError(f"initdb failed:\n{init.stdout}\n{init.stderr}")
        options = " ".join([
            f"-p {self.port}", "-c listen_addresses=127.0.0.1",
            f"-c unix_socket_directories={self.root}",
            # A test cluster: durability buys nothing, speed does.
            "-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off",
            "-c max_connections=100",
        ])  # fmt: skip
        started = self._run(
            str(self.bindir / "pg_ctl"), "-D", str(self.datadir), "-l", str(self.root / "log"),
            "-o", options, "-w", "-t", "60", "start",
        )  # fmt: skip
        if started.returncode != 0:
            log = (self.root / "log").read_text(errors="replace") if (self.root / "log").exists() else ""
            raise RuntimeError(f"pg_ctl start failed:\n{started.stdout}\n{started.stderr}\n{log}")

    def stop(self) -> None:
        """pg_ctl stop -m fast -w (waits until the server is gone)."""
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.datadir), "-m", "fast", "-w",
                  "stop")  # fmt: skip

    def log(self) -> str:
        """The server log (for failure messages)."""
        path = self.root / "log"
        return path.read_text(errors="replace") if path.exists() else ""


def _server_user() -> str | None:
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        raise RuntimeError(
            "running as root but there is no `postgres` system user to run initdb as: "
            "install the server with `apt-get install postgresql`"
        ) from None
    if shutil.which("runuser") is None:
        raise RuntimeError("running as root needs `runuser` (util-linux) to start PostgreSQL")
    return "postgres"


@contextlib.contextmanager
def running_postgres() -> Iterator[PostgresServer]:
    """Start a private cluster, yield it, stop it and delete its files."""
    bindir = find_bindir()
    if bindir is None:
        raise RuntimeError(INSTALL_HINT)
    as_user = _server_user()
    root = Path(tempfile.mkdtemp(prefix="assistant-pg-"))
    server: PostgresServer | None = None
    try:
        # The port is free when picked; another process could take it before postgres binds
        # it, so a start that fails is retried once on a new port.
        for attempt in range(2):
            shutil.rmtree(root / "data", ignore_errors=True)
            server = PostgresServer(bindir, root, _free_port(), as_user)
            try:
                server.start()
                break
            except RuntimeError:
                if attempt == 1:
                    raise
        assert server is not None
        yield server
    finally:
        if server is not None:
            server.stop()
        shutil.rmtree(root, ignore_errors=True)
