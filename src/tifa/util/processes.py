"""Worker processes: one way to start a pool, and a guarantee that workers do not outlive the process that started them."""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from concurrent.futures import ProcessPoolExecutor

PRELOAD = ["tifa.features", "tifa.slogans", "tifa.corpus"]  # imported once by the fork server, so workers start quickly


def worker_pool(workers: int) -> ProcessPoolExecutor:
    """A pool of ``workers`` processes started by a fork server that has tifa's pipeline imported (no inherited threads or locks).

    Results of ``pool.map`` come back in input order, so work spread over
    processes gives the same bytes as one process. A worker reads its tasks from
    a pipe of this process, and watches its parent (:func:`exit_with_parent`):
    when this process dies, even by kill -9 in the middle of a task, the fork
    server and the workers exit.
    """
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(PRELOAD)
    return ProcessPoolExecutor(workers, mp_context=context, initializer=exit_with_parent)


PARENT_POLL = 0.5  # seconds between two looks at the parent


def exit_with_parent(interval: float = PARENT_POLL) -> None:
    """Make this (worker) process exit as soon as its parent dies, even in the middle of a task.

    A daemon thread compares ``os.getppid()`` with the parent at start: an orphan is
    re-parented (to init or a subreaper), and then exits at once. Children of the
    worker that watch it in turn (Jupyter kernels do) follow it.
    """
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(interval)
        os._exit(1)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()
