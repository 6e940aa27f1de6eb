"""End to end: programs run by the interpreter and through ``python -m fastrunpy`` must not differ.

Each case starts two fresh interpreters with the implementation's
environment (``impl.env``): ``python ARGS`` and ``python -m fastrunpy ARGS``,
and compares stdout, stderr and the exit status, byte for byte except for
object addresses (and timings, for ``timeit``).
"""

from __future__ import annotations

import os
import py_compile
import re
import shutil
import signal
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import pytest

PY311 = sys.version_info >= (3, 11)
ADDRESS = re.compile(r"0x[0-9a-fA-F]+")

# Prints everything the interpreter sets up for a program: argv, sys.path[0],
# the __main__ namespace (names in order, dunders, loader, spec) and what the
# start-up left in sys.path_importer_cache under the test's directory.
PROBE = '''\
import os, sys
names = list(globals())
root = os.environ["PROBE_ROOT"]
print("argv", sys.argv)
print("path0", sys.path[0] if sys.path else None)
print("names", names)
for name in ("__name__", "__file__", "__cached__", "__package__", "__doc__", "__spec__"):
    print(name, repr(globals().get(name, "<absent>")))
loader = globals().get("__loader__")
print("loader", getattr(loader, "__name__", type(loader).__name__), getattr(loader, "name", None), getattr(loader, "path", None))
print("builtins", type(__builtins__).__name__)
print("annotations", globals().get("__annotations__", "<absent>"))
print("main module", sys.modules["__main__"], sys.modules["__main__"].__dict__ is globals())
print("importer cache", sorted((k, type(v).__name__) for k, v in sys.path_importer_cache.items() if str(k).startswith(root)))
print("exc_info", sys.exc_info())
'''


def _normalise(text: str) -> str:
    return ADDRESS.sub("0xADDR", text)


def _run(
    impl, args: Sequence[str], cwd: Path, *, through: bool, stdin: Optional[str] = None, flags: Sequence[str] = ()
) -> Tuple[int, str, str]:
    env = dict(impl.env)
    env["PROBE_ROOT"] = str(cwd)
    command = [sys.executable, *flags] + (["-m", "fastrunpy"] if through else []) + list(args)
    done = subprocess.run(command, cwd=str(cwd), env=env, input=stdin, capture_output=True, text=True, timeout=120)
    return done.returncode, _normalise(done.stdout), _normalise(done.stderr)


def both(impl, args: Sequence[str], cwd: Path, **kwargs) -> Tuple[Tuple[int, str, str], Tuple[int, str, str]]:
    """(plain interpreter, through fastrunpy) results for the same command line."""
    return _run(impl, args, cwd, through=False, **kwargs), _run(impl, args, cwd, through=True, **kwargs)


def assert_same(impl, args: Sequence[str], cwd: Path, **kwargs) -> Tuple[int, str, str]:
    plain, ours = both(impl, args, cwd, **kwargs)
    assert ours == plain
    return plain


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    return path


@pytest.fixture
def tree(tmp_path: Path, impl) -> Path:
    """Scripts, packages, a directory and a zip file to run, under one directory."""
    _write(tmp_path / "sub" / "probe.py", PROBE)
    _write(tmp_path / "pkg" / "__init__.py", "")
    _write(tmp_path / "pkg" / "probe.py", PROBE)
    _write(tmp_path / "pkg" / "__main__.py", PROBE)
    _write(tmp_path / "app" / "__main__.py", PROBE)
    with zipfile.ZipFile(tmp_path / "app.zip", "w") as archive:
        archive.writestr("__main__.py", PROBE)
    _write(tmp_path / "empty" / "README", "no __main__ here\n")
    return tmp_path


# --- the command itself ---------------------------------------------------------------


def test_version_names_the_selected_implementation(impl, tmp_path: Path) -> None:
    status, out, err = _run(impl, ["--version"], tmp_path, through=True)
    assert (status, err) == (0, "")
    assert out.startswith("fastrunpy ")
    assert f"({impl.name} implementation)" in out


def test_help_lists_the_forms(impl, tmp_path: Path) -> None:
    status, out, err = _run(impl, ["--help"], tmp_path, through=True)
    assert (status, err) == (0, "")
    assert out.startswith("usage: fastrunpy")
    for form in ("-m MOD", "PATH", "bench", "--version"):
        assert form in out


