"""``fastrunpy bench``: structure of its table and JSON, its checks and its errors (never its timings)."""

from __future__ import annotations

import json
import platform
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any, Dict, List

import pytest

from fastrunpy import _bench

RUNNERS = ["stdlib", "cython", "python"]


def bench(impl, args: List[str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "fastrunpy", "bench", *args],
        cwd=str(cwd),
        env=impl.env,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture
def targets(tmp_path: Path, impl) -> Path:
    (tmp_path / "noisy.py").write_text(
        textwrap.dedent(
            """\
            import sys
            print("NOISE " * 20)
            def double(x):
                return 2 * x
            values = [double(i) for i in range(5)]
            args = sys.argv[1:]
            """
        )
    )
    (tmp_path / "plainmod.py").write_text("ANSWER = 42\nprint('MODULE NOISE')\n")
    return tmp_path


def _check_row(row: Dict[str, Any], runs: int) -> None:
    assert row["runs"] == runs
    assert row["min_us"] <= row["q1_us"] <= row["median_us"] <= row["q3_us"] <= row["max_us"]
    assert row["speedup"] > 0


def test_table_on_a_small_target(impl, targets: Path) -> None:
    done = bench(impl, ["noisy.py", "--runs", "3"], targets)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""  # no progress output when stderr is not a terminal
    assert "NOISE" not in done.stdout
    lines = done.stdout.splitlines()
    assert lines[0].split()[:3] == ["target", "mode", "implementation"]
    assert "vs stdlib" in lines[0] and "result" in lines[0]
    rows = [line for line in lines[2:] if line and not line.startswith(("Python ", "fastrunpy "))]
    assert len(rows) == 2 * len(RUNNERS)
    assert rows[0].startswith("noisy.py") and rows[0].split()[1] == "warm"
    assert rows[3].split()[1] == "cold"
    stdlib_rows = [row for row in rows if " stdlib " in row]
    assert len(stdlib_rows) == 2 and all("1.00" in row and "reference" in row for row in stdlib_rows)
    ours = [row for row in rows if " stdlib " not in row and "not available" not in row]
    assert ours and all(row.endswith("same result as stdlib") for row in ours)
    if impl.name == "cython":
        assert not any("not available" in row for row in rows)
    footer = "\n".join(lines[-2:])
    assert f"Python {platform.python_version()}" in footer
    assert f"machine {platform.machine()}" in footer
    assert f"implementation in use: {impl.name}" in footer


def test_json_report(impl, targets: Path) -> None:
    done = bench(impl, ["--json", "noisy.py", "-m", "plainmod", "--runs", "2"], targets)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)  # nothing but JSON on stdout
    assert report["implementation_in_use"] == impl.name
    assert report["python"] == platform.python_version()
    assert report["runs"] == 2
    assert set(report["implementations"]) == set(RUNNERS)
    results = report["results"]
    assert [(r["target"], r["mode"], r["implementation"]) for r in results] == [
        (target, mode, runner) for target in ("noisy.py", "-m plainmod") for mode in ("warm", "cold") for runner in RUNNERS
    ]
    assert {r["kind"] for r in results} == {"path", "module"}
    for row in results:
        if not row["available"]:
            assert row["implementation"] == "cython" and impl.name != "cython"
            continue
        _check_row(row, 2)
        if row["implementation"] == "stdlib":
            assert row["speedup"] == 1.0 and row["same_result"] is None
        else:
            assert row["same_result"] is True
    assert report["checks"] and all(check["same_result"] and not check["differences"] for check in report["checks"])


def test_bundled_suite_when_no_target_is_given(impl, tmp_path: Path) -> None:
    done = bench(impl, ["--runs", "1", "--json"], tmp_path)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    labels = []
    for row in report["results"]:
        if row["target"] not in labels:
            labels.append(row["target"])
    assert labels == ["one-line script", "500-function script", "package module"]
    assert all(check["same_result"] for check in report["checks"])


