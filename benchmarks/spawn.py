"""spawn() against a fresh interpreter per run, side by side.

    python benchmarks/spawn.py [--runs N] [--python PATH]

The program imports json, argparse and pathlib and prints one line (what a
small build or lint step does).  Measured in the interpreter given by
``--python``, each figure side by side in one run:

* ``--runs`` sequential runs through ``subprocess.run([sys.executable,
  script])`` and through ``fastrunpy.run_process([script])`` with a zygote
  preloading the three modules, in alternating blocks of 20 back-to-back
  runs so that a machine whose speed drifts (a shared VM) slows both alike
  (goal: at least 10x);
* the first run of a new zygote (the warm process starts, then forks)
  against one plain subprocess, five of each in turn, best of each (goal:
  at most 1.2x);
* throughput with two runs in flight at once, both ways;
* the same sequential and in-flight runs with ``fresh_seed=True`` (each run
  in a new interpreter started ahead, with a string-hash seed of its own).

Bytecode is written before timing and ``PYTHONDONTWRITEBYTECODE`` is unset,
as users have it.
"""

import argparse
import os
import subprocess
import sys
import tempfile

MEASURE = r'''
import os, subprocess, sys, time
from concurrent.futures import ThreadPoolExecutor
import fastrunpy

runs, script = int(sys.argv[1]), sys.argv[2]
preload = ("json", "argparse", "pathlib")
quiet = dict(stdout=subprocess.DEVNULL)


def fresh():
    subprocess.run([sys.executable, script], check=True, **quiet)


def timed(function, count):
    started = time.perf_counter()
    for _ in range(count):
        function()
    return (time.perf_counter() - started) / count


def side_by_side(first, second, count, block=20):
    """Mean time of each, in alternating blocks of back-to-back runs.

    Blocks, so that a machine whose speed drifts slows both alike; runs
    back to back within a block, so that no pause between two runs does
    work ahead for the second.
    """
    totals = [0.0, 0.0]
    done = 0
    while done < count:
        size = min(block, count - done)
        for index in (0, 1):
            totals[index] += timed((first, second)[index], size) * size
        done += size
    return totals[0] / count, totals[1] / count


def first_spawn():
    """A new zygote's first run: the warm process starts, then forks (its close is not counted)."""
    started = time.perf_counter()
    with fastrunpy.Zygote(preload) as zygote:
        fastrunpy.run_process([script], zygote=zygote, check=True, **quiet)
        return time.perf_counter() - started


fresh()  # bytecode on disk
# Taken in turn, so that both see the machine's speed of the moment: on a
# shared VM, five of one then five of the other can differ by a third.
cold_fresh, cold_spawn = [], []
for _ in range(5):
    cold_fresh.append(timed(fresh, 1))
    cold_spawn.append(first_spawn())
cold_fresh = min(cold_fresh)


def in_flight(function):
    """Runs per second with two in flight at once."""
    with ThreadPoolExecutor(2) as pool:
        started = time.perf_counter()
        list(pool.map(lambda _: function(), range(runs)))
        return runs / (time.perf_counter() - started)


def measured(**options):
    """(fresh, warm) seconds a run side by side, warm runs/s in flight, statistics: one kind of zygote."""
    with fastrunpy.Zygote(preload, **options) as zygote:
        zygote.warm_up()

        def warm():
            fastrunpy.run_process([script], zygote=zygote, check=True, **quiet)

        warm()
        each_fresh, each_warm = side_by_side(fresh, warm, runs)
        return each_fresh, each_warm, in_flight(warm), zygote.statistics


each_fresh, each_warm, parallel_warm, statistics = measured()
parallel_fresh = in_flight(fresh)
each_fresh_again, each_seeded, parallel_seeded, seeded_statistics = measured(fresh_seed=True)
print("Python %s; %d sequential runs each" % (sys.version.split()[0], runs))
print("fresh interpreter per run  %7.2f ms" % (each_fresh * 1e3))
print("spawn from a zygote        %7.2f ms   %.1fx (goal 10x)" % (each_warm * 1e3, each_fresh / each_warm))
print("first run, fresh           %7.2f ms   (best of 5)" % (cold_fresh * 1e3))
print("first run, new zygote      %7.2f ms   %.2fx (goal at most 1.2x; best of 5)" % (min(cold_spawn) * 1e3, min(cold_spawn) / cold_fresh))
print("two in flight, fresh       %7.1f runs/s" % parallel_fresh)
print("two in flight, spawn       %7.1f runs/s   %.1fx" % (parallel_warm, parallel_warm / parallel_fresh))
print("fresh_seed=True, sequential %7.2f ms   %.1fx (fresh: %.2f ms in turn with it)" % (each_seeded * 1e3, each_fresh_again / each_seeded, each_fresh_again * 1e3))
print("fresh_seed=True, two in flight %5.1f runs/s   %.1fx" % (parallel_seeded, parallel_seeded / parallel_fresh))
print("zygote statistics:", statistics)
print("fresh_seed zygote statistics:", seeded_statistics)
'''

PROGRAM = "import json, argparse, pathlib\nprint(json.dumps({'ok': True}))\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--python", default=sys.executable)
    options = parser.parse_args(argv)
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    with tempfile.TemporaryDirectory() as workdir:
        script = os.path.join(workdir, "tool.py")
        with open(script, "w") as stream:
            stream.write(PROGRAM)
        return subprocess.run(
            [options.python, "-c", MEASURE, str(options.runs), script], cwd=workdir, env=env
        ).returncode


if __name__ == "__main__":
    sys.exit(main())