@pytest.mark.parametrize(
    "args, message",
    [([], "a target is required: -m MOD, PATH, - or bench"), (["-x"], "unknown option -x"), (["-m"], "argument expected for the -m option")],
)
def test_usage_errors_exit_2_with_one_reason(impl, tmp_path: Path, args: List[str], message: str) -> None:
    status, out, err = _run(impl, args, tmp_path, through=True)
    assert status == 2
    assert out == ""
    assert err.splitlines()[0] == f"fastrunpy: {message}"


def test_target_arguments_are_never_taken_as_options(impl, tree: Path) -> None:
    status, out, _ = assert_same(impl, ["sub/probe.py", "--help", "-m", "x", "--version", "--"], tree)
    assert status == 0
    assert "argv ['sub/probe.py', '--help', '-m', 'x', '--version', '--']" in out


# --- scripts ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["sub/probe.py"],
        ["sub/probe.py", "one", "two words"],
        ["./sub/../sub/probe.py", "x"],
        ["app", "dir-arg"],
        ["./app/"],
        ["app.zip", "zip-arg"],
        ["-m", "pkg.probe", "mod-arg"],
        ["-mpkg.probe"],
        ["-m", "pkg", "package-arg"],
    ],
    ids=lambda args: " ".join(args),
)
def test_program_sees_what_the_interpreter_gives_it(impl, tree: Path, args: List[str]) -> None:
    status, out, err = assert_same(impl, args, tree)
    assert (status, err) == (0, "")
    assert "argv [" in out


def test_absolute_path_and_other_working_directory(impl, tree: Path) -> None:
    elsewhere = tree / "elsewhere"
    elsewhere.mkdir()
    assert_same(impl, [str(tree / "sub" / "probe.py"), "a"], elsewhere)
    assert_same(impl, ["../app.zip"], elsewhere)


def test_script_reached_through_a_symlink(impl, tree: Path) -> None:
    (tree / "link.py").symlink_to(tree / "sub" / "probe.py")
    (tree / "linkdir").symlink_to(tree / "sub")
    status, out, _ = assert_same(impl, ["link.py"], tree)
    assert f"path0 {tree / 'sub'}" in out  # the interpreter resolves the link
    assert_same(impl, ["linkdir/probe.py"], tree)


def test_compiled_script(impl, tree: Path) -> None:
    compiled = tree / "probe.pyc"
    py_compile.compile(str(tree / "sub" / "probe.py"), cfile=str(compiled), doraise=True)
    status, out, _ = assert_same(impl, ["probe.pyc", "arg"], tree)
    assert "loader SourcelessFileLoader" in out
    # Bytecode is recognised by its magic number whatever the file is called.
    shutil.copy(compiled, tree / "renamed.bin")
    assert_same(impl, ["renamed.bin"], tree)


def test_bad_bytecode(impl, tree: Path) -> None:
    (tree / "bad.pyc").write_bytes(b"\0\0\0\0" + b"\0" * 20)
    status, _, err = assert_same(impl, ["bad.pyc"], tree)
    assert status == 1
    assert err.strip().endswith("RuntimeError: Bad magic number in .pyc file")


def test_program_from_stdin(impl, tree: Path) -> None:
    program = "import sys\nprint(sys.argv, repr(sys.path[0]), __file__, __loader__)\n"
    status, out, _ = assert_same(impl, ["-", "arg"], tree, stdin=program)
    assert out.startswith("['-', 'arg'] ''")


def test_script_named_like_the_subcommand_after_double_dash(impl, tree: Path) -> None:
    _write(tree / "bench", "import sys\nprint('bench file', sys.argv)\n")
    plain = _run(impl, ["bench", "x"], tree, through=False)
    ours = _run(impl, ["--", "bench", "x"], tree, through=True)
    assert ours == plain == (0, "bench file ['bench', 'x']\n", "")


@pytest.mark.skipif(not PY311, reason="-P arrived in Python 3.11")
def test_safe_path_adds_no_script_directory(impl, tree: Path) -> None:
    _, out, _ = assert_same(impl, ["sub/probe.py"], tree, flags=["-P"])
    assert f"path0 {tree / 'sub'}" not in out
    _, out, _ = assert_same(impl, ["app"], tree, flags=["-P"])
    assert f"path0 {tree / 'app'}" in out  # directories are inserted regardless
    assert_same(impl, ["-m", "pkg.probe"], tree, flags=["-P"])


