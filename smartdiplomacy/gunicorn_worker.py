"""gunicorn's threaded worker, made to share the clients with the other workers, and its logger,
quiet when no access log is asked for (issue 22).

A gthread worker's main thread accepts new connections while its request thread is busy and then
serves every request of those kept-alive connections. When partner systems connect at once, the
first worker awake can take them all: in 4 of 12 runs of ``benchmarks/scores_api_load.py`` on
2026-12-04 one of two workers served all 32 clients (``worker_cpu_shares`` [1.0, 0.0]) while
the other idled, at half the throughput, p95 100-120 ms instead of 62-66.

:class:`BalancedThreadWorker` writes how many connections it holds into memory shared by all the
workers of one server (made before they are forked) and, each time round its loop, accepts only
while it holds at most its fair share (the connections of all workers over their number, plus
one). A worker with the fewest always has room, so a client is never kept waiting while another
worker could take it; nothing else of gthread changes. The arbiter frees a worker's slot when it
exits (``release``, from ``child_exit`` in ``gunicorn.conf.py``).
"""

from __future__ import annotations

import math
import multiprocessing
import os

from gunicorn.glogging import Logger
from gunicorn.workers.gthread import ThreadWorker

SLOTS = 64  # workers of one server at once; more share nothing (plain gthread)
_pids = multiprocessing.RawArray("i", SLOTS)
_connections = multiprocessing.RawArray("i", SLOTS)
_lock = multiprocessing.Lock()


def claim(pid: int) -> int:
    """A free slot for worker ``pid`` (-1 if none is free)."""
    with _lock:
        for slot in range(SLOTS):
            if _pids[slot] in (0, pid):
                _pids[slot], _connections[slot] = pid, 0
                return slot
    return -1


def release(pid: int) -> None:
    with _lock:
        for slot in range(SLOTS):
            if _pids[slot] == pid:
                _pids[slot], _connections[slot] = 0, 0


def fair_share() -> int:
    """The most connections a worker may hold before leaving new ones to the others."""
    workers = total = 0
    for slot in range(SLOTS):
        if _pids[slot]:
            workers += 1
            total += _connections[slot]
    return math.ceil(total / max(workers, 1)) + 1


class BalancedThreadWorker(ThreadWorker):
    """gthread, accepting only while it holds at most its fair share of the connections."""

    def init_process(self):
        self._slot = claim(os.getpid())
        super().init_process()

    def notify(self):
        """Once round the loop, before it decides whether to accept: publish what this worker
        holds and take the fair share as its limit (never above ``worker_connections``)."""
        super().notify()
        if self._slot >= 0:
            _connections[self._slot] = self.nr_conns
            self.worker_connections = min(self.cfg.worker_connections, fair_share())

    def accept(self, listener):
        super().accept(listener)
        if self._slot >= 0:
            _connections[self._slot] = self.nr_conns


class AccessLogWhenAsked(Logger):
    """gunicorn's logger, building a request's access-log fields only when ``accesslog`` names
    a destination. With a ``logconfig_dict`` (the JSON logs) gunicorn builds them for every
    request even though ``gunicorn.conf.py`` silences the access logger when ``accesslog`` is
    unset: about 5 % of a worker's Python CPU on a polled scores page (issue 22's profile)."""

    def _compute_access_log_enabled(self):
        return bool(self.cfg.accesslog)
