"""``fastrunpy bench``: stdlib runpy and both fastrunpy implementations, side by side.

Every target is first run once by each implementation and the resulting
globals compared, so a speed-up is only ever shown next to the evidence
that the result is the same.  Then each implementation runs it many times
in this one process, interleaved round by round so that drift in machine
load spreads evenly over all of them:

* warm: the same, unchanged target again and again (caches may help);
* cold: before every timed run, a never-seen copy of the script (or
  directory, or zip file) and an empty fastrunpy cache, so nothing can
  be reused; modules cannot be copied, so for them only the cache is cleared.
"""

import argparse
import contextlib
import gc
import io
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from types import CodeType, FunctionType, ModuleType
from typing import Any, Callable, Dict, Iterator, List, NamedTuple, Optional, Sequence, TextIO, Tuple

from . import __version__

EXAMPLES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_examples")
SUITE_MODULE = "fastrunpy._examples.demo_pkg.tasks"
DEFAULT_RUNS = 100
MODES = ("warm", "cold")


class Target(NamedTuple):
    label: str  # how the table names it
    kind: str  # "path" (run_path) or "module" (run_module)
    value: str  # the path or the module name


class Runner(NamedTuple):
    name: str  # "stdlib", "cython" or "python"
    module: Optional[ModuleType]  # None: not available here
    note: str  # why not available


class Stats(NamedTuple):
    median: float
    q1: float
    q3: float
    low: float
    high: float


class BenchError(Exception):
    """A target that cannot be benchmarked: one line on stderr, exit 2."""


# --- command line ---------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fastrunpy bench",
        description=(
            "Time stdlib runpy, fastrunpy's compiled core and its pure-Python twin on the "
            "same targets, warm (unchanged target, repeated) and cold (never-seen copy, "
            "empty cache). Without targets, a bundled suite is timed: a one-line script, "
            "a 1,000-line script of 500 functions and a module inside a package."
        ),
    )
    parser.add_argument("targets", nargs="*", metavar="TARGET", help="a script, .pyc, directory or zip file (run_path)")
    parser.add_argument(
        "-m", dest="modules", action="append", default=[], metavar="MOD", help="a module to run with run_module (repeatable)"
    )
    parser.add_argument("--runs", type=int, default=DEFAULT_RUNS, metavar="N", help=f"timed runs per target, mode and implementation (default {DEFAULT_RUNS})")
    parser.add_argument("--json", action="store_true", help="print the results as JSON instead of a table")
    return parser


def main(argv: Sequence[str]) -> int:
    parser = _parser()
    options = parser.parse_intermixed_args(list(argv))
    if options.runs < 1:
        parser.error("--runs must be at least 1")
    targets = [Target(path, "path", path) for path in options.targets]
    targets += [Target(f"-m {name}", "module", name) for name in options.modules]
    try:
        report = run(targets, options.runs, _progress_stream())
    except BenchError as exc:
        sys.stderr.write(f"fastrunpy bench: {exc}\n")
        return 2
    except KeyboardInterrupt:
        sys.stderr.write("fastrunpy bench: interrupted\n")
        return 130
    if options.json:
        json.dump(report, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(format_table(report, _symbols(sys.stdout)))
    return 0


# --- what is compared -------------------------------------------------------------


def runners() -> List[Runner]:
    from ._install import standard_runpy  # the real one, even where fastrunpy is installed as runpy

    found = [Runner("stdlib", standard_runpy(), "")]
    try:
        from . import _core
    except ImportError as exc:
        found.append(Runner("cython", None, f"not available ({exc})"))
    else:
        found.append(Runner("cython", _core, ""))
    from . import _core_py

    found.append(Runner("python", _core_py, ""))
    return found


def suite() -> List[Target]:
    return [
        Target("one-line script", "path", os.path.join(EXAMPLES, "one_line.py")),
        Target("500-function script", "path", os.path.join(EXAMPLES, "many_functions.py")),
        Target("package module", "module", SUITE_MODULE),
    ]


# --- running a target -------------------------------------------------------------


@contextlib.contextmanager
def _quiet(label: str) -> Iterator[None]:
    """Targets print into nothing and see argv as if started alone."""
    saved_argv = sys.argv[:]
    sys.argv[:] = [label]
    try:
        with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink):
            yield
    finally:
        sys.argv[:] = saved_argv


def _call(runner: Runner, target: Target, location: str) -> Dict[str, Any]:
    assert runner.module is not None
    try:
        if target.kind == "module":
            result: Dict[str, Any] = runner.module.run_module(location)
        else:
            result = runner.module.run_path(location)
    except SystemExit as exc:
        if exc.code not in (None, 0):
            raise
        result = {}
    return result


def _check(target: Target, available: List[Runner]) -> Dict[str, List[str]]:
    """Run the target once per implementation; the differences from stdlib's globals, by name."""
    results: Dict[str, Dict[str, Any]] = {}
    for runner in available:
        try:
            results[runner.name] = _call(runner, target, target.value)
        except KeyboardInterrupt:
            raise
        except BaseException as exc:
            if runner.name == "stdlib":
                raise BenchError(f"cannot run {target.label}: {type(exc).__name__}: {exc}") from None
            results[runner.name] = {"<error>": f"{type(exc).__name__}: {exc}"}
    reference = results["stdlib"]
    return {name: differences(reference, got) for name, got in results.items() if name != "stdlib"}