def test_isolated_mode(impl, tree: Path) -> None:
    # -I ignores PYTHONPATH, so fastrunpy must be importable from site-packages.
    probe = subprocess.run([sys.executable, "-I", "-c", "import fastrunpy"], capture_output=True)
    if probe.returncode:
        pytest.skip("fastrunpy is not installed, only on PYTHONPATH")
    assert_same(impl, ["sub/probe.py"], tree, flags=["-I"])
    assert_same(impl, ["app"], tree, flags=["-I"])


# --- exits and failures ------------------------------------------------------------------


@pytest.mark.parametrize(
    "source, status",
    [
        ("import sys\nsys.exit(3)\n", 3),
        ("import sys\nprint('out')\nsys.exit('a message')\n", 1),
        ("raise SystemExit(None)\n", 0),
        ("import os\nos._exit(7)\n", 7),
        ("def f():\n    raise ValueError('boom')\nprint('before')\nf()\n", 1),
        ("try:\n    1/0\nexcept ZeroDivisionError as e:\n    raise KeyError('x') from e\n", 1),
        ("try:\n    1/0\nexcept ZeroDivisionError:\n    [][1]\n", 1),
        ("import sys\nsys.excepthook = lambda *a: print('hook', a[0].__name__, sys.exc_info())\nraise OSError(2, 'x')\n", 1),
        ("import sys\ndef hook(*a):\n    raise RuntimeError('hook broke')\nsys.excepthook = hook\nraise ValueError(1)\n", 1),
        ("import sys\ndef hook(*a):\n    raise SystemExit(9)\nsys.excepthook = hook\nraise ValueError(1)\n", 9),
        ("import sys\ndel sys.excepthook\nraise ValueError('no hook')\n", 1),
    ],
    ids=[
        "exit-3", "exit-message", "exit-none", "os-exit", "raise", "raise-from", "raise-during",
        "custom-hook", "failing-hook", "hook-exits", "no-hook",
    ],
)
def test_exit_status_and_report(impl, tmp_path: Path, source: str, status: int) -> None:
    _write(tmp_path / "prog.py", source)
    got_status, _, _ = assert_same(impl, ["prog.py"], tmp_path)
    assert got_status == status


def test_uncaught_error_report_has_no_fastrunpy_frames(impl, tmp_path: Path) -> None:
    _write(tmp_path / "prog.py", "def f():\n    raise ValueError('boom')\nf()\n")
    _, _, err = assert_same(impl, ["prog.py"], tmp_path)
    assert err.startswith("Traceback (most recent call last):\n")
    assert "fastrunpy" not in err
    assert err.endswith("ValueError: boom\n")


def test_keyboard_interrupt_ends_by_sigint_after_exit_handlers(impl, tmp_path: Path) -> None:
    _write(tmp_path / "prog.py", "import atexit\natexit.register(print, 'exit handler')\nraise KeyboardInterrupt\n")
    status, out, err = assert_same(impl, ["prog.py"], tmp_path)
    assert status == -signal.SIGINT
    assert out == "exit handler\n"
    assert err.endswith("KeyboardInterrupt\n")


# Since 3.13.15, 3.14.7 and 3.15.0b4 the interpreter removes a script's
# __file__ before it reports how the script ended, SystemExit included.
CLEANS_UP_FIRST = (
    sys.version_info >= (3, 13, 15) if sys.version_info[:2] == (3, 13)
    else sys.version_info >= (3, 14, 7) if sys.version_info[:2] == (3, 14)
    else sys.version_info >= (3, 15, 0, "beta", 4)
)


def test_main_file_for_exit_handlers_and_excepthook(impl, tmp_path: Path) -> None:
    show = "lambda *a: print(sys.modules['__main__'].__dict__.get('__file__', 'gone'))"
    handler = f"import atexit, sys\natexit.register({show})\n"
    _write(tmp_path / "ends.py", handler)
    _write(tmp_path / "exits.py", handler + "sys.exit(0)\n")
    _write(tmp_path / "fails.py", handler + "1/0\n")
    _write(tmp_path / "hooked.py", f"import sys\nsys.excepthook = {show}\n1/0\n")
    exits = "gone\n" if CLEANS_UP_FIRST else f"{tmp_path / 'exits.py'}\n"
    hooked = "gone\n" if CLEANS_UP_FIRST else f"{tmp_path / 'hooked.py'}\n"
    assert assert_same(impl, ["ends.py"], tmp_path)[1] == "gone\n"
    assert assert_same(impl, ["exits.py"], tmp_path)[1] == exits
    assert assert_same(impl, ["fails.py"], tmp_path)[1] == "gone\n"
    assert assert_same(impl, ["hooked.py"], tmp_path)[1] == hooked


