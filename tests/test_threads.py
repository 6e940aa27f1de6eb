"""Runs from several threads at once leave sys as they found it, and never deadlock.

stdlib runpy saves sys.argv[0] and sys.modules[name] on entry and puts the
saved value back on exit.  When runs in two threads overlap and end out of
order, the one ending last restores a value the other had put there, so
stdlib leaves a run's temporary module or argv[0] behind.  fastrunpy promises
more: once every run has ended, sys is what it was before the first began.
That is asserted here for fastrunpy only.
"""

from __future__ import annotations

import os
import sys
import sysconfig
import threading
import time
from typing import Any, Dict, List

import pytest

THREADS = 8
RUNS_PER_THREAD = 60
ROUNDS = 20
# On a loaded machine a round can take far longer (a free-threaded build
# parks waiting threads in the kernel): past this, no new round starts once
# MIN_ROUNDS are done, so the test stays near ten seconds.
ROUNDS_BUDGET_S = 6.0
MIN_ROUNDS = 4
JOIN_TIMEOUT_S = 60.0  # far beyond any normal run: only a deadlock gets there
FREE_THREADED = bool(sysconfig.get_config_var("Py_GIL_DISABLED"))

WORK = "total = 0\nfor i in range(300):\n    total += i\nx = 1\nname = __name__\n"


@pytest.fixture
def targets(impl: Any, tmp_path: Any) -> Any:
    root = str(tmp_path)
    files = {f"thrmod{i}.py": WORK for i in range(THREADS)}
    files["script.py"] = WORK
    for name, text in files.items():
        with open(os.path.join(root, name), "w", encoding="utf-8") as stream:
            stream.write(text)
        then = time.time() - 60  # settled: later runs are served from the cache
        os.utime(os.path.join(root, name), (then, then))
    saved_meta_path = list(sys.meta_path)
    # Without pytest's import hook the module runs are cached, so cache hits
    # race with misses too.
    sys.meta_path[:] = [
        f for f in saved_meta_path if type(f).__module__ != "_pytest.assertion.rewrite"
    ]
    sys.path.insert(0, root)
    impl.module.cache_clear()
    try:
        yield root
    finally:
        sys.path.remove(root)
        sys.meta_path[:] = saved_meta_path
        impl.module.cache_clear()


@pytest.fixture
def busy_switching() -> Any:
    """Switch threads as often as the interpreter allows, to make runs overlap."""
    saved = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        yield
    finally:
        sys.setswitchinterval(saved)


def _sys_snapshot() -> Any:
    return list(sys.argv), {name: id(module) for name, module in sys.modules.items()}


def _join_all(threads: List[threading.Thread]) -> None:
    deadline = time.monotonic() + JOIN_TIMEOUT_S
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    stuck = [t.name for t in threads if t.is_alive()]
    assert not stuck, f"threads still running (deadlock?): {stuck}"


def _gil_enabled() -> bool:
    return bool(getattr(sys, "_is_gil_enabled", lambda: True)())


