"""spawn() / run_process(): each run, checked against a fresh ``python ARGS...``.

Every comparison runs the same command line twice: once through
``subprocess.run([sys.executable, *args])`` and once from a zygote (forked,
or with ``fresh_seed`` a new interpreter started ahead),
and compares what a caller can see (exit status, stdout, stderr) and what
the program can see of its process (a probe prints it).  The zygote is
started with ``impl.env``, so -m targets are found by the implementation
under test.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import fastrunpy
from fastrunpy import Zygote, _spawn, run_process

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the zygote forks on Linux and macOS")

PRELOAD = ("json", "argparse", "pathlib")

# What a program can see of how it was started.
PROBE = """\
import json, os, sys
main = sys.modules["__main__"]
spec = getattr(main, "__spec__", None)
data = sys.stdin.read() if "--stdin" in sys.argv else None
print(json.dumps({
    "argv": sys.argv,
    "orig_argv": getattr(sys, "orig_argv", None),
    "path": sys.path,
    "flags": list(sys.flags),
    "cwd": os.getcwd(),
    "marker": os.environ.get("SPAWN_MARKER"),
    "globals": sorted(k for k in vars(main) if not k.startswith("_") or k.startswith("__")),
    "file": globals().get("__file__"),
    "name": __name__,
    "spec": None if spec is None else [spec.name, spec.origin],
    "package": __package__,
    "stdin": data,
    "stdio": [[s.name, s.encoding, s.errors, s.line_buffering, s.mode] for s in (sys.stdin, sys.stdout, sys.stderr)],
    "executable": sys.executable,
}, sort_keys=True))
"""


@pytest.fixture(params=["forks", "fresh_seed"])
def zygote(impl, request):
    """A ready zygote, of each kind: one that forks its children, and one whose runs get new interpreters."""
    with Zygote(PRELOAD, fresh_seed=request.param == "fresh_seed") as owner:
        assert owner.warm_up(_env(impl))
        yield owner


def _fresh(args, cwd, env, input=None):
    return subprocess.run([sys.executable, *args], cwd=cwd, env=env, input=input, capture_output=True, timeout=60)


def _warm(zygote, args, cwd, env, input=None):
    return run_process(args, zygote=zygote, cwd=cwd, env=env, input=input, capture_output=True, timeout=60)


def _same(zygote, args, cwd, env, input=None, forked=True):
    before = dict(zygote.statistics)
    fresh = _fresh(args, cwd, env, input)
    warm = _warm(zygote, args, cwd, env, input)
    assert (warm.returncode, warm.stdout.decode(), warm.stderr.decode()) == (
        fresh.returncode,
        fresh.stdout.decode(),
        fresh.stderr.decode(),
    )
    if forked:
        assert zygote.statistics["forked"] == before["forked"] + 1, zygote.statistics
    return fresh


def _env(impl, **extra):
    env = dict(impl.env)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.update(extra)
    return env


@contextlib.contextmanager
def _caller_dispositions(handlers):
    """Give this process these signal handlers for a while: a program started meanwhile inherits them as exec passes them on.

    Tests that send SIGINT start their programs as from a terminal, with
    KeyboardInterrupt on: a test process started with nohup or in the
    background ignores SIGINT, and so, rightly, would its programs.
    """
    saved = {sig: signal.getsignal(sig) for sig in handlers}
    try:
        for sig, handler in handlers.items():
            signal.signal(sig, handler)
        yield
    finally:
        for sig, handler in saved.items():
            signal.signal(sig, handler)


AS_FROM_A_TERMINAL = {signal.SIGINT: signal.default_int_handler}


def test_script_sees_a_fresh_process(impl, zygote, tmp_path):
    (tmp_path / "probe.py").write_text(PROBE)
    env = _env(impl, SPAWN_MARKER="script")
    done = _same(zygote, ["probe.py", "a", "--stdin"], tmp_path, env, input=b"some input\n")
    seen = json.loads(done.stdout)
    assert seen["argv"] == ["probe.py", "a", "--stdin"] and seen["stdin"] == "some input\n"


def test_module_sees_a_fresh_process(impl, zygote, tmp_path):
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "probe.py").write_text(PROBE)
    (package / "__main__.py").write_text(PROBE)
    env = _env(impl, SPAWN_MARKER="module")
    _same(zygote, ["-m", "pkg.probe", "x"], tmp_path, env)
    _same(zygote, ["-m", "pkg"], tmp_path, env)
    _same(zygote, ["pkg"], tmp_path, env)  # a directory with __main__.py


def test_signals_the_caller_ignores_stay_ignored(impl, zygote, tmp_path):
    """A new interpreter keeps the signals its starter ignores (exec keeps SIG_IGN): so does a warm run.

    A task runner started with nohup, or in the background by a shell,
    ignores SIGINT; programs it starts then outlive a Ctrl-C meant for it.
    """
    env = _env(impl)
    (tmp_path / "dispositions.py").write_text(
        "import os, signal\n"
        "for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGUSR1, signal.SIGCHLD, signal.SIGPIPE):\n"
        "    handler = signal.getsignal(sig)\n"
        "    print(sig.name, {signal.SIG_IGN: 'ignored', signal.SIG_DFL: 'default'}.get(handler, handler))\n"
        "os.kill(os.getpid(), signal.SIGINT)\n"
        "print('outlived SIGINT')\n"
    )
    with _caller_dispositions(dict.fromkeys([signal.SIGINT, signal.SIGUSR1, signal.SIGCHLD], signal.SIG_IGN)):
        ignoring = _same(zygote, ["dispositions.py"], tmp_path, env)
    assert b"SIGINT ignored" in ignoring.stdout and b"outlived SIGINT" in ignoring.stdout
    # The same warm zygote, for a caller that ignores none of them.
    with _caller_dispositions({**AS_FROM_A_TERMINAL, signal.SIGUSR1: signal.SIG_DFL, signal.SIGCHLD: signal.SIG_DFL}):
        default = _same(zygote, ["dispositions.py"], tmp_path, env)
    assert b"SIGUSR1 default" in default.stdout and b"outlived" not in default.stdout


def test_signals_the_caller_blocks_stay_blocked(impl, zygote, tmp_path):
    """A new interpreter starts with its starter thread's signal mask (exec keeps it): so does a warm run."""
    env = _env(impl)
    (tmp_path / "mask.py").write_text(
        "import signal\nprint(sorted(int(sig) for sig in signal.pthread_sigmask(signal.SIG_BLOCK, [])))\n"
    )
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGUSR2, signal.SIGWINCH])
    try:
        blocked = _same(zygote, ["mask.py"], tmp_path, env)
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)
    assert str(sorted([int(signal.SIGUSR2), int(signal.SIGWINCH)])) in blocked.stdout.decode()
    assert _same(zygote, ["mask.py"], tmp_path, env).stdout == b"[]\n"