@pytest.mark.parametrize(
    "source",
    [
        "x = (\n",
        "x = (",
        "if x:\n",
        "class A:\n",
        "s = '''abc\n",
        "x = [1,\n2,\n",
        "def f(:\n    pass\n",
        "x = 1 +\n",
        "for x in y:\n    pass\n  z\n",
        "x = (\n\n\n# comment\n",
        "\ufeffx = (\n",
        "return 5\n",
        "def f():\n    nonlocal q\n",
        "print 'hello'\n",
        "x = 1\n\0\n",
    ],
    ids=[
        "unclosed", "unclosed-no-newline", "no-block-if", "no-block-class", "open-string", "open-list",
        "invalid", "dangling-op", "dedent", "open-comment", "bom", "return-outside", "nonlocal", "print-statement",
        "nul-byte",
    ],
)
def test_syntax_errors_reported_identically(impl, tmp_path: Path, source: str) -> None:
    (tmp_path / "broken.py").write_bytes(source.encode("utf-8"))
    assert_same(impl, ["broken.py"], tmp_path)


def test_missing_script(impl, tmp_path: Path) -> None:
    status, _, err = assert_same(impl, ["missing.py"], tmp_path)
    assert status == 2
    assert f"can't open file '{tmp_path / 'missing.py'}': [Errno 2] No such file or directory" in err


def test_directory_without_main(impl, tree: Path) -> None:
    status, _, err = assert_same(impl, ["empty"], tree)
    assert status == 1
    assert "can't find '__main__' module in" in err


@pytest.mark.parametrize(
    "args",
    [["-m", "no_such_module_here"], ["-m", "pkg.nothing"], ["-m", "pkg.probe.py"], ["-m", ".relative"]],
    ids=lambda args: args[1],
)
def test_module_lookup_errors(impl, tree: Path, args: List[str]) -> None:
    status, _, _ = assert_same(impl, args, tree)
    assert status == 1


def test_parent_package_runs_before_argv_is_set(impl, tmp_path: Path) -> None:
    # While -m looks the module up, argv[0] is '-m' and __main__ has no __file__.
    _write(
        tmp_path / "p" / "__init__.py",
        "import sys\nprint('init', sys.argv, sorted(vars(sys.modules['__main__'])), __name__)\n",
    )
    _write(tmp_path / "p" / "m.py", "import sys\nprint('module', sys.argv[1:])\n")
    status, out, _ = assert_same(impl, ["-m", "p.m", "x"], tmp_path)
    assert status == 0
    assert out.startswith("init ['-m', 'x']")


def test_package_without_main(impl, tmp_path: Path) -> None:
    _write(tmp_path / "bare" / "__init__.py", "")
    status, _, err = assert_same(impl, ["-m", "bare"], tmp_path)
    assert status == 1
    assert "'bare' is a package and cannot be directly executed" in err


def test_module_error_traceback(impl, tmp_path: Path) -> None:
    _write(tmp_path / "m.py", "def f():\n    raise ValueError('in module')\nf()\n")
    status, _, err = assert_same(impl, ["-m", "m"], tmp_path)
    assert status == 1
    assert "fastrunpy" not in err


def test_directory_main_error_traceback(impl, tmp_path: Path) -> None:
    _write(tmp_path / "d" / "__main__.py", "raise LookupError('in dir')\n")
    assert_same(impl, ["d"], tmp_path)


@pytest.mark.parametrize(
    "files",
    [
        {"p/__init__.py": "raise RuntimeError('parent fails')\n", "p/m.py": ""},
        {"p/__init__.py": "", "p/m.py": "x = (\n"},
    ],
    ids=["parent-package-raises", "module-syntax-error"],
)
def test_errors_while_finding_the_module(impl, tmp_path: Path, files: Dict[str, str]) -> None:
    # runpy's own frames at the top of the report name the lookup functions
    # stdlib runpy was in; fastrunpy shows runpy's frames that started it.
    # Everything from the program's first frame on is identical.
    for name, text in files.items():
        _write(tmp_path / name, text)
    plain, ours = both(impl, ["-m", "p.m"], tmp_path)
    assert ours[0] == plain[0] == 1
    assert ours[1] == plain[1]
    assert _after_runpy(ours[2]) == _after_runpy(plain[2])
    assert "fastrunpy" not in ours[2]