def test_concurrent_runs_leave_sys_as_it_was(impl: Any, targets: str, busy_switching: Any) -> None:
    """Up to ROUNDS rounds of THREADS threads, each doing RUNS_PER_THREAD mixed runs.

    On a free-threaded build the threads really run at once; the GIL must
    stay disabled throughout (an extension module that is not declared
    free-threading compatible turns it back on when imported).
    """
    fast = impl.module
    script = os.path.join(targets, "script.py")
    check_gil = FREE_THREADED and os.environ.get("PYTHON_GIL") != "1"
    if check_gil:
        assert not _gil_enabled(), "the GIL was already on before the runs"
    # Each thread runs its own module: while a run with alter_sys=True is on,
    # its placeholder module is in sys.modules for every thread to find, and
    # a lookup of that name from another thread fails (in stdlib too).  The
    # names the runs share are __main__, <run_path> and a common run_name.
    for name in [f"thrmod{i}" for i in range(THREADS)]:
        fast.run_module(name, alter_sys=True)  # first-use imports happen here, not below
    fast.run_path(script)
    main_before = sys.modules["__main__"]
    argv_object = sys.argv
    argv_before = list(sys.argv)
    modules_before = dict(sys.modules)  # holds the modules: no id can be reused
    hits = 0

    def worker(index: int, start: threading.Barrier, errors: List[BaseException]) -> None:
        try:
            start.wait(JOIN_TIMEOUT_S)
            own = f"thrmod{index}"
            for run in range(RUNS_PER_THREAD):
                kind = (index + run) % 5
                if kind == 0:
                    result = fast.run_module(own, alter_sys=True)
                    expected = own
                elif kind == 1:
                    result = fast.run_path(script)
                    expected = "<run_path>"
                elif kind == 2:
                    result = fast.run_path(script, run_name="__main__")
                    expected = "__main__"
                elif kind == 3:
                    result = fast.run_module(own, run_name="__main__", alter_sys=True)
                    expected = "__main__"
                else:
                    result = fast.run_module(own, run_name="thrshared", alter_sys=True)
                    expected = "thrshared"
                assert (result["x"], result["name"], result["total"]) == (1, expected, 44850)
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    started = time.monotonic()
    for round_ in range(ROUNDS):
        if round_ >= MIN_ROUNDS and time.monotonic() - started > ROUNDS_BUDGET_S:
            break
        if round_ % 2:
            fast.cache_clear()  # every other round starts cold: misses race too
        start = threading.Barrier(THREADS)
        errors: List[BaseException] = []
        threads = [
            threading.Thread(target=worker, args=(i, start, errors), name=f"runner-{round_}-{i}", daemon=True)
            for i in range(THREADS)
        ]
        for thread in threads:
            thread.start()
        _join_all(threads)
        assert not errors, (round_, errors)
        assert sys.modules["__main__"] is main_before
        assert sys.argv is argv_object
        assert sys.argv == argv_before, round_
        assert set(sys.modules) == set(modules_before), round_
        changed = [name for name, module in modules_before.items() if sys.modules[name] is not module]
        assert not changed, (round_, changed)
        hits += fast.cache_info().hits
        if check_gil:
            assert not _gil_enabled(), f"the GIL was turned on during round {round_}"
    assert hits > 0  # the runs raced on the cache, not around it


def _in_worker(call: Any) -> Any:
    """Run ``call`` in a fresh thread; fail, instead of hanging, if it never ends."""
    box: Dict[str, Any] = {}

    def target() -> None:
        try:
            box["result"] = call()
        except BaseException as exc:
            box["error"] = exc

    thread = threading.Thread(target=target, name="outer-run", daemon=True)
    thread.start()
    _join_all([thread])
    if "error" in box:
        raise box["error"]
    return box["result"]


NESTED = """
import sys
outer_argv0 = sys.argv[0]
inner = runner.run_path(inner_path, run_name="__main__")
inner_module = runner.run_module("thrmod0", alter_sys=True)
after_argv0 = sys.argv[0]
main_is_mine = sys.modules["__main__"].__dict__ is globals()
"""


def test_nested_runs_in_one_thread(impl: Any, targets: str) -> None:
    fast = impl.module
    outer = os.path.join(targets, "outer.py")
    with open(outer, "w", encoding="utf-8") as stream:
        stream.write(NESTED)
    before = _sys_snapshot()
    main_before = sys.modules["__main__"]
    seed = {"runner": fast, "inner_path": os.path.join(targets, "script.py")}
    for _ in range(3):  # again once the targets are cached
        result = _in_worker(lambda: fast.run_path(outer, init_globals=seed, run_name="__main__"))
        assert result["inner"]["name"] == "__main__"
        assert result["inner_module"]["name"] == "thrmod0"
        assert result["outer_argv0"] == result["after_argv0"] == outer
        assert result["main_is_mine"] is True
        assert sys.modules["__main__"] is main_before
        assert _sys_snapshot() == before


FROM_THREAD = """
import sys
import threading

box = {}


def work():
    try:
        box["inner"] = runner.run_path(inner_path, run_name="__main__")
    except BaseException as exc:
        box["error"] = repr(exc)


thread = threading.Thread(target=work, daemon=True)
thread.start()
thread.join(timeout)
alive = thread.is_alive()
inner = box.get("inner", {}).get("name")
error = box.get("error")
argv0_after = sys.argv[0]
"""