def test_exits_and_failures(impl, zygote, tmp_path):
    env = _env(impl)
    programs = {
        "code.py": "import sys\nprint('partial', end='')\nsys.exit(3)\n",
        "message.py": "import sys\nsys.exit('bad things')\n",
        "raises.py": "def f():\n    raise ValueError('boom')\nprint('before')\nf()\n",
        "atexit_.py": "import atexit\natexit.register(print, 'at exit')\nprint('body')\n",
        "sigterm.py": "import os, signal\nprint('dying', flush=True)\nos.kill(os.getpid(), signal.SIGTERM)\n",
        "interrupt.py": "import os, signal\nos.kill(os.getpid(), signal.SIGINT)\nimport time\ntime.sleep(5)\n",
        "syntax.py": "x = (\n",
        "unflushed.py": "import sys\nsys.stdout.write('no newline')\nsys.stderr.write('err no newline')\n",
        # What the interpreter's teardown does for the program's own objects.
        "teardown.py": (
            "import json\n"
            "class Noisy:\n"
            "    def __del__(self):\n"
            "        print('del', self.name, json.dumps(1))\n"
            "plain = Noisy(); plain.name = 'plain'\n"
            "cycle = Noisy(); cycle.name = 'cycle'; cycle.me = cycle\n"
            "log = open('unclosed.txt', 'w'); log.write('written, never closed')\n"
        ),
        "disabled_gc.py": "import gc\ngc.disable()\nclass C:\n    def __del__(self): print('del')\nc = C(); c.c = c\n",
    }
    for name, source in programs.items():
        (tmp_path / name).write_text(source)
        with _caller_dispositions(AS_FROM_A_TERMINAL):
            fresh = _fresh([name], tmp_path, env)
            fresh_file = (tmp_path / "unclosed.txt").read_text() if name == "teardown.py" else None
            warm = _warm(zygote, [name], tmp_path, env)
        assert (warm.returncode, warm.stdout.decode(), warm.stderr.decode()) == (
            fresh.returncode,
            fresh.stdout.decode(),
            fresh.stderr.decode(),
        ), name
        if fresh_file is not None:
            assert (tmp_path / "unclosed.txt").read_text() == fresh_file == "written, never closed"
    _same(zygote, ["missing.py"], tmp_path, env)
    _same(zygote, ["-m", "no_such_module_here"], tmp_path, env)


