"""`flask backup PATH` while writes go on: the copy is consistent and holds every committed row."""
from __future__ import annotations

import shutil
import sqlite3
import threading

import pytest

from sqlalchemy import func, select

from marketplace.extensions import db
from marketplace.models import Producer
from tests.factories import ProducerFactory


def test_a_backup_taken_during_writes_is_consistent(app, ctx, tmp_path, dialect):
    if dialect != "sqlite" and shutil.which("pg_dump") is None:
        pytest.skip("pg_dump is not installed")
    for _ in range(50):
        ProducerFactory()
    committed_before = db.session.scalar(select(func.count(Producer.id)))
    stop = threading.Event()

    def keep_writing():
        with app.app_context():
            while not stop.is_set():
                ProducerFactory()
            db.session.remove()

    writer = threading.Thread(target=keep_writing)
    writer.start()
    try:
        result = app.test_cli_runner().invoke(args=["backup", str(tmp_path / "salinan.db")])
    finally:
        stop.set()
        writer.join()
    assert result.exit_code == 0, result.output
    copy = tmp_path / "salinan.db"
    assert copy.stat().st_size > 0
    if dialect == "sqlite":
        connection = sqlite3.connect(copy)
        assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert connection.execute("SELECT COUNT(*) FROM producer").fetchone()[0] >= committed_before
        connection.close()
    else:
        assert copy.read_bytes()[:5] == b"PGDMP"  # pg_dump's custom format
