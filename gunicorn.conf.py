"""gunicorn settings: `gunicorn -c gunicorn.conf.py wsgi:app`. Every value can be set from the environment.

Tuned for the 2-core machine the benchmark runs on (bench/RESULTS.md): the app is CPU-bound
(Jinja rendering, SQLite in-process), so one process per core with a few threads each —
threads overlap the short waits on PostgreSQL, the disk and the SMTP outbox without the
memory of extra processes.
"""
import multiprocessing
import os

from gunicorn.workers.gthread import ThreadWorker


def _int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def _limit_malloc_arenas(limit: int) -> None:
    """glibc gives each thread that allocates at once a malloc arena of its own (up to 8 per core), and each one
    keeps what it once held; a worker's 4 threads (the default then) rendering 50 kB pages grew 5–8 MB more that
    way. 2 arenas for a process (GUNICORN_MALLOC_ARENAS; 0 keeps glibc's default) is what MALLOC_ARENA_MAX=2 does,
    set here because the workers are forked from this process, not started with its environment. Set before any
    thread exists: glibc fixes the limit when a thread first needs an arena. Not glibc (musl, macOS): nothing to
    do."""
    import ctypes
    import platform

    if limit <= 0 or platform.libc_ver()[0] != "glibc":
        return
    m_arena_max = -8  # <malloc.h>
    ctypes.CDLL(None).mallopt(m_arena_max, limit)


_limit_malloc_arenas(_int("GUNICORN_MALLOC_ARENAS", 2))

bind = os.environ.get("GUNICORN_BIND", os.environ.get("BIND", "127.0.0.1:8000"))
workers = _int("GUNICORN_WORKERS", _int("WEB_CONCURRENCY", multiprocessing.cpu_count()))
# Two threads a worker. With the GIL a worker runs one thread at a time, so threads beyond that only overlap waits
# on the database; past two they mostly queue behind each other. Measured with the benchmark's mix (anonymous
# pages and one request in ten an inquiry post, 16 connections, 2 cores, bench/NOTES.md): 4 → 2 threads took its
# p99 from 270–360 to 47–63 ms on SQLite and from 115–121 to 46–64 ms on PostgreSQL at 100k listings, at the
# same or more requests/s; the bare reference's p99 fell from 17–19 to 11–12 ms. More threads help only when
# requests mostly wait (GUNICORN_THREADS).
threads = _int("GUNICORN_THREADS", 2)


class _Worker(ThreadWorker):
    """gthread, except that a worker that stops (max_requests reached, a restart, SIGTERM) at once takes the
    connections waiting on its own listening socket and closes that socket. With SO_REUSEPORT (below) the kernel
    hands each new connection to one of the workers' sockets; a stopping gthread worker only stops accepting, so
    its socket stayed in the group until the worker had finished, and a share of the new connections waited in
    its queue all that while (a kept-alive connection holds a stopping worker up to 2 s), then were reset: 9 in an
    8-second run of the benchmark's mix with the workers recycled every 2,500 requests, none since (bench/NOTES.md;
    tests/core/test_worker_stops.py). A connection that arrives between the last accept and the close is still
    reset (a window of microseconds), and so are those queued behind one its client gave up on while it was being
    accepted (ECONNABORTED ends the draining). With the master's one socket (GUNICORN_REUSE_PORT=0) the other workers keep
    accepting from it, and nothing is done here."""

    def set_accept_enabled(self, enabled):
        super().set_accept_enabled(enabled)
        if enabled or self.alive or not self.cfg.reuse_port:
            return
        for listener in self.sockets:
            while True:  # gthread's own accept, until the queue is empty (it then takes no connection)
                taken = self.nr_conns
                self.accept(listener)
                if self.nr_conns == taken:
                    break
            listener.close()


worker_class = _Worker
# One listening socket per worker (SO_REUSEPORT), so the kernel spreads new connections over the workers.
# With the single socket of the master, kept-alive connections pile onto whichever worker wakes first and stay
# there (a benchmark's 16 connections often all landed on one of two workers). gunicorn 27 creates no socket in
# the master when this is on: each worker binds its own in spawn_worker, preload or not (bench/README.md shows
# the requests per worker it gives). GUNICORN_REUSE_PORT=0 goes back to the shared socket. Caveats: a second
# server started on the same port by the same user shares it instead of failing, and a worker that dies drops
# the connections still waiting in its own queue.
reuse_port = os.environ.get("GUNICORN_REUSE_PORT", "1") == "1"
# Load the app once in the master: workers share its memory pages (copy-on-write) and start fast.
preload_app = os.environ.get("GUNICORN_PRELOAD", "1") == "1"
# Recycle a worker now and then so a slow leak cannot grow; jitter keeps them from restarting together.
# Not too often: a new worker starts with empty catalog caches (counts, ranked searches, cards), and under
# full load 20,000 requests came round every two minutes.
max_requests = _int("GUNICORN_MAX_REQUESTS", 250_000)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 25_000)
timeout = _int("GUNICORN_TIMEOUT", 30)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 20)
keepalive = _int("GUNICORN_KEEPALIVE", 5)
backlog = _int("GUNICORN_BACKLOG", 2048)
accesslog = os.environ.get("GUNICORN_ACCESSLOG")  # e.g. "-" for stdout; off by default (it costs throughput)
errorlog = os.environ.get("GUNICORN_ERRORLOG", "-")
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "info")
# Behind a reverse proxy on the same host: trust its X-Forwarded-* headers.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


def _preloaded_app():
    """The marketplace app the master loaded (preload_app), or None: not preloaded, or not this app (bench/bare.py)."""
    import sys

    if "marketplace.extensions" not in sys.modules:
        return None
    from wsgi import app

    return app


def post_fork(server, worker):
    """Connections opened in the master (during preload) must not be shared with the workers."""
    app = _preloaded_app()
    if app is None:
        return
    from marketplace.extensions import db

    with app.app_context():
        db.engine.dispose(close=False)


def when_ready(server):
    """Once the preloaded app is loaded, before the first worker is forked: the public pages whose figures take
    seconds on a large catalog are rendered here, so every worker starts with them, a recycled one too
    (marketplace/catalog/warm.py; WARM_PAGES)."""
    import time

    app = _preloaded_app()
    if app is None:  # nothing to hand on
        return
    from marketplace.catalog.warm import warm

    started = time.perf_counter()
    answered = warm(app)
    if answered:
        server.log.info("pages kept before the workers start, in %.1f s: %s", time.perf_counter() - started,
                        ", ".join(f"{path} {status}" for path, status in answered))


def pre_fork(server, worker):
    """Right before a worker is forked: what the preloaded app created is moved out of the garbage collector's
    reach (gc.freeze). A worker's full collections then walk only what the worker made since (90–110 ms of CPU
    each at 100k listings, now 8–66 ms: bench/NOTES.md), and they no longer write into the pages the worker
    shares with the master, so those stay shared. The collection first, so no garbage is frozen with the rest."""
    import gc

    gc.collect()
    gc.freeze()


def post_worker_init(worker):
    """GUNICORN_WORKER_HEADER=1 (bench/run.py sets it): every response says which worker answered it
    (`X-Worker: <pid>`), so the benchmark can count requests per worker without an access log."""
    if os.environ.get("GUNICORN_WORKER_HEADER") != "1":
        return
    app, header = worker.wsgi, ("X-Worker", str(os.getpid()))

    def tagged(environ, start_response):
        return app(environ, lambda status, headers, *exc: start_response(status, [*headers, header], *exc))

    worker.wsgi = tagged