@pytest.mark.parametrize(
    "args, reason",
    [
        (["missing.py"], "cannot run missing.py: FileNotFoundError"),
        (["-m", "no_such_module_for_bench"], "cannot run -m no_such_module_for_bench: ImportError"),
        (["fails.py"], "cannot run fails.py: ZeroDivisionError"),
        (["exits.py"], "cannot run exits.py: SystemExit: 3"),
    ],
    ids=["missing-file", "missing-module", "raises", "exits-nonzero"],
)
def test_target_that_cannot_run(impl, tmp_path: Path, args: List[str], reason: str) -> None:
    (tmp_path / "fails.py").write_text("1 / 0\n")
    (tmp_path / "exits.py").write_text("raise SystemExit(3)\n")
    done = bench(impl, args, tmp_path)
    assert done.returncode == 2
    assert done.stdout == ""
    assert len(done.stderr.splitlines()) == 1
    assert done.stderr.startswith(f"fastrunpy bench: {reason}")


def test_target_ending_with_exit_0_is_timed(impl, tmp_path: Path) -> None:
    (tmp_path / "done.py").write_text("import sys\nsys.exit(0)\n")
    done = bench(impl, ["done.py", "--runs", "1", "--json"], tmp_path)
    assert done.returncode == 0, done.stderr
    assert len(json.loads(done.stdout)["results"]) == 2 * len(RUNNERS)


def test_runs_must_be_positive(impl, tmp_path: Path) -> None:
    done = bench(impl, ["--runs", "0"], tmp_path)
    assert done.returncode == 2
    assert "--runs must be at least 1" in done.stderr


def test_cold_runs_never_see_the_same_file_twice(impl, tmp_path: Path) -> None:
    log = tmp_path / "log.txt"
    script = tmp_path / "logger.py"
    script.write_text(f"with open({str(log)!r}, 'a') as f:\n    f.write(__file__ + '\\n')\n")
    report = _bench.run([_bench.Target("logger.py", "path", str(script))], runs=3)
    available = [name for name, state in report["implementations"].items() if state == "available"]
    seen = log.read_text().splitlines()
    per_phase = 3 * len(available)
    check, warm, cold = seen[: len(available)], seen[len(available) : len(available) + per_phase], seen[-per_phase:]
    assert len(seen) == len(available) + 2 * per_phase
    assert set(check) == set(warm) == {str(script)}
    assert len(set(cold)) == per_phase and str(script) not in cold


def test_differences_between_globals(impl) -> None:
    def make() -> Dict[str, Any]:
        namespace: Dict[str, Any] = {"__name__": "<run_path>"}
        exec(compile("def f(x):\n    return x\nclass C: pass\nvalue = [1, {'a': 2}]\n", "t.py", "exec", dont_inherit=True), namespace)
        return namespace

    first, second = make(), make()
    assert first["f"] is not second["f"]
    assert _bench.differences(first, second) == []
    changed = dict(second, value=[1, {"a": 3}])
    assert [item.split(":")[0] for item in _bench.differences(first, changed)] == ["value"]
    missing = {k: v for k, v in second.items() if k != "C"}
    assert _bench.differences(first, missing)[0].startswith("names: missing ['C']")
    reordered = dict(reversed(list(second.items())))
    assert _bench.differences(first, reordered) == ["names: same names, different order"]


def test_same_globals_from_each_implementation(impl, targets: Path) -> None:
    import runpy

    path = str(targets / "noisy.py")
    assert _bench.differences(runpy.run_path(path), impl.module.run_path(path)) == []
    assert _bench.differences(runpy.run_module("fastrunpy._examples.demo_pkg.tasks"), impl.module.run_module("fastrunpy._examples.demo_pkg.tasks")) == []


def test_table_marks_a_different_result(impl) -> None:
    row = {"target": "t.py", "kind": "path", "mode": "warm", "available": True, "runs": 1,
           "median_us": 5.0, "q1_us": 5.0, "q3_us": 5.0, "min_us": 5.0, "max_us": 5.0}
    report = {
        "fastrunpy": "0", "implementation_in_use": impl.name, "python": "3.x", "python_implementation": "CPython",
        "platform": "p", "machine": "m", "runs": 1,
        "checks": [{"target": "t.py", "implementation": "python", "same_result": False, "differences": ["x: 1 != 2"]}],
        "results": [
            dict(row, implementation="stdlib", speedup=1.0, same_result=None),
            {"target": "t.py", "kind": "path", "mode": "warm", "implementation": "cython", "available": False, "note": "not available"},
            dict(row, implementation="python", speedup=1.0, same_result=False),
        ],
    }
    text = _bench.format_table(report, ("u", "-", "x"))
    assert "DIFFERENT from stdlib" in text
    assert "! t.py (python): x: 1 != 2" in text
    assert "not available" in text
    assert "median us" in text and "1.00x" in text