def differences(expected: Dict[str, Any], got: Dict[str, Any]) -> List[str]:
    """How two runs' globals differ; [] when they agree (objects made by each run compare by shape)."""
    found: List[str] = []
    if list(expected) != list(got):
        missing = [key for key in expected if key not in got]
        extra = [key for key in got if key not in expected]
        if missing or extra:
            found.append(f"names: missing {missing}, extra {extra}")
        else:
            found.append("names: same names, different order")
    for key, value in expected.items():
        if key in got and _shape(value) != _shape(got[key]):
            found.append(f"{key}: {_short(value)} != {_short(got[key])}")
    return found


def _shape(value: Any, depth: int = 0) -> Any:
    """What identifies a value across two independent runs of the same code."""
    if isinstance(value, ModuleType):
        return ("module", value.__name__)
    if isinstance(value, FunctionType):
        return ("function", value.__module__, value.__qualname__, _code_shape(value.__code__))
    if isinstance(value, type):
        return ("class", value.__module__, value.__qualname__)
    if isinstance(value, CodeType):
        return _code_shape(value)
    if depth < 3 and isinstance(value, (list, tuple)):
        return (type(value).__name__, tuple(_shape(item, depth + 1) for item in value))
    if depth < 3 and isinstance(value, dict):
        return ("dict", tuple((_shape(k, depth + 1), _shape(v, depth + 1)) for k, v in value.items()))
    spec_fields = ("name", "origin", "cached", "parent", "submodule_search_locations", "has_location")
    if type(value).__name__ == "ModuleSpec":
        return ("spec",) + tuple(_shape(getattr(value, field, None), depth + 1) for field in spec_fields) + (
            _shape(value.loader, depth + 1),
        )
    if type(value).__module__ in ("_frozen_importlib", "_frozen_importlib_external", "zipimport"):
        state = getattr(value, "__dict__", {})
        return ("loader", type(value).__name__, tuple(sorted((k, repr(v)) for k, v in state.items())))
    if getattr(type(value), "__eq__", None) is getattr(object, "__eq__"):  # compares by identity
        return ("object", type(value).__module__, type(value).__qualname__)
    try:
        hash(value)
    except TypeError:
        return ("value", type(value).__qualname__, repr(value))
    return ("value", value)


def _code_shape(code: CodeType) -> Any:
    return (code.co_filename, code.co_name, code.co_firstlineno, code.co_code, code.co_names)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


# --- timing -----------------------------------------------------------------------