def _after_runpy(report: str) -> List[str]:
    lines = report.splitlines()
    kept: List[str] = []
    skip_source = False
    for line in lines:
        if line.startswith("  File ") and "runpy" in line:
            skip_source = True
            continue
        if skip_source and line.startswith("    "):
            continue
        skip_source = False
        kept.append(line)
    return kept


# --- stdlib modules with a command line ------------------------------------------------------


@pytest.fixture
def data_files(tmp_path: Path) -> Path:
    (tmp_path / "data.json").write_text('{"b": [1, 2, {"c": null}], "a": "text"}')
    _write(tmp_path / "code.py", "def f(x):\n    return x + 1  # comment\n")
    with zipfile.ZipFile(tmp_path / "files.zip", "w") as archive:
        archive.writestr("one.txt", "1")
        archive.writestr("two/three.txt", "3")
    return tmp_path


@pytest.mark.parametrize(
    "args",
    [
        ["-m", "json.tool", "data.json"],
        ["-m", "json.tool", "--sort-keys", "data.json"],
        ["-m", "calendar", "2026"],
        ["-m", "zipfile", "-l", "files.zip"],
        ["-m", "http.server", "--help"],
        ["-m", "venv", "--help"],
        ["-m", "tokenize", "code.py"],
        ["-m", "json.tool", "missing.json"],
        ["-m", "platform", "--terse"],
    ],
    ids=lambda args: " ".join(args[1:]),
)
def test_stdlib_module_command_lines(impl, data_files: Path, args: List[str]) -> None:
    assert_same(impl, args, data_files)


def test_timeit_command_line(impl, tmp_path: Path) -> None:
    plain, ours = both(impl, ["-m", "timeit", "-n", "1", "pass"], tmp_path)
    timing = re.compile(r"[\d.]+ (nsec|usec|msec|sec)")
    assert ours[0] == plain[0] == 0
    assert timing.sub("T", ours[1]) == timing.sub("T", plain[1]) == "1 loop, best of 5: T per loop\n"
    # timeit warns when its slowest round was over four times its fastest.
    # That depends on each process's own timing noise, so one side may warn
    # and the other not; where both warn, the warning must read the same
    # (its location shows the frames under the program).  3.15 prints a
    # blank line before it.
    noisy = re.compile(
        r"\n?:0: UserWarning: The test results are likely unreliable\. "
        r"The worst time \(T\) was more than four times slower than the best time \(T\)\.\n"
    )
    ours_err, plain_err = timing.sub("T", ours[2]), timing.sub("T", plain[2])
    if bool(noisy.fullmatch(ours_err)) != bool(noisy.fullmatch(plain_err)):
        ours_err, plain_err = noisy.sub("", ours_err), noisy.sub("", plain_err)
    assert ours_err == plain_err


# --- the console script ---------------------------------------------------------------------


def _console_script() -> Optional[str]:
    folder = os.path.dirname(sys.executable)
    for name in ("fastrunpy", "fastrunpy.exe"):
        candidate = os.path.join(folder, name)
        if os.path.isfile(candidate):
            return candidate
    return None


@pytest.mark.skipif(_console_script() is None, reason="the fastrunpy console script is not installed here")
@pytest.mark.parametrize(
    "args",
    [["sub/probe.py", "a"], ["app", "b"], ["app.zip"], ["-m", "pkg.probe", "c"], ["missing.py"], ["empty"]],
    ids=lambda args: " ".join(args),
)
def test_console_script(impl, tree: Path, args: List[str]) -> None:
    script = _console_script()
    assert script is not None
    env = dict(impl.env, PROBE_ROOT=str(tree))
    plain = _run(impl, args, tree, through=False)
    done = subprocess.run([script, *args], cwd=str(tree), env=env, capture_output=True, text=True, timeout=120)
    ours = (done.returncode, _normalise(done.stdout), _normalise(done.stderr))
    # The interpreter names itself in its error lines; the console script's
    # interpreter is the one its first line names, which may be another path
    # to the same executable.
    assert ours[:2] == plain[:2]
    assert ours[2].split(": ", 1)[-1] == plain[2].split(": ", 1)[-1]


# --- python -i: the interactive prompt after the program ------------------------------------

