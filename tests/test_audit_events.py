"""Audit events (PEP 578): every run raises what stdlib runpy's run raises, hit or miss.

Each case runs in a fresh interpreter: the same calls, several times over,
first under stdlib runpy and then under the implementation, with an audit
hook recording every event (arguments made comparable: code objects by
name and file, bytes by length and hash).  Cached runs skip the reads and
compile() a run would do, so they must raise those events themselves.
"""

import json
import os
import subprocess
import sys
import textwrap
import time

import pytest

DRIVER = r'''
import hashlib, json, os, sys
target = __import__(sys.argv[1])
calls = json.loads(sys.argv[2])
through_handles = sys.argv[3] == "handles"
# What preparing a handle does first, stdlib does by one unrecorded run.
run_once_first = sys.argv[3] == "calls after one"
sys.path.insert(0, os.getcwd())

def comparable(value):
    if isinstance(value, (bytes, bytearray, memoryview)):
        data = bytes(value)
        return ["bytes", len(data), hashlib.sha1(data).hexdigest()]
    if hasattr(value, "co_filename"):
        return ["code", value.co_name, value.co_filename]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return type(value).__name__

recorded = []
recording = [False]

def hook(event, args):
    if recording[0]:
        recorded.append([event, [comparable(arg) for arg in args]])

sys.addaudithook(hook)
# runpy imports pkgutil on its first run_path; which modules that import
# brings in depends on what was loaded before (tests/test_import_footprint.py
# compares those sets), so it happens before recording here.
import pkgutil  # noqa: F401
handles = {}
runs = []
for kind, target_name, alter_sys in calls:
    key = (kind, target_name, alter_sys)
    if kind == "bytes path":
        kind, target_name = "path", os.fsencode(target_name)
    if run_once_first and key not in handles:
        handles[key] = None
        if kind == "path":
            target.run_path(target_name)
        else:
            target.run_module(target_name, alter_sys=alter_sys)
    if through_handles and key not in handles:
        # Prepared before recording starts: each run must raise what a call raises.
        if kind == "path":
            handles[key] = target.prepare_path(target_name)
        else:
            handles[key] = target.prepare_module(target_name, alter_sys=alter_sys)
    del recorded[:]
    recording[0] = True
    if through_handles:
        handles[key].run()
    elif kind == "path":
        target.run_path(target_name)
    else:
        target.run_module(target_name, alter_sys=alter_sys)
    recording[0] = False
    runs.append(list(recorded))
if through_handles:  # served from what was prepared (white box: no public counter)
    hits = sum(handle._state is not None for handle in handles.values()) * len(runs)
else:
    info = target.cache_info() if hasattr(target, "cache_info") else None
    hits = info.hits if info else None
print(json.dumps({"runs": runs, "hits": hits}))
'''

FILES = {
    "script.py": "x = 1\n",
    "app/__main__.py": "y = 2\n",
    "top.py": "z = 3\n",
    "pkg/__init__.py": "",
    "pkg/__main__.py": "w = 4\n",
    "pkg/sub/__init__.py": "",
    "pkg/sub/leaf.py": "v = 5\n",
}

CASES = {
    "script relative": ("path", "script.py", False),
    "script absolute": ("path", "{root}/script.py", False),
    "script as bytes": ("bytes path", "{root}/script.py", False),
    "compiled script": ("path", "compiled.pyc", False),
    "directory": ("path", "app", False),
    "module": ("module", "top", False),
    "package, alter_sys": ("module", "pkg", True),
    "nested module": ("module", "pkg.sub.leaf", False),
}


def _tree(root):
    for name, text in FILES.items():
        path = os.path.join(root, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as stream:
            stream.write(text)
    import py_compile

    py_compile.compile(os.path.join(root, "script.py"), cfile=os.path.join(root, "compiled.pyc"), doraise=True)
    # Entries are only trusted once their files are older than a timestamp tick.
    time.sleep(0.2)


def _events(impl, module, root, calls, write_bytecode, through="calls"):
    env = dict(impl.env)
    if write_bytecode:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
    else:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    done = subprocess.run(
        [sys.executable, "-c", DRIVER, module, json.dumps(calls), through],
        cwd=root, env=env, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.mark.parametrize("through", ["calls", "handles"])
@pytest.mark.parametrize("write_bytecode", [True, False], ids=["bytecode on disk", "no bytecode"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_every_run_raises_stdlib_events(impl, tmp_path, case, write_bytecode, through):
    root = str(tmp_path)
    _tree(root)
    kind, name, alter_sys = CASES[case]
    calls = [[kind, name.format(root=root), alter_sys]] * 5
    # A first pass lets the import system settle (bytecode written, directories
    # listed), so stdlib and the implementation start from the same files.
    _events(impl, "runpy", root, calls, write_bytecode)
    time.sleep(0.2)
    expected = _events(impl, "runpy", root, calls, write_bytecode, "calls after one" if through == "handles" else "calls")
    observed = _events(impl, "fastrunpy", root, calls, write_bytecode, through)
    assert observed["runs"] == expected["runs"]
    assert all(run for run in expected["runs"])
    # Runs 3 to 5 are cache hits (every handle run, for handles that hold
    # their target): the comparison covers replayed events.
    if through == "handles" and case == "directory":
        return  # a directory's handle resolves __main__ through the cache on each run
    assert observed["hits"] >= 3


def test_exec_event_carries_the_code_that_runs(impl, tmp_path):
    root = str(tmp_path)
    _tree(root)
    calls = [["path", "script.py", False]] * 3
    observed = _events(impl, "fastrunpy", root, calls, write_bytecode=False)
    for run in observed["runs"]:
        assert run[-1] == ["exec", [["code", "<module>", "script.py"]]]
