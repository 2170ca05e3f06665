"""Faults during builds (the quick ones; bench/faults.py runs many at random points): a build killed with
kill -9, two store builds at once, a file-size limit. A rerun succeeds and gives a clean build's files."""

from __future__ import annotations

import importlib.util
import signal
import threading
import time

import pytest

from tifa import config, load_corpus
from tifa.corpus import write_processed
from tifa.store import build_store

_spec = importlib.util.spec_from_file_location("faults", config.PROJECT_ROOT / "bench" / "faults.py")
faults = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(faults)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return faults.make_corpus(tmp_path_factory.mktemp("faults"), 6)


@pytest.fixture(scope="module")
def clean_store(corpus, tmp_path_factory):
    out = tmp_path_factory.mktemp("clean") / "store"
    build_store(corpus, out, partition_rows=2, progress=False)
    return faults.fingerprint(out)


def test_a_store_build_killed_with_kill_9_is_rebuilt_as_a_clean_build(corpus, clean_store, tmp_path):
    out = tmp_path / "store"
    proc = faults.start(faults.command("store", corpus, out, 2))
    deadline = time.monotonic() + 60
    while proc.poll() is None and time.monotonic() < deadline and not any((out / "docs").glob("*.parquet*")):
        time.sleep(0.01)  # kill it half way: once the first partition is being written
    proc.send_signal(signal.SIGKILL)
    proc.communicate()
    build_store(corpus, out, partition_rows=2, progress=False)
    assert faults.fingerprint(out) == clean_store
    assert faults.leftovers(out) == []


def test_two_store_builds_at_once_with_different_partitions_wait_for_each_other(corpus, clean_store, tmp_path):
    out = tmp_path / "store"
    errors = []

    def build(rows: int) -> None:
        try:
            build_store(corpus, out, partition_rows=rows, progress=False)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=build, args=(rows,)) for rows in (1, 5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    build_store(corpus, out, partition_rows=2, progress=False)
    assert faults.fingerprint(out) == clean_store
    assert faults.leftovers(out) == []


@pytest.mark.parametrize("kind", ["store", "build"])
def test_a_file_size_limit_during_a_build_is_a_clean_error_naming_the_folder(corpus, tmp_path, kind):
    out = tmp_path / "out"
    done = faults.run(faults.command(kind, corpus, out, 2), file_limit=1024)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert "file too large" in done.stderr and str(out) in done.stderr
    if kind == "store":
        build_store(corpus, out, partition_rows=2, progress=False)
    else:
        write_processed(load_corpus(corpus), out)
    assert faults.leftovers(out) == []
