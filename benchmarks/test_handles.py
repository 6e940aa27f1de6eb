"""Prepared handles (prepare_path / prepare_module) against cache hits and the floor.

A handle skips what a cache hit spends on finding its entry (building the
key, the cache's lock and LRU bookkeeping).  Each group measures the hit
(``run_path`` / ``run_module`` of an unchanged target) and the handle's
``run()`` for both cores; ``report.py`` sets them side by side with the
floor: exec of the same code in a new dict holding the dunders a run sets.
"""

import pytest


@pytest.fixture(params=["compiled", "pure"])
def core(request, runner_module):
    return runner_module(request.param)


@pytest.mark.parametrize("how", ["hit", "handle"])
@pytest.mark.benchmark(group="handle: run_path one-line script")
def test_handle_run_path(benchmark, core, targets, how):
    handle = core.prepare_path(targets.one)
    call = handle.run if how == "handle" else (lambda: core.run_path(targets.one))
    assert call()["x"] == 1 and call()["x"] == 1  # the second run is the warm one
    benchmark(call)


@pytest.mark.parametrize("how", ["hit", "handle"])
@pytest.mark.benchmark(group="handle: run_module('top')")
def test_handle_run_module(benchmark, core, targets, how):
    handle = core.prepare_module("top")
    call = handle.run if how == "handle" else (lambda: core.run_module("top"))
    assert call()["x"] == 1 and call()["x"] == 1
    benchmark(call)


@pytest.mark.benchmark(group="handle floor")
def test_handle_floor(benchmark, floor_run):
    benchmark(floor_run)