def test_inherited_stdio(impl, zygote, tmp_path):
    """Without PIPE the program writes to the caller's own descriptors."""
    (tmp_path / "hello.py").write_text("import sys\nprint('to stdout')\nprint('to stderr', file=sys.stderr)\n")
    fresh, warm = tmp_path / "fresh.txt", tmp_path / "warm.txt"
    with open(fresh, "wb") as sink:
        subprocess.run([sys.executable, "hello.py"], cwd=tmp_path, env=_env(impl), stdout=sink, stderr=subprocess.STDOUT)
    with open(warm, "wb") as sink:
        process = zygote.spawn(["hello.py"], cwd=tmp_path, env=_env(impl), stdout=sink, stderr=subprocess.STDOUT)
        assert process.wait(timeout=60) == 0
    # Buffered or not (PYTHONUNBUFFERED), the two orders agree.
    assert warm.read_text() == fresh.read_text()
    assert sorted(warm.read_text().splitlines()) == ["to stderr", "to stdout"]


def test_fresh_interpreter_where_a_fork_would_differ(impl, zygote, tmp_path):
    (tmp_path / "probe.py").write_text(PROBE)
    env = _env(impl)
    _same(zygote, ["probe.py"], tmp_path, env)  # the zygote serves this start-up environment
    # Interpreter options.
    _same(zygote, ["-c", "import sys; print(sys.argv)"], tmp_path, env, forked=False)
    _same(zygote, ["-B", "probe.py"], tmp_path, env, forked=False)
    assert zygote.statistics["fresh_interpreter"] == 2
    # A start-up variable the zygote was not started with.
    _same(zygote, ["probe.py"], tmp_path, _env(impl, PYTHONHASHSEED="123"), forked=False)
    assert zygote.statistics["fresh_interpreter"] == 3
    # A program directory with its own module named like a preloaded one.
    shadowing = tmp_path / "shadow"
    shadowing.mkdir()
    (shadowing / "json.py").write_text("dumps = lambda value, **kw: 'own json'\n")
    (shadowing / "probe.py").write_text(PROBE)
    done = _same(zygote, ["probe.py"], shadowing, env, forked=False)
    assert done.stdout == b"own json\n"
    # Also a module that only the zygote's own start-up loaded (which one
    # depends on the version and the environment); a fresh interpreter has not.
    (shadowing / "json.py").unlink()
    loaded = sorted(set(zygote._state["modules"]) - set(PRELOAD) - {"fastrunpy"})
    name = next(name for name in loaded if name.isidentifier() and not name.startswith("_"))
    (shadowing / f"{name}.py").write_text(f"print('own {name}')\n")
    (shadowing / "uses_it.py").write_text(f"import {name}\n")
    done = _same(zygote, ["uses_it.py"], shadowing, env, forked=False)
    assert done.stdout == f"own {name}\n".encode()
    assert zygote.statistics["fresh_interpreter"] == 5


def test_failed_preload_means_fresh_interpreters(impl, tmp_path):
    (tmp_path / "hi.py").write_text("print('hi')\n")
    with Zygote(["no_such_module_to_preload"]) as zygote:
        for _ in range(2):
            assert _warm(zygote, ["hi.py"], tmp_path, _env(impl)).stdout == b"hi\n"
        assert not zygote.warm_up(_env(impl))
        assert _warm(zygote, ["hi.py"], tmp_path, _env(impl)).stdout == b"hi\n"
        assert zygote.statistics == {"forked": 0, "fresh_interpreter": 3, "zygotes_started": 1}


