"""fastrunpy as the interpreter's runpy: install(), uninstall() and the site hook.

Each case runs in a fresh interpreter with the implementation's environment
(``impl.env``), since installing changes ``sys.modules`` for the whole
process.  The site-hook cases build a venv whose only way to fastrunpy is a
path ``.pth`` file, then write the hook with ``fastrunpy install-site``.
The last case runs the CPython regression tests of runpy's callers (from
the running interpreter's own ``test`` package) in that venv with and
without the hook, and requires the same results.
"""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import textwrap
import xml.etree.ElementTree as ElementTree
from pathlib import Path
from typing import Dict, List, Optional, Set, Tuple

import pytest

import fastrunpy

HOOK = "fastrunpy-install.pth"


def _child(impl, code: str, *flags: str, cwd: Optional[Path] = None, env: Optional[Dict[str, str]] = None) -> str:
    done = subprocess.run(
        [sys.executable, *flags, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        env=env or impl.env,
        cwd=str(cwd) if cwd else None,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    return done.stdout


def test_install_and_uninstall_round_trip(impl) -> None:
    out = _child(
        impl,
        """
        import sys
        assert "runpy" not in sys.modules
        import fastrunpy
        print(fastrunpy.is_installed())
        fastrunpy.install()
        fastrunpy.install()  # idempotent
        import runpy
        print(runpy.run_module is fastrunpy.run_module, fastrunpy.is_installed(), runpy.IMPLEMENTATION)
        from runpy import run_path, _run_module_as_main, _get_module_details
        print(run_path is fastrunpy.run_path, _run_module_as_main is fastrunpy._run_module_as_main)
        # the standard module is still what run_module("runpy") and find_spec find
        import importlib.util
        print(runpy.__name__, importlib.util.find_spec("runpy").name, runpy.run_module("runpy")["__name__"])
        fastrunpy.uninstall()
        print("runpy" in sys.modules, fastrunpy.is_installed())
        import runpy as again
        print(again.run_path is fastrunpy.run_path, again.run_path.__module__)
        fastrunpy.uninstall()  # not installed: nothing happens
        print(sys.modules["runpy"] is again)
        """,
    )
    assert out.splitlines() == [
        "False",
        f"True True {impl.name}",
        "True True",
        "runpy runpy runpy",
        "False False",
        "False runpy",
        "True",
    ]


def test_uninstall_puts_back_the_module_other_code_holds(impl) -> None:
    out = _child(
        impl,
        """
        import os, sys, tempfile
        import runpy as standard
        from runpy import run_path as standard_run_path
        import fastrunpy
        fastrunpy.install()
        import runpy
        print(runpy is not standard, runpy.run_path is fastrunpy.run_path)
        with tempfile.TemporaryDirectory() as tmp:
            script = os.path.join(tmp, "s.py")
            with open(script, "w") as stream:
                stream.write("x = 41 + 1\\n")
            # code that imported the standard runpy earlier keeps working
            print(standard.run_path(script)["x"], standard_run_path(script)["x"], runpy.run_path(script)["x"])
        from fastrunpy import _install
        print(_install.standard_runpy() is standard)
        fastrunpy.uninstall()
        print(sys.modules["runpy"] is standard, _install.standard_runpy() is standard)
        """,
    )
    assert out.splitlines() == ["True True", "42 42 42", "True", "True True"]


def test_standard_runpy_when_installed_first(impl) -> None:
    out = _child(
        impl,
        """
        import sys, fastrunpy
        from fastrunpy import _install
        fastrunpy.install()
        standard = _install.standard_runpy()
        print(standard.run_path is fastrunpy.run_path, standard.__name__, fastrunpy.is_installed())
        print(sorted(set(standard.__all__) ^ set(fastrunpy.__all__)), standard.run_path.__module__)
        """,
    )
    assert out.splitlines() == ["False runpy True", "[] runpy"]


def test_install_from_many_threads(impl) -> None:
    out = _child(
        impl,
        """
        import sys, threading
        import runpy as standard
        import fastrunpy
        barrier = threading.Barrier(8)
        def churn(i):
            barrier.wait()
            for n in range(2000):
                if (n + i) % 2:
                    fastrunpy.install()
                else:
                    fastrunpy.uninstall()
                held = sys.modules["runpy"]
                assert held is standard or held.run_path is fastrunpy.run_path, held
        threads = [threading.Thread(target=churn, args=(i,)) for i in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        fastrunpy.install()
        fastrunpy.uninstall()
        print(sys.modules["runpy"] is standard)
        """,
    )
    assert out == "True\n"


def test_python_m_through_the_installed_runpy(impl, tmp_path: Path) -> None:
    """With runpy replaced before -m runs (as the site hook does), -m runs through fastrunpy."""
    (tmp_path / "sitecustomize.py").write_text("import fastrunpy\nfastrunpy.install()\n")
    (tmp_path / "target.py").write_text(
        "import sys, fastrunpy\nprint(__name__, __spec__.name, sys.argv, fastrunpy.is_installed())\n"
    )
    env = dict(impl.env)
    env["PYTHONPATH"] = os.pathsep.join([str(tmp_path), env.get("PYTHONPATH", "")])
    out = _child(impl, "", cwd=tmp_path, env=env)  # the sitecustomize itself must be quiet
    assert out == ""
    done = subprocess.run(
        [sys.executable, "-m", "target", "a"], cwd=str(tmp_path), env=env, capture_output=True, text=True, timeout=60
    )
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout == "__main__ target ['" + str(tmp_path / "target.py") + "', 'a'] True\n"


# --- the site hook, in a venv ------------------------------------------------------------


def _venv_python(venv: Path) -> Path:
    return venv / ("Scripts" if os.name == "nt" else "bin") / ("python.exe" if os.name == "nt" else "python")


@pytest.fixture(scope="module")
def hook_venv(tmp_path_factory: pytest.TempPathFactory) -> Tuple[Path, Path]:
    """(python, site-packages) of a venv that finds this fastrunpy through a path .pth."""
    venv = tmp_path_factory.mktemp("hook") / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=300)
    python = _venv_python(venv)
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    package_parent = os.path.dirname(os.path.dirname(os.path.realpath(fastrunpy.__file__)))
    # Sorts before the hook: site reads .pth files in name order.
    (Path(site) / "_fastrunpy_path.pth").write_text(package_parent + "\n")
    return python, Path(site)


def _venv_env(impl) -> Dict[str, str]:
    env = dict(impl.env)
    for name in ("PYTHONPATH", "FASTRUNPY_NO_INSTALL", "PYTHONHOME"):
        env.pop(name, None)
    return env


def _venv_run(impl, python: Path, args: List[str], cwd: Path, **extra: str) -> subprocess.CompletedProcess:
    env = _venv_env(impl)
    env.update(extra)
    return subprocess.run(
        [str(python), *args], cwd=str(cwd), env=env, capture_output=True, text=True, timeout=120
    )


@pytest.fixture
def hooked(impl, hook_venv: Tuple[Path, Path]):
    python, site = hook_venv
    done = _venv_run(impl, python, ["-m", "fastrunpy", "install-site"], site)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == f"installed: {site / HOOK}"
    yield python, site
    done = _venv_run(impl, python, ["-m", "fastrunpy", "uninstall-site"], site)
    assert (done.returncode, done.stdout) == (0, f"removed: {site / HOOK}\n"), done.stderr


REPORT = "import sys, fastrunpy\nprint(__name__, fastrunpy.is_installed(), fastrunpy.IMPLEMENTATION, sys.argv[1:])\n"


def test_site_hook_installs_at_startup(impl, hooked, tmp_path: Path) -> None:
    python, _ = hooked
    (tmp_path / "report.py").write_text(REPORT)
    done = _venv_run(impl, python, ["-m", "report", "x"], tmp_path)
    assert (done.returncode, done.stderr, done.stdout) == (0, "", f"__main__ True {impl.name} ['x']\n")
    # -I still reads site-packages, as for every .pth file; -S reads none.
    done = _venv_run(impl, python, ["-I", "-c", "import fastrunpy; print(fastrunpy.is_installed())"], tmp_path)
    assert (done.stdout, done.stderr) == ("True\n", "")
    done = _venv_run(impl, python, ["-S", "-c", "import sys; print('runpy' in sys.modules)"], tmp_path)
    assert (done.stdout, done.stderr) == ("False\n", "")
    done = _venv_run(impl, python, ["-m", "report"], tmp_path, FASTRUNPY_NO_INSTALL="1")
    assert (done.returncode, done.stderr, done.stdout) == (0, "", f"__main__ False {impl.name} []\n")


def test_site_hook_failure_matches_stdlib(impl, hooked, tmp_path: Path) -> None:
    python, _ = hooked
    (tmp_path / "broken.py").write_text("raise ValueError('from the module')\n")
    for args in (["-m", "broken"], ["-m", "no_such_module_here"], ["-m", "broken.sub"]):
        ours = _venv_run(impl, python, args, tmp_path)
        theirs = _venv_run(impl, python, args, tmp_path, FASTRUNPY_NO_INSTALL="1")
        assert ours.returncode == theirs.returncode
        assert ours.stdout == theirs.stdout
        # The runpy frames of a traceback are fastrunpy's; the rest is the same.
        assert _without_runpy_frames(ours.stderr) == _without_runpy_frames(theirs.stderr)


def _without_runpy_frames(text: str) -> List[str]:
    """Traceback lines, less runpy's frames (each a File line and its source lines)."""
    kept: List[str] = []
    skipping = False
    for line in text.splitlines():
        if line.startswith('  File "'):
            skipping = "runpy" in line or "fastrunpy" in line
        elif not line.startswith("    "):
            skipping = False
        if not skipping:
            kept.append(line)
    return kept


def test_site_hook_left_behind_is_silent(impl, hook_venv: Tuple[Path, Path], tmp_path: Path) -> None:
    """A hook whose fastrunpy was uninstalled must not print at every start-up."""
    python, site = hook_venv
    lonely = tmp_path / "site"
    lonely.mkdir()
    from fastrunpy import _install

    _install.install_site(str(lonely))
    code = f"import site, sys; site.addsitedir({str(lonely)!r}); print('runpy' in sys.modules)"
    done = _venv_run(impl, python, ["-S", "-c", code], tmp_path)
    assert (done.returncode, done.stdout, done.stderr) == (0, "False\n", "")
    assert _install.uninstall_site(str(lonely)) == str(lonely / HOOK)
    assert _install.uninstall_site(str(lonely)) is None


def test_site_commands_usage(impl, hook_venv: Tuple[Path, Path], tmp_path: Path) -> None:
    python, site = hook_venv
    done = _venv_run(impl, python, ["-m", "fastrunpy", "install-site", "extra"], tmp_path)
    assert done.returncode == 2 and "install-site takes no arguments" in done.stderr
    assert not (site / HOOK).exists()
    done = _venv_run(impl, python, ["-m", "fastrunpy", "uninstall-site"], tmp_path)
    assert (done.returncode, done.stdout) == (0, "not installed here: nothing to remove\n")


# --- CPython's regression tests of runpy's callers -----------------------------------------

CALLER_TESTS = [
    "test_runpy",
    "test_cmd_line_script",
    "test_cmd_line",
    "test_pdb",
    "test_cprofile",
    "test_profile",
    "test_trace",
    "test_zipimport_support",
    "test_pkgutil",
    "test_multiprocessing_main_handling",
    "test_unittest",
    "test_doctest",
    "test_compileall",
]


def _has_test_package() -> bool:
    return os.path.isfile(os.path.join(sysconfig.get_paths()["stdlib"], "test", "test_runpy.py"))


def _regression_results(impl, python: Path, work: Path, **extra: str) -> Dict[str, Set[str]]:
    """Test ids per outcome ("run", "failed", "skipped") of one regrtest run."""
    work.mkdir()
    report = work / "junit.xml"
    done = _venv_run(
        impl,
        python,
        ["-m", "test", "-j2", "--timeout", "600", "--tempdir", str(work / "tmp"), "--junit-xml", str(report), *CALLER_TESTS],
        work,
        **extra,
    )
    assert report.exists(), done.stdout[-3000:] + done.stderr[-3000:]
    results: Dict[str, Set[str]] = {"run": set(), "failed": set(), "skipped": set()}
    for case in ElementTree.parse(report).iter("testcase"):
        name = f"{case.get('classname')}.{case.get('name')}"
        results["run"].add(name)
        if case.find("failure") is not None or case.find("error") is not None:
            results["failed"].add(name)
        elif case.find("skipped") is not None:
            results["skipped"].add(name)
    return results


_baseline: List[Dict[str, Set[str]]] = []  # without the hook: the same for both implementations


@pytest.mark.skipif(not _has_test_package(), reason="this interpreter ships without its test package")
def test_callers_regression_tests_unchanged(impl, hooked, tmp_path: Path) -> None:
    python, _ = hooked
    with_hook = _regression_results(impl, python, tmp_path / "with")
    if not _baseline:
        _baseline.append(_regression_results(impl, python, tmp_path / "without", FASTRUNPY_NO_INSTALL="1"))
    without = _baseline[0]
    assert len(with_hook["run"]) > 500
    assert with_hook == without
