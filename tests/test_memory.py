"""Caching must not turn into hoarding: bounded entries, bounded memory, no leaks.

Memory is measured with tracemalloc (Python-level allocations) around runs
of the implementation module itself; every bound is generous, so only
growth with the number of runs, not noise, can cross it.  Objects the
collector tracks are counted too: a run that left its globals, module or
dicts behind would add to that count on any build.

The free-threaded build frees memory through a deferred queue, so traced
memory there swings by megabytes from one checkpoint to the next whoever
runs the code (stdlib runpy: +5.3, +1.8, +1.3, +4.8 MB after 50k, 100k,
150k, 200k runs of one script on 3.14.7t, with no object kept).  There the
object counts are the leak check, and traced memory is not asserted.
"""

from __future__ import annotations

import gc
import os
import runpy
import sys
import time
import tracemalloc
import weakref
from typing import Any, Iterator, List

import pytest

DISTINCT_SMALL = 1_000
DISTINCT_LARGE = 10_000
REPEATS = 100_000
MODULE_REPEATS = 20_000  # a module run costs more; this is plenty to show a per-run leak
MAXSIZE = 256
KIB = 1024
# Memory freed through a deferred queue (free-threaded builds): see above.
DEFERRED_FREES = getattr(sys, "_is_gil_enabled", lambda: True)() is False


def _dated(path: str) -> str:
    """Date a file a minute back: settled, so every later run is a plain cache hit."""
    then = time.time() - 60
    os.utime(path, (then, then))
    return path


def _write(path: str, text: str) -> str:
    with open(path, "w", encoding="utf-8") as stream:
        stream.write(text)
    return _dated(path)


@pytest.fixture
def fast(impl: Any, tmp_path: Any) -> Iterator[Any]:
    """The implementation module with its cache cleared, and sys restored afterwards."""
    module = impl.module
    maxsize = module.cache_info().maxsize
    saved_path = list(sys.path)
    saved_meta_path = list(sys.meta_path)
    # With pytest's import hook on sys.meta_path, module runs would never be
    # cached and the cached-run cases would measure the uncached path.
    sys.meta_path[:] = [
        f for f in saved_meta_path if type(f).__module__ != "_pytest.assertion.rewrite"
    ]
    module.cache_clear()
    try:
        yield module
    finally:
        sys.path[:] = saved_path
        sys.meta_path[:] = saved_meta_path
        module.cache_configure(maxsize=maxsize)
        module.cache_clear()


@pytest.fixture
def traced() -> Iterator[None]:
    tracemalloc.start()
    try:
        yield
    finally:
        tracemalloc.stop()


def _settled_memory() -> int:
    gc.collect()
    return tracemalloc.get_traced_memory()[0]


def _tracked_objects() -> int:
    gc.collect()
    return len(gc.get_objects())


def _peak_growth(fast: Any, scripts: List[str]) -> int:
    """How far above its starting point memory peaks while running ``scripts`` twice each.

    Twice, because the cache records a script on its second miss.
    """
    start = _settled_memory()
    tracemalloc.reset_peak()
    for script in scripts:
        for _ in range(2):
            assert fast.run_path(script)["x"] == 1
        assert fast.cache_info().currsize <= MAXSIZE
    return tracemalloc.get_traced_memory()[1] - start


def test_many_distinct_scripts_stay_bounded(fast: Any, tmp_path: Any) -> None:
    fast.cache_configure(maxsize=MAXSIZE)
    total = 100 + DISTINCT_SMALL + DISTINCT_LARGE
    scripts = [_write(str(tmp_path / f"s{i}.py"), f"x = 1\nn = {i}\n") for i in range(total)]
    warm, small, large = scripts[:100], scripts[100:100 + DISTINCT_SMALL], scripts[100 + DISTINCT_SMALL:]
    # Compiling keeps something per distinct file name in the interpreter
    # itself on some versions (3.13 interns it, for good).  Compiling every
    # script once beforehand, as stdlib runpy would, takes that out of the
    # measurement; the cache has still seen none of them.
    for script in scripts:
        runpy.run_path(script)
    tracemalloc.start()
    try:
        _peak_growth(fast, warm)  # first-use imports and allocations, outside both measurements
        objects_before = _tracked_objects()
        small_growth = _peak_growth(fast, small)
        objects_small = _tracked_objects()
        large_growth = _peak_growth(fast, large)
        objects_large = _tracked_objects()
    finally:
        tracemalloc.stop()
    info = fast.cache_info()
    assert info.currsize == MAXSIZE and info.maxsize == MAXSIZE
    assert info.misses >= total
    # The cache holds MAXSIZE entries either way: ten times the scripts keep
    # no more objects alive (code objects are not tracked; the slack is for
    # the interpreter's own first-use objects).
    assert objects_large - objects_small <= max(objects_small - objects_before, 0) + 200, (
        objects_before, objects_small, objects_large)
    if DEFERRED_FREES:
        return
    # Both runs fill the cache to its bound; ten times the scripts must not
    # cost ten times the memory.  A full cache of tiny scripts is well under
    # a few MiB, so the bound stays generous without being vacuous.
    assert large_growth <= 2 * small_growth + 256 * KIB, (small_growth, large_growth)


