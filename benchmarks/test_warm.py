"""Repeated runs of unchanged targets: what the caches are for.

Each scenario's group holds the stdlib, compiled and pure runs of the same
call; ``report.py`` turns their medians into speed-up ratios.  One call
before measuring checks that the runner really ran the target, so a broken
runner cannot look fast.
"""

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


@pytest.mark.benchmark(group="exec floor")
def test_exec_floor(benchmark, targets):
    """The least any runner can cost: exec of ready code in a new dict.

    Compiled the way the runners compile a script, from the same file, so
    the code objects are alike.
    """
    with open(targets.one, "rb") as stream:
        code = compile(stream.read(), targets.one, "exec", dont_inherit=True)
    namespace = {}
    exec(code, namespace)
    assert namespace["x"] == 1
    benchmark(lambda: exec(code, {}))