# Typed at the prompt that follows the program: what it left for a post-mortem.
AFTER_PROGRAM = """\
import sys
print("last", repr(getattr(sys, "last_value", None)), repr(getattr(sys, "last_exc", None)))
print("hook", sys.excepthook is sys.__excepthook__)
import pdb; pdb.pm() if hasattr(sys, "last_traceback") else None
p secret
q
"""


@pytest.mark.parametrize(
    "source",
    [
        "def f():\n    secret = 42\n    1/0\nf()\n",
        "def f():\n    secret = 'exit'\n    raise SystemExit(3)\nf()\n",
        "secret = 'fine'\nprint('done')\n",
    ],
    ids=["raises", "exits", "ends"],
)
@pytest.mark.parametrize("target", ["script", "module"])
@pytest.mark.parametrize("launcher", ["python -m fastrunpy", "console script"])
def test_interactive_prompt_after_the_program(impl, tmp_path: Path, source: str, target: str, launcher: str) -> None:
    _write(tmp_path / "prog.py", source)
    args = ["prog.py"] if target == "script" else ["-m", "prog"]
    plain = _run(impl, args, tmp_path, through=False, stdin=AFTER_PROGRAM, flags=["-i"])
    if launcher == "python -m fastrunpy":
        ours = _run(impl, args, tmp_path, through=True, stdin=AFTER_PROGRAM, flags=["-i"])
    else:
        script = _console_script()
        if script is None:
            pytest.skip("the fastrunpy console script is not installed here")
        ours = _run(impl, [script, *args], tmp_path, through=False, stdin=AFTER_PROGRAM, flags=["-i"])
    if target == "module" and launcher == "console script":
        # The console script has no runpy frames of its own to stand in for
        # those `python -m` shows above the module (a known difference).
        plain = (plain[0], plain[1], _without_runpy_entries(plain[2]))
    assert ours == plain
    assert "SystemExit: 1" not in ours[2]
    if "secret =" in source and "1/0" in source:
        assert "(Pdb) 42" in ours[1] + ours[2]


def _without_runpy_entries(report: str) -> str:
    """A traceback report less runpy's entries (frozen, or with their source lines before 3.11)."""
    kept, skipping = [], False
    for line in report.splitlines(keepends=True):
        if line.startswith("  File "):
            skipping = line.startswith('  File "<frozen runpy>"') or re.match(r'  File ".*[/\\]runpy\.py"', line) is not None
        elif not line.startswith("    "):
            skipping = False
        if not skipping:
            kept.append(line)
    return "".join(kept)


# --- no frame of fastrunpy's under the program ----------------------------------------------

STACK_PROBE = """\
import inspect, sys
stack = inspect.stack()
print("depth", len(stack))
print("own", [f.filename for f in stack if f.filename.startswith(PACKAGE) and not f.filename.endswith("__main__.py")])
def down(n):
    try:
        return down(n + 1)
    except RecursionError:
        return n
print("headroom", down(0))
"""


@pytest.mark.parametrize("target", ["script", "module", "directory"])
def test_no_fastrunpy_frames_under_the_program(impl, tmp_path: Path, target: str) -> None:
    import fastrunpy

    probe = f"PACKAGE = {os.path.dirname(fastrunpy.__file__) + os.sep!r}\n" + STACK_PROBE
    _write(tmp_path / "prog.py", probe)
    _write(tmp_path / "app" / "__main__.py", probe)
    args = {"script": ["prog.py"], "module": ["-m", "prog"], "directory": ["app"]}[target]
    plain = _run(impl, args, tmp_path, through=False)
    ours = _run(impl, args, tmp_path, through=True)
    assert plain[0] == ours[0] == 0, (plain, ours)
    seen = {name: dict(line.split(" ", 1) for line in result[1].splitlines()) for name, result in (("plain", plain), ("ours", ours))}
    assert seen["ours"]["own"] == "[]"
    # Only the frame of fastrunpy/__main__.py, and the two runpy frames any
    # `python -m` has, may stand under the program (a script has neither).
    extra = 3 if target == "script" else 1
    assert int(seen["ours"]["depth"]) - int(seen["plain"]["depth"]) == extra
    # Before 3.12 each exec() call counts against the recursion limit as well:
    # one per extra frame that runs the next through exec (runpy's _run_code
    # for a script, where `python script.py` has none, and __main__.py).
    exec_calls = (2 if target == "script" else 1) if sys.version_info < (3, 12) else 0
    assert int(seen["plain"]["headroom"]) - int(seen["ours"]["headroom"]) == extra + exec_calls