def test_repeated_cached_runs_leak_nothing(fast: Any, tmp_path: Any, traced: None) -> None:
    script = _write(str(tmp_path / "tiny.py"), "x = 1\n")
    for _ in range(1_000):  # warm-up: cache entry, freelists, first-use imports
        fast.run_path(script)
    before_info = fast.cache_info()
    objects = _tracked_objects()
    before = _settled_memory()
    for _ in range(REPEATS):
        fast.run_path(script)
    after = _settled_memory()
    after_info = fast.cache_info()
    assert after_info.hits - before_info.hits == REPEATS  # all of them were cached runs
    assert after_info.currsize == before_info.currsize
    assert _tracked_objects() - objects < 50  # one object kept per run would be 100,000
    if DEFERRED_FREES:
        return
    # Even 1 byte kept per run would be 100 KB; the slack is for allocator noise.
    assert after - before < 32 * KIB, after - before


def _until_cached(fast: Any, call: Any) -> None:
    """Run until a run is a cache hit.

    A cache may keep re-checking a file written moments ago (stat() cannot
    yet vouch for it); a few seconds of retries let any such grace pass.
    """
    deadline = time.monotonic() + 10
    while True:
        hits = fast.cache_info().hits
        call()
        if fast.cache_info().hits > hits:
            return
        assert time.monotonic() < deadline, f"never served from the cache: {fast.cache_info()}"
        time.sleep(0.02)


def test_repeated_cached_module_runs_leak_nothing(fast: Any, tmp_path: Any, traced: None) -> None:
    _write(str(tmp_path / "tinymod.py"), "x = 1\n")
    sys.path.insert(0, str(tmp_path))
    _until_cached(fast, lambda: fast.run_module("tinymod", alter_sys=True))
    for _ in range(1_000):
        fast.run_module("tinymod", alter_sys=True)
    before_info = fast.cache_info()
    objects = _tracked_objects()
    before = _settled_memory()
    for _ in range(MODULE_REPEATS):
        fast.run_module("tinymod", alter_sys=True)
    after = _settled_memory()
    assert fast.cache_info().hits - before_info.hits == MODULE_REPEATS
    assert _tracked_objects() - objects < 50
    if DEFERRED_FREES:
        return
    assert after - before < 32 * KIB, after - before


HOLDER = """
import sys


class Box:
    pass


def where():
    return globals()


box = Box()
box.where = where  # keeps this run's globals reachable from the instance
me = sys.modules.get(__name__)
"""


@pytest.mark.parametrize("how", ["run_path", "run_path-main", "run_module", "run_module-alter_sys"])
def test_run_globals_freed_after_the_run(fast: Any, tmp_path: Any, how: str) -> None:
    script = _write(str(tmp_path / "holder.py"), HOLDER)
    sys.path.insert(0, str(tmp_path))
    calls = {
        "run_path": lambda: fast.run_path(script),
        "run_path-main": lambda: fast.run_path(script, run_name="__main__"),
        "run_module": lambda: fast.run_module("holder"),
        "run_module-alter_sys": lambda: fast.run_module("holder", alter_sys=True),
    }
    call = calls[how]
    _until_cached(fast, call)
    for attempt in range(4):
        result = call()
        box = weakref.ref(result["box"])
        module = weakref.ref(result["me"]) if result["me"] is not None and how.endswith(("main", "alter_sys")) else None
        del result
        gc.collect()
        assert box() is None, f"run {attempt}: the run's globals outlived it"
        if module is not None:
            assert module() is None, f"run {attempt}: the run's temporary module outlived it"
    assert fast.cache_info().hits >= 1
