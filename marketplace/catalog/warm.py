"""The public pages a gunicorn master renders once, before it forks its workers (gunicorn.conf.py `when_ready`).

Each worker is a copy of the master (preload_app), so it starts with what the master holds: the catalog's counts and
facets, the home page's sums and these pages kept under the catalog version of the moment. A worker forked later —
gunicorn recycles each after `max_requests` — starts with them too. Without them a new worker computes every figure
in its first requests, and on a large catalog they take seconds (the search's words alone 2–4 s at 1,000,000
listings): on the benchmark's mix at 1,000,000 listings on SQLite (bench/NOTES.md), an 8-second run in which a worker
was recycled fell to 82–213 req/s with a p99 of 4.3–5.5 s, the connections the kernel gave the new worker waiting
behind it; with the pages warmed (and gunicorn.conf.py's stopping worker), 337–462 req/s and 0.29–0.55 s. Figures
kept under an older version serve as such too: after a change, a new worker shows them a change behind while it
computes the current ones in its background thread (catalog/cache.py cached_behind), as every worker does after a
change.

Nothing personal is kept: these are anonymous requests, kept only as page_cache keeps any page. A page that fails
(a database not migrated yet) is logged and left for the workers; the server starts all the same.
"""
from __future__ import annotations

from flask import Flask

from marketplace.catalog import cache as catalog_cache
from marketplace.extensions import db


def warm(app: Flask) -> list[tuple[str, int]]:
    """Ask for each of WARM_PAGES once, as an anonymous visitor on the site's address, then let go of what a worker
    must not share (the database connections, this process's background thread). Returns (path, status) each."""
    paths = app.config.get("WARM_PAGES") or ()
    if not paths:
        return []
    base_url = f"{app.config['PREFERRED_URL_SCHEME']}://{app.config.get('SERVER_NAME') or 'localhost'}"
    client = app.test_client()
    answered = []
    for path in paths:
        try:
            response = client.get(path, base_url=base_url, headers={"Accept-Encoding": "br, gzip"})
            answered.append((path, response.status_code))
            response.close()
        except Exception:  # noqa: BLE001 — the workers render it when it is asked for
            app.logger.exception("warming %s before the workers start failed", path)
            answered.append((path, 500))
    catalog_cache.settle(app)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    return answered
