"""Repeated runs of unchanged targets: what the caches are for.

Each scenario's group holds the stdlib, compiled and pure runs of the same
call; ``report.py`` turns their medians into speed-up ratios.  One call
before measuring checks that the runner really ran the target, so a broken
runner cannot look fast.
"""

import sys

import pytest


@pytest.mark.benchmark(group="run_path one-line script")
def test_run_path_one_line(benchmark, runner, targets):
    assert runner.run_path(targets.one)["x"] == 1
    benchmark(runner.run_path, targets.one)


@pytest.mark.benchmark(group="run_path 1,000-line script")
def test_run_path_big(benchmark, runner, targets):
    assert callable(runner.run_path(targets.big)["f499"])
    benchmark(runner.run_path, targets.big)


@pytest.mark.benchmark(group="run_module('top')")
def test_run_module_top(benchmark, runner, targets):
    assert runner.run_module("top")["x"] == 1
    benchmark(runner.run_module, "top")


@pytest.mark.benchmark(group="run_module('pkg.sub.leaf')")
def test_run_module_leaf(benchmark, runner, targets):
    assert runner.run_module("pkg.sub.leaf")["__name__"] == "pkg.sub.leaf"
    benchmark(runner.run_module, "pkg.sub.leaf")


@pytest.mark.benchmark(group="run_module('pkg', alter_sys=True)")
def test_run_module_package_main(benchmark, runner, targets):
    assert runner.run_module("pkg", alter_sys=True)["__name__"] == "pkg.__main__"
    benchmark(runner.run_module, "pkg", alter_sys=True)


@pytest.mark.benchmark(group="run_path directory with __main__")
def test_run_path_directory(benchmark, runner, targets):
    assert runner.run_path(targets.app)["x"] == 1
    benchmark(runner.run_path, targets.app)


@pytest.mark.benchmark(group="run_module of a module in the 10th of 10 sys.path entries")
def test_run_module_far_on_sys_path(benchmark, runner, targets):
    sys.path[:0] = targets.far_path
    try:
        assert runner.run_module("tenth")["x"] == 1
        benchmark(runner.run_module, "tenth")
    finally:
        del sys.path[: len(targets.far_path)]


@pytest.mark.timestamp
@pytest.mark.benchmark(group="run_path one-line script [timestamp]")
def test_run_path_one_line_timestamp(benchmark, runner, targets):
    assert runner.run_path(targets.one)["x"] == 1
    benchmark(runner.run_path, targets.one)


@pytest.mark.timestamp
@pytest.mark.benchmark(group="run_path 1,000-line script [timestamp]")
def test_run_path_big_timestamp(benchmark, runner, targets):
    assert callable(runner.run_path(targets.big)["f499"])
    benchmark(runner.run_path, targets.big)


@pytest.mark.timestamp
@pytest.mark.benchmark(group="run_module('top') [timestamp]")
def test_run_module_top_timestamp(benchmark, runner, targets):
    assert runner.run_module("top")["x"] == 1
    benchmark(runner.run_module, "top")


@pytest.mark.benchmark(group="exec floor")
def test_exec_floor(benchmark, floor_run):
    """The least any runner can cost: the cached code run in a new dict of dunders, then copied as run_path copies."""
    benchmark(lambda: floor_run().copy())