class _Copies:
    """Never-seen copies of a path target, one per cold run."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.root = tempfile.mkdtemp(prefix="fastrunpy-bench-")
        self.count = 0

    def fresh(self) -> str:
        self.count += 1
        folder = os.path.join(self.root, f"copy{self.count:06d}")
        os.mkdir(folder)
        destination = os.path.join(folder, os.path.basename(os.path.normpath(self.source)))
        if os.path.isdir(self.source):
            shutil.copytree(self.source, destination)
        else:
            shutil.copy2(self.source, destination)
        return destination

    def close(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


def _timed(runner: Runner, target: Target, location: str) -> int:
    collecting = gc.isenabled()
    gc.disable()
    try:
        start = time.perf_counter_ns()
        _call(runner, target, location)
        return time.perf_counter_ns() - start
    finally:
        if collecting:
            gc.enable()


def measure(
    target: Target, mode: str, available: List[Runner], runs: int, tick: Callable[[], None]
) -> Dict[str, List[int]]:
    """Nanoseconds per run, by implementation, rounds interleaved."""
    times: Dict[str, List[int]] = {runner.name: [] for runner in available}
    copies = _Copies(target.value) if mode == "cold" and target.kind == "path" else None
    try:
        for _ in range(runs):
            for runner in available:
                location = target.value
                if mode == "cold":
                    clear = getattr(runner.module, "cache_clear", None)
                    if clear is not None:
                        clear()
                    if copies is not None:
                        location = copies.fresh()
                times[runner.name].append(_timed(runner, target, location))
            tick()
    finally:
        if copies is not None:
            copies.close()
    return times


def summarise(samples: List[int]) -> Stats:
    micro = sorted(sample / 1000.0 for sample in samples)
    if len(micro) >= 2:
        q1, _, q3 = statistics.quantiles(micro, n=4, method="inclusive")
    else:
        q1 = q3 = micro[0]
    return Stats(statistics.median(micro), q1, q3, micro[0], micro[-1])


# --- the whole run ----------------------------------------------------------------


def _progress_stream() -> Optional[TextIO]:
    stream = sys.stderr
    return stream if stream is not None and stream.isatty() else None


def run(targets: List[Target], runs: int, progress: Optional[TextIO] = None) -> Dict[str, Any]:
    """Check and time every target; the report that format_table() and --json print."""
    if not targets:
        targets = suite()
    everyone = runners()
    available = [runner for runner in everyone if runner.module is not None]
    total = len(targets) * len(MODES) * runs
    done = [0]

    def tick() -> None:
        done[0] += 1
        if progress is not None and (done[0] % max(1, runs // 20) == 0 or done[0] == total):
            progress.write(f"\rfastrunpy bench: {done[0] * 100 // total:3d}% ")
            progress.flush()

    rows: List[Dict[str, Any]] = []
    checks: List[Dict[str, Any]] = []
    try:
        for target in targets:
            with _quiet(target.label):
                found = _check(target, available)
            for name, problems in found.items():
                checks.append({"target": target.label, "implementation": name, "same_result": not problems, "differences": problems})
            for mode in MODES:
                with _quiet(target.label):
                    times = measure(target, mode, available, runs, tick)
                rows.extend(_rows(target, mode, everyone, times, found))
    finally:
        if progress is not None:
            progress.write("\r" + " " * 24 + "\r")
            progress.flush()
    from . import IMPLEMENTATION

    return {
        "fastrunpy": __version__,
        "implementation_in_use": IMPLEMENTATION,
        "python": platform.python_version(),
        "python_implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "runs": runs,
        "implementations": {runner.name: (runner.note or "available") for runner in everyone},
        "checks": checks,
        "results": rows,
    }


def _rows(
    target: Target, mode: str, everyone: List[Runner], times: Dict[str, List[int]], found: Dict[str, List[str]]
) -> List[Dict[str, Any]]:
    rows: List[Dict[str, Any]] = []
    reference = summarise(times["stdlib"]).median
    for runner in everyone:
        row: Dict[str, Any] = {"target": target.label, "kind": target.kind, "mode": mode, "implementation": runner.name}
        if runner.name not in times:
            row.update(available=False, note=runner.note)
            rows.append(row)
            continue
        stats = summarise(times[runner.name])
        row.update(
            available=True,
            runs=len(times[runner.name]),
            median_us=round(stats.median, 3),
            q1_us=round(stats.q1, 3),
            q3_us=round(stats.q3, 3),
            min_us=round(stats.low, 3),
            max_us=round(stats.high, 3),
            speedup=round(reference / stats.median, 3) if stats.median else None,
            same_result=None if runner.name == "stdlib" else not found.get(runner.name),
        )
        rows.append(row)
    return rows


# --- the table ----------------------------------------------------------------------


def _symbols(stream: TextIO) -> Tuple[str, str, str]:
    """µ, en dash and ×, or ASCII stand-ins where the output cannot encode them."""
    try:
        "µ–×".encode(stream.encoding or "ascii")
    except (UnicodeEncodeError, LookupError):
        return "u", "-", "x"
    return "µ", "–", "×"


def format_table(report: Dict[str, Any], symbols: Tuple[str, str, str] = ("µ", "–", "×")) -> str:
    micro, dash, times = symbols
    header = ["target", "mode", "implementation", f"median {micro}s", f"IQR {micro}s", "vs stdlib", "result"]
    lines: List[List[str]] = []
    previous: Tuple[str, str] = ("", "")
    for row in report["results"]:
        key = (row["target"], row["mode"])
        target, mode = (row["target"], row["mode"]) if key != previous else ("", "")
        previous = key
        if not row["available"]:
            lines.append([target, mode, row["implementation"], "not available", "", "", ""])
            continue
        if row["same_result"] is None:
            verdict = "reference"
        else:
            verdict = "same result as stdlib" if row["same_result"] else "DIFFERENT from stdlib"
        speedup = f"{row['speedup']:.2f}{times}" if row["speedup"] else "-"
        lines.append(
            [
                target,
                mode,
                row["implementation"],
                _number(row["median_us"]),
                f"{_number(row['q1_us'])}{dash}{_number(row['q3_us'])}",
                speedup,
                verdict,
            ]
        )
    widths = [max(len(cells[i]) for cells in [header] + lines) for i in range(len(header))]
    right = {3, 4, 5}

    def render(cells: List[str]) -> str:
        parts = [cell.rjust(widths[i]) if i in right else cell.ljust(widths[i]) for i, cell in enumerate(cells)]
        return "  ".join(parts).rstrip()

    out = [render(header), render(["-" * width for width in widths])]
    out.extend(render(cells) for cells in lines)
    for check in report["checks"]:
        for problem in check["differences"]:
            out.append(f"! {check['target']} ({check['implementation']}): {problem}")
    out.append("")
    out.append(
        f"Python {report['python']} ({report['python_implementation']}) on {report['platform']}, "
        f"machine {report['machine']}"
    )
    out.append(
        f"fastrunpy {report['fastrunpy']}, implementation in use: {report['implementation_in_use']}; "
        f"{report['runs']} timed runs per row; warm = same target repeated, "
        f"cold = never-seen copy and empty cache before each run"
    )
    return "\n".join(out) + "\n"


def _number(value: float) -> str:
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"
