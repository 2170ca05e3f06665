"""Worker processes: one way to start a pool, and a guarantee that workers do not outlive the process that started them."""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor

PRELOAD = ["tifa.features", "tifa.slogans", "tifa.corpus"]  # imported once by the fork server, so workers start quickly


def worker_pool(workers: int) -> ProcessPoolExecutor:
    """A pool of ``workers`` processes started by a fork server that has tifa's pipeline imported (no inherited threads or locks).

    Results of ``pool.map`` come back in input order, so work spread over
    processes gives the same bytes as one process. A worker reads its tasks from
    a pipe of this process: when this process dies (even by kill -9) the pipe
    closes and the workers exit.
    """
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(PRELOAD)
    return ProcessPoolExecutor(workers, mp_context=context)
