"""First runs by instruction count: fastrunpy against stdlib runpy.

    python benchmarks/instructions.py [--rounds N] [--python PATH]

A first run (nothing cached) costs fastrunpy its key, its cache lookup and
its miss bookkeeping on top of what runpy does; the goal (issue 9) is at
most 3% more instructions than runpy.  Timing cannot settle a difference
that small on a shared machine, so this counts instructions with callgrind
(valgrind must be installed), which the machine's load does not change.

Two scenarios, each round starting from ``fastrunpy.cache_clear()``:

* ``run_path`` of a new 25-line script (a different file every round, so
  every runner reads and compiles it);
* ``run_module`` of a module whose bytecode is on disk.

For each runner (stdlib, fastrunpy, and none: the round's set-up alone) the
interpreter runs under callgrind twice, with 0 and with ``--rounds``
rounds; the difference over the rounds is one round's count, and the
set-up's count is taken off.  ``PYTHONHASHSEED=0`` makes the counts
repeatable, and bytecode is written as users have it
(``PYTHONDONTWRITEBYTECODE`` unset).
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile

GOAL = 1.03

ROUND = r'''
import os, sys
sys.dont_write_bytecode = False
import runpy
import fastrunpy

scenario, runner, rounds, workdir = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
run = {"stdlib": runpy, "fastrunpy": fastrunpy, "none": None}[runner]
clear = fastrunpy.cache_clear
if scenario == "run_path":
    scripts = [os.path.join(workdir, "scripts", "s%d.py" % index) for index in range(rounds + 1)]
    runpy.run_path(scripts[0]), fastrunpy.run_path(scripts[0])  # the machinery loaded, once
    for path in scripts[1:]:
        clear()
        if run is not None:
            run.run_path(path)
else:
    sys.path.insert(0, os.path.join(workdir, "modules"))
    runpy.run_module("firstmod"), fastrunpy.run_module("firstmod")
    for _ in range(rounds):
        clear()
        if run is not None:
            run.run_module("firstmod")
'''

SCRIPT = "\n".join(
    ['"""A script of 25 lines."""', "import sys", ""]
    + ["value_%d = %d * 2" % (index, index) for index in range(12)]
    + ["", "", "def total():", "    return sum(v for k, v in globals().items() if k.startswith('value_'))", "", "",
       "class Holder:", "    kept = total()", "", "result = Holder.kept"]
) + "\n"


def _environment():
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONHASHSEED"] = "0"
    return env


def _count(python, workdir, scenario, runner, rounds):
    done = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
         python, "-c", ROUND, scenario, runner, str(rounds), workdir],
        cwd=workdir, env=_environment(), capture_output=True, text=True, check=True,
    )
    return int(re.search(r"Collected : (\d+)", done.stderr).group(1))


def _per_round(python, workdir, scenario, runner, rounds):
    return (_count(python, workdir, scenario, runner, rounds) - _count(python, workdir, scenario, runner, 0)) / rounds


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--python", default=sys.executable)
    options = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as workdir:
        os.mkdir(os.path.join(workdir, "scripts"))
        for index in range(options.rounds + 1):
            with open(os.path.join(workdir, "scripts", "s%d.py" % index), "w") as stream:
                stream.write(SCRIPT)
        os.mkdir(os.path.join(workdir, "modules"))
        with open(os.path.join(workdir, "modules", "firstmod.py"), "w") as stream:
            stream.write(SCRIPT)
        # The module's bytecode on disk before anything is counted.
        subprocess.run([options.python, "-c", "import sys; sys.path.insert(0, 'modules'); import firstmod"],
                       cwd=workdir, env=_environment(), check=True)
        version = subprocess.run([options.python, "-c", "import sys; print(sys.version.split()[0])"],
                                 capture_output=True, text=True, check=True).stdout.strip()
        print("Python %s; %d rounds each; instructions per first run, set-up taken off" % (version, options.rounds))
        for scenario, label in (("run_path", "first run_path of a new 25-line script"),
                                ("run_module", "first run_module, bytecode on disk")):
            setup = _per_round(options.python, workdir, scenario, "none", options.rounds)
            stdlib = _per_round(options.python, workdir, scenario, "stdlib", options.rounds) - setup
            fast = _per_round(options.python, workdir, scenario, "fastrunpy", options.rounds) - setup
            print("%-40s stdlib %9.1fk  fastrunpy %9.1fk  %+.1f%% (goal at most %+.0f%%)"
                  % (label, stdlib / 1e3, fast / 1e3, (fast / stdlib - 1) * 100, (GOAL - 1) * 100))
    return 0


if __name__ == "__main__":
    sys.exit(main())