@pytest.mark.parametrize("fresh_seed", [False, True])
def test_changed_preloaded_module_means_a_new_zygote(impl, tmp_path, fresh_seed):
    library = tmp_path / "lib"
    library.mkdir()
    (library / "preloaded_value.py").write_text("VALUE = 1\n")
    (tmp_path / "show.py").write_text("import preloaded_value\nprint(preloaded_value.VALUE)\n")
    env = _env(impl, PYTHONPATH=str(library))
    watch_state = _spawn._implementation()._watch_state  # the caller's core: it validates the zygote's files
    with Zygote(["preloaded_value"], fresh_seed=fresh_seed) as zygote:
        assert zygote.warm_up(env)
        kernel_hits = watch_state()[1]
        forked = 0
        for _ in range(3):
            assert _warm(zygote, ["show.py"], tmp_path, env).stdout == b"1\n"
            forked += 1
        if watch_state()[0]:  # the compiled core, on filesystems it trusts: later checks are the kernel's
            # Other processes creating files under a watched ancestor (another
            # test session's temporary directories under /tmp) can rightly cost
            # the trust a few times; trusted again, a check is the kernel's.
            while watch_state()[1] == kernel_hits and forked < 12:
                assert _warm(zygote, ["show.py"], tmp_path, env).stdout == b"1\n"
                forked += 1
            assert watch_state()[1] > kernel_hits
        assert zygote.statistics == {"forked": forked, "fresh_interpreter": 0, "zygotes_started": 1}
        (library / "preloaded_value.py").write_text("VALUE = 22\n")
        # A real interpreter runs it while the new zygote starts.
        assert _warm(zygote, ["show.py"], tmp_path, env).stdout == b"22\n"
        assert zygote.statistics == {"forked": forked, "fresh_interpreter": 1, "zygotes_started": 2}
        assert zygote.warm_up(env)
        assert _warm(zygote, ["show.py"], tmp_path, env).stdout == b"22\n"
        (library / "new_module.py").write_text("")  # a directory on sys.path changed
        assert _warm(zygote, ["show.py"], tmp_path, env).stdout == b"22\n"
        assert zygote.statistics == {"forked": forked + 1, "fresh_interpreter": 2, "zygotes_started": 3}


@pytest.mark.parametrize("fresh_seed", [False, True], ids=["forks", "fresh_seed"])
def test_environment_is_the_callers_whole(impl, tmp_path, fresh_seed):
    """os.environ as a fresh interpreter has it: the zygote's own, another, and one a preload changed.

    A forked run asked for the zygote's own environment gets none sent with
    the request; the zygote's state says what its children hold.
    """
    library = tmp_path / "lib"
    library.mkdir()
    (library / "changes_env.py").write_text("import os\nos.environ['SET_BY_PRELOAD'] = '1'\ndel os.environ['DROPPED_BY_PRELOAD']\n")
    (library / "plain_preload.py").write_text("")
    (tmp_path / "env.py").write_text("import json, os\nprint(json.dumps(dict(os.environ), sort_keys=True))\n")
    env = _env(impl, PYTHONPATH=str(library), DROPPED_BY_PRELOAD="kept")
    other = dict(env, SPAWN_MARKER="other")
    for preload in (["plain_preload"], ["changes_env"]):
        with Zygote(preload, fresh_seed=fresh_seed) as zygote:
            assert zygote.warm_up(env)
            for _ in range(2):
                for asked in (env, other, env):
                    done = _same(zygote, ["env.py"], tmp_path, asked)
                    assert json.loads(done.stdout) == asked
            assert zygote.statistics["fresh_interpreter"] == 0


def test_script_runs_again_as_edited_and_warned(impl, zygote, tmp_path):
    """Later runs of a script the zygote compiled ahead: the same output as a fresh interpreter's, edits and warnings included."""
    env = _env(impl)
    script = tmp_path / "tool.py"
    script.write_text("print('one')\n")
    for _ in range(3):
        _same(zygote, ["tool.py"], tmp_path, env)
    script.write_text("print('two')\n")  # the same size: only the bytes tell
    assert _same(zygote, ["tool.py"], tmp_path, env).stdout == b"two\n"
    (tmp_path / "warns.py").write_text("print(1 is 1)\n")  # the compiler warns: "is" with a literal
    for _ in range(3):
        done = _same(zygote, ["warns.py"], tmp_path, env)
        assert b"SyntaxWarning" in done.stderr and done.stdout == b"True\n"


