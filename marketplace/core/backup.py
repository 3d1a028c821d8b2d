"""A consistent copy of the database while the application keeps serving."""
from __future__ import annotations

import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy.engine import make_url

from marketplace.extensions import db


class BackupError(RuntimeError):
    pass


def backup(target: Path | str) -> Path:
    """SQLite: the online backup API (a snapshot, writers go on). PostgreSQL: pg_dump, custom format."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    url = db.engine.url
    if url.get_backend_name() == "sqlite":
        source = sqlite3.connect(url.database, timeout=30)
        destination = sqlite3.connect(target)
        try:
            source.backup(destination, pages=1024)
            problems = destination.execute("PRAGMA integrity_check").fetchone()[0]
        finally:
            destination.close()
            source.close()
        if problems != "ok":
            raise BackupError(f"the copy failed its integrity check: {problems}")
        return target
    if url.get_backend_name() == "postgresql":
        pg_dump = shutil.which("pg_dump")
        if pg_dump is None:
            raise BackupError("pg_dump is not installed (Debian: postgresql-client)")
        plain = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        subprocess.run([pg_dump, "--format=custom", "--file", str(target), plain], check=True)
        return target
    raise BackupError(f"no backup method for {url.get_backend_name()}")