@pytest.mark.parametrize("how", ["run_path", "run_module"])
def test_run_from_a_thread_started_by_a_running_script(impl: Any, targets: str, how: str) -> None:
    fast = impl.module
    with open(os.path.join(targets, "spawner.py"), "w", encoding="utf-8") as stream:
        stream.write(FROM_THREAD)
    seed = {"runner": fast, "inner_path": os.path.join(targets, "script.py"), "timeout": JOIN_TIMEOUT_S}
    before = _sys_snapshot()
    for _ in range(3):
        if how == "run_path":
            call = lambda: fast.run_path(os.path.join(targets, "spawner.py"), init_globals=seed)  # noqa: E731
        else:
            call = lambda: fast.run_module("spawner", init_globals=seed, alter_sys=True)  # noqa: E731
        result = _in_worker(call)
        assert result["alive"] is False, "the inner run never finished"
        assert result["error"] is None
        assert result["inner"] == "__main__"
        assert result["argv0_after"] == os.path.join(targets, "spawner.py")
        assert _sys_snapshot() == before


WAITING = """
import sys
started.set()
release.wait(timeout)
main_is_mine = sys.modules["__main__"].__dict__ is globals()
argv0 = sys.argv[0]
"""

OUTLIVING = """
import threading


def work():
    box["inner"] = runner.run_path(inner_path, init_globals=inner_globals, run_name="__main__")


thread = threading.Thread(target=work, daemon=True)
thread.start()
box["thread"] = thread
inner_globals["started"].wait(timeout)
"""


def _write(root: str, name: str, text: str) -> str:
    path = os.path.join(root, name)
    with open(path, "w", encoding="utf-8") as stream:
        stream.write(text)
    return path


def test_runs_ending_out_of_order_restore_sys(impl: Any, targets: str) -> None:
    """A starts, B starts, A ends, B ends: B keeps its view until it ends itself."""
    fast = impl.module
    waiting = _write(targets, "waiting.py", WAITING)
    before = _sys_snapshot()
    main_before = sys.modules["__main__"]
    runs = []
    for _ in range(2):
        events = {"started": threading.Event(), "release": threading.Event(), "timeout": JOIN_TIMEOUT_S}
        box: Dict[str, Any] = {}

        def run(events: Dict[str, Any] = events, box: Dict[str, Any] = box) -> None:
            box["result"] = fast.run_path(waiting, init_globals=events, run_name="__main__")

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        assert events["started"].wait(JOIN_TIMEOUT_S)
        runs.append((thread, events, box))
    (first, first_events, first_box), (second, second_events, second_box) = runs
    first_events["release"].set()
    _join_all([first])
    # B is still running: its module and argv[0] must still be in place.
    assert sys.modules["__main__"] is not main_before
    assert sys.argv[0] == waiting
    second_events["release"].set()
    _join_all([second])
    # A woke while B was the newest run: __main__ was B's, as with nested runs.
    assert first_box["result"]["main_is_mine"] is False
    assert second_box["result"]["main_is_mine"] is True
    assert first_box["result"]["argv0"] == second_box["result"]["argv0"] == waiting
    assert sys.modules["__main__"] is main_before
    assert _sys_snapshot() == before


def test_runpys_context_managers_and_runs_share_one_registry(impl: Any, targets: str) -> None:
    """_TempModule and _ModifiedArgv0 hold sys as runs do: a run they outlive in neither order leaves sys behind."""
    fast = impl.module
    script = _write(targets, "ends_outer.py", (
        "import sys\n"
        "module_holder.__exit__(None, None, None)\n"
        "argv_holder.__exit__(None, None, None)\n"
        "main_is_mine = sys.modules['__main__'].__dict__.get('module_holder') is module_holder\n"
        "argv0 = sys.argv[0]\n"
    ))
    main_before = sys.modules["__main__"]
    for _ in range(4):  # misses, then hits
        before = _sys_snapshot()
        module_holder = fast._TempModule("__main__")
        argv_holder = fast._ModifiedArgv0("holder's argv[0]")
        module_holder.__enter__()
        argv_holder.__enter__()
        assert sys.modules["__main__"] is module_holder.module
        result = fast.run_path(script, run_name="__main__",
                               init_globals={"module_holder": module_holder, "argv_holder": argv_holder})
        # Ended while the run held both: what they saved came back at its end.
        assert result["main_is_mine"] is True
        assert result["argv0"] == script
        assert sys.modules["__main__"] is main_before
        # (The first run imports what run_path() needs, as runpy's does.)
        assert _sys_snapshot()[0] == before[0]
        assert {name: id(module) for name, module in sys.modules.items() if name in before[1]} == before[1]