def test_precompiled_code_only_for_its_own_bytes(tmp_path):
    from fastrunpy import _cli, _zygote

    script = tmp_path / "tool.py"
    script.write_text("x = 1\n")
    key = str(script)
    message = {"args": [key, "arg"], "cwd": "/"}
    saved = dict(_cli._PRECOMPILED)
    try:
        _cli._PRECOMPILED.clear()
        _zygote._precompile(message, _cli)
        code = _cli._PRECOMPILED[key][2]
        assert code.co_filename == key
        assert _cli._source_code(b"x = 1\n", key, {}) is code
        assert _cli._source_code(b"x = 2\n", key, {}) is not code  # other bytes: compiled as usual
        _zygote._precompile({"args": ["tool.py"], "cwd": str(tmp_path)}, _cli)  # relative: joined as the child joins it
        assert key in _cli._PRECOMPILED
        for source in ("x = (\n", "print('\\d')\n"):  # fails to compile; warns
            script.write_text(source)
            os.utime(script, ns=(1, 1))
            _zygote._precompile(message, _cli)
            assert key not in _cli._PRECOMPILED, source
        _zygote._precompile({"args": ["-m", "tool"], "cwd": str(tmp_path)}, _cli)
        assert not _cli._PRECOMPILED
    finally:
        _cli._PRECOMPILED.clear()
        _cli._PRECOMPILED.update(saved)


