"""Prepared handles: prepare_path() / prepare_module() and their run().

Whether each run does what run_path / run_module would do at that moment is
checked by the differential suite, which replays every scenario through
handles (tests/differential/conftest.py), and by the audit-event tests.
Here: preparing raises what the call would raise and runs nothing, runs
from many threads while the file changes, and caching turned off.
"""

from __future__ import annotations

import os
import runpy
import sys
import threading
import time
import warnings
from pathlib import Path
from typing import Any, Callable, List, Tuple

import pytest


def _error_facts(call: Callable[[], Any]) -> Tuple[str, str, Any, str]:
    with pytest.raises(BaseException) as caught:
        call()
    exc = caught.value
    return type(exc).__name__, str(exc), getattr(exc, "name", None), type(exc.__cause__).__name__


def _sys_state() -> Tuple[Any, ...]:
    return (list(sys.argv), set(sys.modules), list(sys.path), list(sys.meta_path))


@pytest.fixture
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    files = {
        "good.py": "print('ran good')\nvalue = 1\n",
        "syntax.py": "def broken(:\n",
        "nomain/readme.txt": "",
        "withmain/__main__.py": "print('ran withmain')\n",
        "prep_pkg/__init__.py": "",
        "prep_pkg/mod.py": "print('ran mod')\n",
        "prep_nomain/__init__.py": "",
        "prep_ns/inner.py": "",
        "prep_badparent/__init__.py": "raise RuntimeError('parent failed')\n",
        "prep_badparent/mod.py": "",
    }
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    monkeypatch.syspath_prepend(str(tmp_path))
    yield tmp_path
    for name in [n for n in sys.modules if n.startswith("prep_")]:
        del sys.modules[name]


PATH_CASES = ["missing.py", "syntax.py", "nomain", "a-directory-that-does-not-exist/x.py"]
MODULE_CASES = ["prep_missing", ".relative", "prep_nomain", "prep_ns", "prep_badparent.mod", "prep_pkg.missing", "prep_pkg.mod.sub", ""]


@pytest.mark.parametrize("name", PATH_CASES)
def test_prepare_path_raises_what_run_path_raises(impl, tree: Path, name: str) -> None:
    target = str(tree / name)
    expected = _error_facts(lambda: runpy.run_path(target))
    before = _sys_state()
    assert _error_facts(lambda: impl.module.prepare_path(target)) == expected
    assert _sys_state() == before


@pytest.mark.parametrize("name", MODULE_CASES)
def test_prepare_module_raises_what_run_module_raises(impl, tree: Path, name: str) -> None:
    expected = _error_facts(lambda: runpy.run_module(name))
    for module in [n for n in sys.modules if n.startswith("prep_")]:
        del sys.modules[module]
    assert _error_facts(lambda: impl.module.prepare_module(name)) == expected


def test_prepare_path_rejects_run_name_as_run_path_does(impl, tree: Path) -> None:
    target = str(tree / "good.py")
    expected = _error_facts(lambda: runpy.run_path(target, run_name=3))  # type: ignore[arg-type]
    assert _error_facts(lambda: impl.module.prepare_path(target, run_name=3)) == expected


def test_preparing_runs_nothing_and_warns_nothing(impl, tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import prep_pkg.mod  # noqa: F401  (already imported: run_module warns about it)

    capsys.readouterr()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        handles = [
            impl.module.prepare_path(str(tree / "good.py")),
            impl.module.prepare_path(str(tree / "withmain")),
            impl.module.prepare_module("prep_pkg.mod"),
        ]
    assert caught == []
    assert capsys.readouterr().out == ""
    with pytest.warns(RuntimeWarning, match="found in sys.modules"):
        handles[2].run()
    assert handles[0].run()["value"] == 1
    handles[1].run()
    assert capsys.readouterr().out == "ran mod\nran good\nran withmain\n"


def test_handle_runs_leave_the_cache_counters_alone(impl, tree: Path) -> None:
    impl.module.cache_clear()
    handle = impl.module.prepare_path(str(tree / "good.py"))
    for _ in range(5):
        handle.run()
    assert impl.module.cache_info()[:2] == (0, 0)


def test_repr(impl, tree: Path) -> None:
    path_handle = impl.module.prepare_path(str(tree / "good.py"), run_name="__main__")
    module_handle = impl.module.prepare_module("prep_pkg.mod", alter_sys=True)
    assert repr(path_handle) == f"<fastrunpy prepared run_path({str(tree / 'good.py')!r}, run_name='__main__')>"
    assert repr(module_handle) == "<fastrunpy prepared run_module('prep_pkg.mod', run_name=None, alter_sys=True)>"


def test_caching_off_reads_the_file_every_run(impl, tree: Path) -> None:
    target = str(tree / "good.py")
    opened: List[str] = []
    handle = impl.module.prepare_path(target)
    impl.module.cache_configure(maxsize=0)
    try:
        original = impl.module._resolve.io.open_code

        def spy(path: str) -> Any:
            opened.append(path)
            return original(path)

        impl.module._resolve.io.open_code = spy
        try:
            for _ in range(3):
                handle.run()
        finally:
            impl.module._resolve.io.open_code = original
    finally:
        impl.module.cache_configure(maxsize=impl.module.DEFAULT_MAXSIZE)
    assert opened.count(target) >= 3


@pytest.mark.parametrize("kind", ["path", "module"])
def test_one_handle_many_threads_while_the_file_changes(impl, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str) -> None:
    """Every run sees a whole version of the file; once edits stop, every run sees the last."""
    source = tmp_path / "prep_threaded.py"
    source.write_text("value = 0\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    if kind == "path":
        handle = impl.module.prepare_path(str(source))
    else:
        handle = impl.module.prepare_module("prep_threaded")
    argv0, modules = sys.argv[0], set(sys.modules)
    seen: List[int] = []
    errors: List[BaseException] = []
    stop = threading.Event()

    def runner() -> None:
        try:
            while not stop.is_set():
                seen.append(handle.run()["value"])
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=runner) for _ in range(8)]
    for thread in threads:
        thread.start()
    for version in range(1, 21):
        replacement = tmp_path / "prep_threaded.tmp"
        replacement.write_text(f"value = {version}\n")
        os.replace(replacement, source)  # an atomic save, as editors do
        time.sleep(0.01)
    time.sleep(0.1)  # past the window in which stat() cannot vouch for a file
    stop.set()
    for thread in threads:
        thread.join()
    assert errors == []
    assert set(seen) <= set(range(21)) and len(seen) > 8
    assert [handle.run()["value"] for _ in range(3)] == [20, 20, 20]
    assert sys.argv[0] == argv0 and set(sys.modules) == modules
