"""First runs: the caches must not make a never-seen target slower.

Each round gets a target no runner has cached: a brand-new file for
run_path; for run_module a cleared cache, either with the bytecode already
on disk (a new process running installed code) or with the source touched
to a new whole-second mtime, so that stdlib and fastrunpy alike recompile
and rewrite the bytecode.  Setup is not timed; every runner pays the same.
"""

import itertools
import os
import runpy

import pytest

ROUNDS = 500


def _clear(runner):
    if runner is not runpy:
        runner.cache_clear()


@pytest.mark.benchmark(group="first run_path, cache cold")
def test_cold_run_path(benchmark, runner, targets, fresh_dir):
    counter = itertools.count()

    def new_script():
        path = os.path.join(fresh_dir, f"script_{next(counter)}.py")
        with open(path, "w", encoding="utf-8") as stream:
            stream.write(targets.small_source)
        return (path,), {}

    args, _ = new_script()
    assert runner.run_path(*args)["answer"] == 10
    benchmark.pedantic(runner.run_path, setup=new_script, rounds=ROUNDS)


@pytest.mark.benchmark(group="first run_module, bytecode on disk, cache cold")
def test_cold_run_module_bytecode(benchmark, runner, targets):
    assert runner.run_module("coldmod")["answer"] == 10

    def clear():
        _clear(runner)
        return ("coldmod",), {}

    benchmark.pedantic(runner.run_module, setup=clear, rounds=ROUNDS)


@pytest.mark.benchmark(group="first run_module after edit, cache cold")
def test_cold_run_module_touched(benchmark, runner, targets):
    stamps = itertools.count(int(os.stat(targets.coldmod).st_mtime) - 10 * ROUNDS)
    assert runner.run_module("coldmod")["answer"] == 10

    def touch():
        _clear(runner)
        # Whole seconds: bytecode records the source mtime in seconds, so a
        # finer change would let stdlib reuse the old bytecode.
        stamp = next(stamps) * 1_000_000_000
        os.utime(targets.coldmod, ns=(stamp, stamp))
        return ("coldmod",), {}

    benchmark.pedantic(runner.run_module, setup=touch, rounds=ROUNDS)