def test_killed_zygote_is_replaced(impl, zygote, tmp_path):
    (tmp_path / "hi.py").write_text("print('hi')\n")
    (tmp_path / "sleeper.py").write_text("import time\ntime.sleep(60)\n")
    env = _env(impl)
    assert _warm(zygote, ["hi.py"], tmp_path, env).stdout == b"hi\n"
    running = zygote.spawn(["sleeper.py"], cwd=tmp_path, env=env)
    os.kill(zygote._state["pid"], signal.SIGKILL)
    zygote._process.wait()
    # The program dies with its zygote (nothing could reap it otherwise).
    assert running.wait(timeout=60) == -signal.SIGKILL
    deadline = time.monotonic() + 30
    while _alive(running.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(running.pid)
    assert _warm(zygote, ["hi.py"], tmp_path, env).stdout == b"hi\n"
    assert zygote.statistics["zygotes_started"] == 2


def test_poll_wait_and_signals(impl, zygote, tmp_path):
    (tmp_path / "sleeper.py").write_text("import time\nprint('up', flush=True)\ntime.sleep(60)\n")
    with _caller_dispositions(AS_FROM_A_TERMINAL):
        process = zygote.spawn(["sleeper.py"], cwd=tmp_path, env=_env(impl), stdout=subprocess.PIPE)
    assert process.stdout.readline() == b"up\n"
    assert process.poll() is None
    with pytest.raises(subprocess.TimeoutExpired):
        process.wait(timeout=0.05)
    process.send_signal(signal.SIGINT)  # KeyboardInterrupt, as in a fresh interpreter
    assert process.wait(timeout=60) == -signal.SIGINT
    process.stdout.close()
    killed = zygote.spawn(["sleeper.py"], cwd=tmp_path, env=_env(impl), stdout=subprocess.DEVNULL)
    killed.kill()
    assert killed.wait(timeout=60) == -signal.SIGKILL


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        status = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except (FileNotFoundError, ProcessLookupError):  # reaped between the two looks, or while reading
        return False
    return status != "Z"


@pytest.mark.parametrize("fresh_seed", [False, True])
def test_programs_die_with_their_runner(impl, tmp_path, fresh_seed):
    """A runner killed mid-run leaves neither its zygote nor the running program behind."""
    (tmp_path / "sleeper.py").write_text("import time\ntime.sleep(60)\n")
    runner = textwrap.dedent(
        """\
        import sys, fastrunpy
        zygote = fastrunpy.Zygote(fresh_seed=sys.argv[1] == "True")
        zygote.warm_up()
        process = zygote.spawn(["sleeper.py"])
        print(process.pid, zygote._state["pid"], flush=True)
        import time
        time.sleep(60)
        """
    )
    started = subprocess.Popen([sys.executable, "-c", runner, str(fresh_seed)], cwd=tmp_path, env=_env(impl), stdout=subprocess.PIPE)
    program, zygote = map(int, started.stdout.readline().split())
    assert _alive(program) and _alive(zygote)
    started.kill()
    started.wait()
    started.stdout.close()
    deadline = time.monotonic() + 30
    while (_alive(program) or _alive(zygote)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(program) and not _alive(zygote)


def test_spawn_without_a_zygote_uses_the_default(impl, tmp_path):
    (tmp_path / "hi.py").write_text("print('hi')\n")
    env = _env(impl)
    done = fastrunpy.run_process(["hi.py"], cwd=tmp_path, env=env, capture_output=True, check=True)
    assert done.stdout == b"hi\n"
    process = fastrunpy.spawn(["hi.py"], cwd=tmp_path, env=env, stdout=subprocess.DEVNULL)
    assert process.wait(timeout=60) == 0
    with pytest.raises(subprocess.CalledProcessError):
        fastrunpy.run_process(["-c", "raise SystemExit(4)"], env=env, check=True)


# A child from a zygote ends, once nothing of its exit is left to see, at
# the interpreter's own audit event for that point (the compiled
# _zygote_exit hook).  Each case: the status it must end with, and what the
# hook must be armed with when the program's last object is torn down
# (None: the interpreter's own exit finishes the process).
EXIT_CASES = {
    "normal.py": ("print('out')\n", 0),
    "code.py": ("import sys\nsys.exit(3)\n", 3),
    "wide.py": ("import sys\nsys.exit(256 + 7)\n", 7),
    "negative.py": ("import sys\nsys.exit(-1)\n", 255),
    "huge.py": ("import sys\nsys.exit(2 ** 40 + 9)\n", None),
    "text.py": ("import sys\nsys.exit('a message')\n", 1),
    "true.py": ("import sys\nsys.exit(True)\n", 1),
    "failure.py": ("raise ValueError('boom')\n", 1),
    # The program's own audit hook must see the rest of the exit.
    "hooked.py": (
        "import os, sys\n"
        "def hook(event, args, write=os.write):\n"
        "    if event.startswith('cpython.'):\n"
        "        write(2, (event + '\\n').encode())\n"
        "sys.addaudithook(hook)\n",
        None,
    ),
    # A stream of the program's own: the interpreter flushes it, once.
    "own_stream.py": (
        "import os, sys\n"
        "class Counting:\n"
        "    def write(self, text):\n"
        "        return len(text)\n"
        "    def flush(self):\n"
        "        os.write(2, b'flushed\\n')\n"
        "sys.stdout = Counting()\n",
        None,
    ),
    # A thread still running could write after the flush.
    "daemon.py": ("import threading, time\nthreading.Thread(target=time.sleep, args=(30,), daemon=True).start()\n", None),
}

ARMED_PROBE = (
    "import os as _os\n"
    "try:\n"
    "    import fastrunpy._zygote_exit as _zygote_exit_probe\n"
    "except ImportError:  # a pure-Python install\n"
    "    _zygote_exit_probe = None\n"
    "class _ArmedProbe:\n"
    "    def __del__(self, module=_zygote_exit_probe, write=_os.write):\n"
    "        armed = module.armed() if module is not None else None\n"
    "        write(2, ('armed %r\\n' % (armed,)).encode())\n"
    "_armed_probe = _ArmedProbe()\n"
)


def test_exit_statuses_and_the_exit_hook(impl, zygote, tmp_path):
    env = _env(impl)
    for name, (source, armed) in EXIT_CASES.items():
        (tmp_path / name).write_text(source)
        _same(zygote, [name], tmp_path, env)
        (tmp_path / name).write_text(ARMED_PROBE + source)
        warm = _warm(zygote, [name], tmp_path, env)
        seen = [line for line in warm.stderr.decode().splitlines() if line.startswith("armed ")]
        expected = armed if impl.name == "cython" else None
        if expected is None:
            # (Where the program's own audit hook keeps its namespace alive,
            # the probe is torn down only after the hook's last event.)
            assert seen in ([], ["armed None"]), (name, warm.stderr)
        else:
            assert seen == [f"armed {expected!r}"], (name, warm.stderr)


def test_failed_flush_at_exit(impl, tmp_path):
    """Output that cannot be written at exit: the interpreter reports it and ends with 120."""
    (tmp_path / "full.py").write_text("print('x' * 100)\n")
    env = _env(impl)
    env.pop("PYTHONUNBUFFERED", None)  # buffered, so the write fails at exit
    with Zygote(PRELOAD) as zygote, open("/dev/full", "wb") as full:
        assert zygote.warm_up(env)
        fresh = subprocess.run([sys.executable, "full.py"], cwd=tmp_path, env=env, stdout=full, stderr=subprocess.PIPE)
        warm = run_process(["full.py"], zygote=zygote, cwd=tmp_path, env=env, stdout=full, stderr=subprocess.PIPE)
        assert zygote.statistics["forked"] == 1
    assert (warm.returncode, warm.stderr) == (fresh.returncode, fresh.stderr)
    assert fresh.returncode == 120


def test_first_run_goes_to_a_real_interpreter_while_the_zygote_starts(impl, tmp_path):
    (tmp_path / "probe.py").write_text(PROBE)
    env = _env(impl)
    with Zygote(PRELOAD) as zygote:
        first = _same(zygote, ["probe.py"], tmp_path, env, forked=False)
        assert zygote.statistics == {"forked": 0, "fresh_interpreter": 1, "zygotes_started": 1}
        assert zygote.warm_up(env)
        assert _same(zygote, ["probe.py"], tmp_path, env).stdout == first.stdout
        assert zygote.statistics == {"forked": 1, "fresh_interpreter": 1, "zygotes_started": 1}
    # Closed while still starting: stopped at once.
    with Zygote(PRELOAD) as zygote:
        _warm(zygote, ["probe.py"], tmp_path, env)
        starting = zygote._process
    assert starting.returncode is not None


SEED = "import os, sys\nprint(hash('fastrunpy'), os.environ.get('PYTHONHASHSEED'))\n"


def test_fresh_seed_gives_each_run_a_seed_of_its_own(impl, tmp_path):
    (tmp_path / "seed.py").write_text(SEED)
    env = _env(impl)
    env.pop("PYTHONHASHSEED", None)
    with Zygote(PRELOAD) as shared, Zygote(PRELOAD, fresh_seed=True, pool_size=1) as own:
        assert shared.warm_up(env) and own.warm_up(env)
        shared_seeds = {_warm(shared, ["seed.py"], tmp_path, env).stdout for _ in range(3)}
        own_seeds = {_warm(own, ["seed.py"], tmp_path, env).stdout for _ in range(4)}
        assert len(shared_seeds) == 1  # forked children share their zygote's (documented)
        assert len(own_seeds) == 4
        assert own.statistics == {"forked": 4, "fresh_interpreter": 0, "zygotes_started": 1}
    # Where the caller's environment names a seed, every run has it, as a fresh interpreter would.
    env["PYTHONHASHSEED"] = "4321"
    with Zygote(PRELOAD, fresh_seed=True) as own:
        assert own.warm_up(env)
        first = _same(own, ["seed.py"], tmp_path, env)
        assert _same(own, ["seed.py"], tmp_path, env).stdout == first.stdout
        assert first.stdout.endswith(b" 4321\n")


def test_fresh_seed_interpreter_that_cannot_start(impl, tmp_path):
    """A new interpreter that fails to start: the request it was waiting for runs elsewhere, in full."""
    library = tmp_path / "lib"
    library.mkdir()
    # Imports in the zygote, not in the interpreters it starts for runs.
    (library / "zygote_only.py").write_text("import sys\nif sys.argv[2:3] == ['one']:\n    raise ImportError('no')\n")
    (tmp_path / "hi.py").write_text("print('hi')\n")
    env = _env(impl, PYTHONPATH=str(library))
    with Zygote(["zygote_only"], fresh_seed=True) as zygote:
        assert zygote.warm_up(env)
        for _ in range(3):
            assert _warm(zygote, ["hi.py"], tmp_path, env).stdout == b"hi\n"
        assert zygote.statistics["forked"] == 0 and zygote.statistics["fresh_interpreter"] == 3


PAGES_PROBE = """\
import os, sys
from fastrunpy import _zygote
take_pages = _zygote._page_taker()
if take_pages is None:
    print("none")
    sys.exit()
data = bytearray(b"shared" * 100000)  # written before the fork: shared with the child
stop_read, stop_write = os.pipe()
pid = os.fork()
if pid == 0:
    copied, stopped = take_pages(stop_read)
    again = take_pages(stop_read)  # nothing left shared
    data[:6] = b"child!"  # the child's copy only
    os.write(stop_write, b"x")
    late = take_pages(stop_read)  # the request has come: stops at once
    print(copied > 100, stopped, again, late[1], data[:12] == b"child!shared", flush=True)
    os._exit(0)
os.waitpid(pid, 0)
print("parent", data == bytearray(b"shared" * 100000))
"""


LISTED_PAGES_PROBE = """\
import ctypes, mmap, os, sys
from fastrunpy import _zygote
take_pages = _zygote._page_taker()
if take_pages is None:
    print("none")
    sys.exit()
note_pages = _zygote._page_noter()
page = mmap.PAGESIZE
data = bytearray(b"s" * (page * 400))  # written before the forks: shared with each child
base = ctypes.addressof((ctypes.c_char * len(data)).from_buffer(data))
data_pages = range(base // page, (base + len(data) - 1) // page + 1)
written = {(base + offset) // page for offset in range(0, len(data), page * 20)}
stop_read, stop_write = os.pipe()


def own(page_number):
    # The kernel's word on one page of this process: present and mapped here alone.
    with open("/proc/self/pagemap", "rb") as pagemap:
        pagemap.seek(page_number * 8)
        entry = int.from_bytes(pagemap.read(8), "little")
    return bool(entry >> 63 & 1) and bool(entry >> 56 & 1)


def child(job):
    pid = os.fork()
    if pid == 0:
        result = job()
        print(*result, flush=True)
        os._exit(0)
    os.waitpid(pid, 0)


def first_run():
    for offset in range(0, len(data), page * 20):
        data[offset] = ord("w")  # 20 pages this run wrote
    noted = note_pages()
    return [noted >= 20]


def next_spare():
    shared_before = not any(own(number) for number in data_pages)
    copied, stopped = take_pages(stop_read)
    taken = all(own(number) for number in written)
    left_shared = sum(not own(number) for number in data_pages if number not in written)
    data[0] = ord("x")
    return [shared_before, 0 < copied < 300, stopped, taken, left_shared >= len(data_pages) - len(written) - 2,
            data[:2] == b"xs", data.count(b"s") == len(data) - 1]


child(first_run)
child(next_spare)  # takes what the first run listed, not all 400 pages of data
print("parent", data == bytearray(b"s" * (page * 400)))
"""


def test_spares_copy_the_pages_earlier_runs_wrote(impl, tmp_path):
    """With a list left by an earlier run, a spare copies those pages only; memory unchanged."""
    (tmp_path / "listed.py").write_text(LISTED_PAGES_PROBE)
    done = subprocess.run([sys.executable, "listed.py"], cwd=tmp_path, env=_env(impl), capture_output=True, timeout=60)
    assert done.returncode == 0, done.stderr
    if impl.name == "python":
        assert done.stdout == b"none\n"
    else:
        assert done.stdout == b"True\nTrue True False True True True True\nparent True\n"


def test_spare_takes_its_pages_while_it_waits(impl, tmp_path):
    """The page copying a spare does changes no memory, and stops when its request comes."""
    (tmp_path / "pages.py").write_text(PAGES_PROBE)
    done = subprocess.run([sys.executable, "pages.py"], cwd=tmp_path, env=_env(impl), capture_output=True, timeout=60)
    assert done.returncode == 0, done.stderr
    if impl.name == "python":
        assert done.stdout == b"none\n"  # a pure-Python install waits idle
    else:
        assert done.stdout == b"True False (0, False) True True\nparent True\n"
