"""A gunicorn worker that stops (SIGTERM, or recycled after max_requests) while visitors keep coming: every new
connection is answered, none is left waiting in the stopping worker's listening socket and then reset
(gunicorn.conf.py `_Worker`; each worker has a socket of its own, SO_REUSEPORT)."""
from __future__ import annotations

import http.client
import os
import signal

from tests.gunicorn_server import HOST, Browser, gunicorn, migrated_database


def test_new_connections_are_answered_while_a_worker_finishes(tmp_path):
    with migrated_database(tmp_path) as (url, _app):
        with gunicorn(url, tmp_path, workers=2, RATELIMIT_PER_PROCESS="1") as server:
            browser = Browser(server, workers=2)
            stopping = browser.pids[0]
            # A kept-alive connection holds the stopping worker in its graceful shutdown for a while (gthread keeps
            # such a connection up to 2 s): all that while its socket was still in the group and got new visitors.
            os.kill(stopping, signal.SIGTERM)
            answered = []
            for number in range(40):
                connection = http.client.HTTPConnection(HOST, server.port, timeout=10)
                connection.request("GET", f"/healthz?visitor={number}")
                response = connection.getresponse()
                response.read()
                connection.close()
                answered.append(response.status)
            assert answered == [200] * 40
            browser.close()
