"""No file next to the program is imported by fastrunpy's own machinery.

``python script.py`` puts the script's directory first on sys.path, so a
``ctypes.py`` or ``warnings.py`` there shadows the standard module for the
program itself.  The command line must not import such a file on its own
account, before, during or after the program.  The list of names is not
written by hand: it is every standard module the launch has loaded by the
end of each scenario, so a new import anywhere in fastrunpy is covered.
"""

import json
import os
import subprocess
import sys
import sysconfig

import pytest

STDLIB = os.path.realpath(sysconfig.get_paths()["stdlib"])

REPORT = (
    "import atexit, json, sys\n"
    "atexit.register(lambda: print('MODULES', json.dumps(sorted(sys.modules)), file=sys.stderr))\n"
)

SCENARIOS = {
    "ends": REPORT + "x = 1\n",
    "raises": REPORT + "def f():\n    raise ValueError('boom')\nf()\n",
    "exits": REPORT + "raise SystemExit(3)\n",
    "interrupted": REPORT + "raise KeyboardInterrupt\n",
    "syntax error": "x = (\n",
}


def _run(impl, cwd, args):
    done = subprocess.run(
        [sys.executable, *args], cwd=cwd, env=impl.env, capture_output=True, text=True, timeout=120
    )
    return done.returncode, done.stdout, done.stderr


def _standard_top_names(impl, tmp_path):
    """Top-level names of the standard modules loaded by the end of any scenario."""
    names = set()
    for name, source in SCENARIOS.items():
        if "MODULES" not in source and "atexit" not in source:
            continue
        script = tmp_path / "probe" / "prog.py"
        script.parent.mkdir(exist_ok=True)
        script.write_text(source)
        _, _, err = _run(impl, str(tmp_path), ["-m", "fastrunpy", str(script)])
        line = next(l for l in err.splitlines() if l.startswith("MODULES "))
        names.update(m.partition(".")[0] for m in json.loads(line[len("MODULES "):]))
    found = set()
    for name in names:
        module = sys.modules.get(name)
        if module is None:
            try:
                module = __import__(name)
            except ImportError:
                continue
        origin = getattr(module, "__file__", None)
        if origin and os.path.realpath(origin).startswith(STDLIB + os.sep) and "site-packages" not in origin:
            found.add(name)
    return sorted(found)


@pytest.fixture(scope="module")
def shadowed(impl, tmp_path_factory):
    names = _standard_top_names(impl, tmp_path_factory.mktemp("names"))
    # The native syntax-error path and the exit by SIGINT import these on demand.
    return sorted(set(names) | {"ctypes", "signal", "struct", "traceback", "linecache", "warnings"})


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_no_file_next_to_the_program_is_imported(impl, tmp_path, shadowed, scenario):
    program = tmp_path / "app"
    program.mkdir()
    (program / "prog.py").write_text(SCENARIOS[scenario].replace("MODULES", "DONE").replace(
        "json.dumps(sorted(sys.modules))", "''"))
    for name in shadowed:
        (program / (name + ".py")).write_text(f"import sys\nprint('SHADOWED {name}', file=sys.stderr)\n")
    plain = _run(impl, str(tmp_path), [str(program / "prog.py")])
    ours = _run(impl, str(tmp_path), ["-m", "fastrunpy", str(program / "prog.py")])
    assert ours == plain
    assert len(shadowed) > 5