def test_run_started_by_a_script_outlives_it(impl: Any, targets: str) -> None:
    fast = impl.module
    waiting = _write(targets, "waiting.py", WAITING)
    spawner = _write(targets, "outliving.py", OUTLIVING)
    before = _sys_snapshot()
    main_before = sys.modules["__main__"]
    inner_globals = {"started": threading.Event(), "release": threading.Event(), "timeout": JOIN_TIMEOUT_S}
    box: Dict[str, Any] = {}
    seed = {"runner": fast, "inner_path": waiting, "inner_globals": inner_globals,
            "box": box, "timeout": JOIN_TIMEOUT_S}
    _in_worker(lambda: fast.run_module("outliving", init_globals=seed, run_name="__main__", alter_sys=True))
    assert os.path.exists(spawner)
    # The script has returned; the run it started has not.
    assert sys.modules["__main__"] is not main_before
    assert sys.argv[0] == waiting
    inner_globals["release"].set()
    _join_all([box["thread"]])
    assert box["inner"]["main_is_mine"] is True
    assert sys.modules["__main__"] is main_before
    assert _sys_snapshot() == before


@pytest.mark.parametrize("name", ["_cache_lock", "_lock"])
def test_core_locks_let_one_thread_in_at_a_time(impl: Any, name: str, busy_switching: Any) -> None:
    # Each holder gives the interpreter away inside (sleep(0)), so the others
    # find the lock held and wait: the path an uncontended run never takes.
    lock = getattr(impl.module, name)
    reentrant = name == "_lock"  # the sys save/restore registry's: a run may start another
    inside = [0]
    most_inside = [0]
    entries = [0]

    def work() -> None:
        for _ in range(300):
            with lock:
                inside[0] += 1
                most_inside[0] = max(most_inside[0], inside[0])
                time.sleep(0)
                if reentrant:
                    with lock:
                        time.sleep(0)
                entries[0] += 1
                inside[0] -= 1

    threads = [threading.Thread(target=work) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    _join_all(threads)
    assert most_inside[0] == 1
    assert entries[0] == THREADS * 300
    with lock:  # given back as often as taken: free again
        pass


@pytest.mark.parametrize("ring", [True, False], ids=["ring", "epoll"])
def test_hits_from_many_threads_never_serve_an_edit_already_made(impl: Any, tmp_path: Any, ring: bool) -> None:
    """While one thread keeps editing a script, no hit that starts after an
    edit has returned may run what the file held before it.

    Under "auto" the compiled core's hits take the kernel's word, and on the
    free-threaded build one thread may read the queued events away while
    another is asking: the asker must still see the entry untrusted.  (Also
    a check that concurrent hits leave the process's memory sound: reading
    an entry's trust used to take a reference another thread could free.)
    """
    path = os.path.join(str(tmp_path), "edited.py")
    with open(path, "w", encoding="utf-8") as stream:
        stream.write("x = 0\n")
    previous = impl.module._use_ring(ring) if impl.name == "cython" else None
    impl.module.cache_clear()
    written = [0]
    stop = threading.Event()
    stale: List[Any] = []
    served = [0]

    def hit() -> None:
        while not stop.is_set():
            wanted = written[0]
            seen = impl.module.run_path(path).get("x", wanted)  # mid-write: empty file
            if seen < wanted:
                stale.append((wanted, seen))
            served[0] += 1

    def edit() -> None:
        version = 0
        while not stop.is_set():
            time.sleep(0.005)
            version += 1
            with open(path, "w", encoding="utf-8") as stream:
                stream.write(f"x = {version}\n")
            written[0] = version  # only once the edit has returned

    workers = [threading.Thread(target=hit) for _ in range(4)] + [threading.Thread(target=edit)]
    try:
        for worker in workers:
            worker.start()
        time.sleep(3.0)
    finally:
        stop.set()
        for worker in workers:
            worker.join(JOIN_TIMEOUT_S)
        if previous is not None:
            impl.module._use_ring(previous)
        impl.module.cache_clear()
    assert not any(worker.is_alive() for worker in workers)
    assert written[0] > 10 and served[0] > 100
    assert stale == []
