"""spawn(): a fresh ``python ARGS...`` process, forked from a warm one.

``Zygote`` owns a process (``_zygote_main.py``) that has started the
interpreter and imported the modules asked for once; each spawn() forks it
and runs the command line in the child, as ``python ARGS...`` would have.
The caller gets a ``WarmProcess``, shaped like ``subprocess.Popen``.

Correctness comes first: wherever the child could differ from a fresh
interpreter in a way the zygote cannot repair, the request goes to a real
interpreter (a ``subprocess.Popen``) instead, and the zygote counts it:

* interpreter options in ``args`` (anything before the target but ``-m``);
* an environment whose start-up variables (``PYTHON*``, locale, ``HOME``,
  ``LD_*``, ``FASTRUNPY_*``) differ from the zygote's;
* a program directory holding a file or package named like a module the
  zygote has loaded (the program would import its own);
* platforms without ``fork()`` (everything but Linux and macOS).

A file behind a loaded module, or a directory on ``sys.path``, that has
changed since the zygote started means a new zygote, never stale code.
So does a dead zygote, and every ``max_runs`` runs (children share the
zygote's string-hash seed, where fresh interpreters would each draw their
own).  Callers who need a seed per run ask for ``fresh_seed=True``: the
zygote then forks nothing of its own, but keeps ``pool_size`` new
interpreters started ahead, each with the preloads imported and a seed of
its own, and hands each request to one of them.  No run waits for a zygote's start-up: the run that starts one, and
any before it is ready, go to a real interpreter (``warm_up()`` waits).
"""

import _signal  # type: ignore[import-not-found]  # built in, loaded at start-up; signal.py would import enum
import os
import subprocess
import sys
import threading

from . import _zygote

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, IO, List, Optional, Sequence, Tuple

PIPE = subprocess.PIPE
DEVNULL = subprocess.DEVNULL
_MAIN = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_zygote_main.py")
_CAN_FORK = sys.platform.startswith(("linux", "darwin")) and hasattr(os, "fork")


def _implementation() -> "Any":
    """The core fastrunpy runs with (compiled, or the pure twin): it watches files for changes."""
    import fastrunpy

    return sys.modules["fastrunpy._core" if fastrunpy.IMPLEMENTATION == "cython" else "fastrunpy._core_py"]


def _startup_variables(env: "Dict[str, str]") -> "Tuple[Tuple[str, str], ...]":
    """The environment the interpreter reads while starting up; a zygote serves only its own."""
    return tuple(
        sorted(
            (name, value)
            for name, value in env.items()
            if name.startswith(("PYTHON", "LC_", "LD_", "FASTRUNPY_")) or name in ("LANG", "HOME")
        )
    )


def _program_directory(args: "List[str]", cwd: str) -> "Optional[str]":
    """The directory the program's own imports look in first (its sys.path[0])."""
    first = args[0]
    if first == "-m" or first.startswith("-m") or first == "-":
        return cwd
    path = first if os.path.isabs(first) else os.path.join(cwd, first)
    if os.path.isdir(path):
        return path
    return os.path.dirname(os.path.realpath(path))


def _shadows(directory: str, modules: "Any") -> bool:
    """Whether the directory holds something a loaded module's name would find first."""
    try:
        names = os.listdir(directory)
    except OSError:
        return True  # cannot tell: a real interpreter decides
    for name in names:
        stem = name.partition(".")[0]
        if stem in modules:
            return True
    return False


class WarmProcess:
    """A program forked from a zygote; the part of ``subprocess.Popen``'s interface a runner uses."""

    def __init__(self, args: "List[str]", status: "Any", stdin: "Any", stdout: "Any", stderr: "Any") -> None:
        self.args = args
        self._status = status
        self.stdin: Optional[IO[bytes]] = stdin
        self.stdout: Optional[IO[bytes]] = stdout
        self.stderr: Optional[IO[bytes]] = stderr
        self.returncode: Optional[int] = None
        self._lock = threading.Lock()
        kind, value = self._read_report()
        if kind != b"P":
            raise OSError("fastrunpy: the zygote did not start the program")
        self.pid: int = value

    def _read_report(self) -> "Tuple[bytes, int]":
        data = b""
        while len(data) < 9:
            more = self._status.recv(9 - len(data))
            if not more:
                return b"", 0
            data += more
        return data[:1], int.from_bytes(data[1:], "big", signed=True)

    def _finish(self) -> None:
        kind, value = self._read_report()
        self._status.close()
        if kind == b"S":
            self.returncode = os.waitstatus_to_exitcode(value)
        else:  # the zygote died, and took its children with it
            self.returncode = -9

    def poll(self) -> "Optional[int]":
        if self.returncode is None:
            import select

            with self._lock:
                if self.returncode is None and select.select([self._status], [], [], 0)[0]:
                    self._finish()
        return self.returncode

    def wait(self, timeout: "Optional[float]" = None) -> int:
        if self.returncode is None:
            import select

            with self._lock:
                if self.returncode is None:
                    if not select.select([self._status], [], [], timeout)[0]:
                        raise subprocess.TimeoutExpired(self.args, timeout)  # type: ignore[arg-type]
                    self._finish()
        assert self.returncode is not None
        return self.returncode

    def send_signal(self, sig: int) -> None:
        if self.poll() is None:
            os.kill(self.pid, sig)

    def terminate(self) -> None:
        import signal

        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        import signal

        self.send_signal(signal.SIGKILL)

    def communicate(self, input: "Optional[bytes]" = None, timeout: "Optional[float]" = None) -> "Tuple[Any, Any]":
        """As Popen.communicate(): feed stdin, read stdout and stderr to the end, wait."""
        results: Dict[str, bytes] = {}

        def drain(name: str, stream: "IO[bytes]") -> None:
            results[name] = stream.read()
            stream.close()

        readers = [
            threading.Thread(target=drain, args=(name, stream), daemon=True)
            for name, stream in (("stdout", self.stdout), ("stderr", self.stderr))
            if stream is not None
        ]
        for reader in readers:
            reader.start()
        if self.stdin is not None:
            try:
                if input:
                    self.stdin.write(input)
                self.stdin.close()
            except BrokenPipeError:
                pass
        for reader in readers:
            reader.join(timeout)
            if reader.is_alive():
                raise subprocess.TimeoutExpired(self.args, timeout)  # type: ignore[arg-type]
        self.wait(timeout)
        return results.get("stdout"), results.get("stderr")

    def __enter__(self) -> "WarmProcess":
        return self

    def __exit__(self, *exc_info: "Any") -> None:
        for stream in (self.stdin, self.stdout, self.stderr):
            if stream is not None:
                stream.close()
        self.wait()

    def __repr__(self) -> str:
        return "<WarmProcess: returncode: {} args: {!r}>".format(self.returncode, self.args)


class Zygote:
    """A warm interpreter that forks a fresh-looking process per spawn(); see the module docstring."""

    def __init__(self, preload: "Sequence[str]" = (), *, max_runs: int = 1000, fresh_seed: bool = False, pool_size: int = 2) -> None:
        if pool_size < 1:
            raise ValueError("pool_size must be at least 1")
        self.preload = tuple(preload)
        self.max_runs = max_runs
        self.fresh_seed = fresh_seed
        self.pool_size = pool_size
        self._lock = threading.Lock()
        self._process: "Optional[subprocess.Popen[bytes]]" = None
        self._control: Any = None
        self._state: Dict[str, Any] = {}
        self._watched: Any = None  # the files and directories in _state, as the caches watch theirs
        self._startup: Any = None  # the start-up environment this zygote serves (its first request's)
        self._failed = False  # the warm process could not start (a preload failed to import)
        self._runs = 0
        self.statistics = {"forked": 0, "fresh_interpreter": 0, "zygotes_started": 0}

    # --- the warm process ---------------------------------------------------

    def _start(self, env: "Dict[str, str]") -> None:
        """Start the warm process; it is ready once it has reported what it loaded (see _ready)."""
        import socket

        self._stop()
        ours, theirs = socket.socketpair()
        mode = "fresh:%d" % self.pool_size if self.fresh_seed else "fork"
        try:
            process = subprocess.Popen(
                [sys.executable, _MAIN, str(theirs.fileno()), mode, *self.preload],
                pass_fds=[theirs.fileno()],
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        finally:
            theirs.close()
        self._process, self._control, self._state = process, ours, {}
        self._runs = 0
        self.statistics["zygotes_started"] += 1

    def _ready(self, wait: bool) -> bool:
        """Whether the warm process has started and reported its state (waiting for it if asked)."""
        if self._state:
            return True
        if self._control is None:
            return False
        if not wait:
            import select

            if not select.select([self._control], [], [], 0)[0]:
                return False
        state, _ = _zygote.receive_message(self._control)
        if state is None:  # it ended before it was ready
            assert self._process is not None
            # An exit status: a preload failed to import, and always will.
            # A signal: someone killed it, and the next run starts another.
            self._failed = self._process.wait() > 0
            self._stop()
            return False
        self._state = state
        self._watched = _implementation()._WatchedFiles(tuple(state["files"]), tuple(state["directories"]))
        return True

    def _stop(self) -> None:
        if self._control is not None:
            self._control.close()  # the zygote kills its children and exits
            self._control = None
        if self._process is not None:
            if not self._state:
                self._process.kill()  # still starting: it has run nothing of anyone's
            self._process.wait()
            self._process = None
        self._state = {}

    def _still_valid(self) -> bool:
        if self._process is None or self._process.poll() is not None:
            return False
        if self._runs >= self.max_runs and not self.fresh_seed:  # its children share its seed
            return False
        if not self._state:
            return True  # still starting: nothing loaded to check yet
        # A stat() of each file, unless the kernel vouches that none changed
        # (validation "auto", the compiled core, Linux: one epoll_wait(), or
        # in the thread that opened the watcher, one read of its ring's flags).
        return bool(_implementation()._unchanged(self._watched, self._same_files))

    def _same_files(self) -> bool:
        for path, signature in self._state["files"].items():
            if _zygote.signature(path) != signature:
                return False
        for path, signature in self._state["directories"].items():
            if _zygote.signature(path) != signature:
                return False
        return True

    def warm_up(self, env: "Optional[Dict[str, str]]" = None) -> bool:
        """Start the warm process for this start-up environment and wait until it is ready.

        Optional: without it, the first spawn() starts it and runs its own
        program in a real interpreter meanwhile.  False where no warm
        process can serve (no fork(), a preload that fails, or a zygote
        already serving another start-up environment).
        """
        env = dict(os.environ if env is None else env)
        with self._lock:
            if not _CAN_FORK or not self._serves(env):
                return False
            self._ready(wait=True)  # one already starting: wait for it
            if self._failed:
                return False
            if not self._still_valid():
                self._start(env)
            return self._ready(wait=True)

    def close(self) -> None:
        """Stop the warm process (programs it started that are still running are killed)."""
        with self._lock:
            self._stop()

    def __enter__(self) -> "Zygote":
        return self

    def __exit__(self, *exc_info: "Any") -> None:
        self.close()

    # --- runs ------------------------------------------------------------------

    def spawn(
        self,
        args: "Sequence[str]",
        *,
        cwd: "Any" = None,
        env: "Optional[Dict[str, str]]" = None,
        stdin: "Any" = None,
        stdout: "Any" = None,
        stderr: "Any" = None,
    ) -> "Any":
        """Start ``python *args``: a WarmProcess, or a subprocess.Popen where only a real interpreter will do."""
        args = [os.fspath(arg) for arg in args]
        env = dict(os.environ if env is None else env)
        cwd = os.path.abspath(os.fspath(cwd)) if cwd is not None else os.getcwd()
        with self._lock:
            if self._warm_allowed(args, env, cwd):
                process = self._fork(args, env, cwd, stdin, stdout, stderr)
                if process is not None:
                    self._runs += 1
                    self.statistics["forked"] += 1
                    return process
            self.statistics["fresh_interpreter"] += 1
        return subprocess.Popen([sys.executable, *args], cwd=cwd, env=env, stdin=stdin, stdout=stdout, stderr=stderr)

    def _serves(self, env: "Dict[str, str]") -> bool:
        """Whether this zygote serves the start-up environment (the first one it was asked for)."""
        startup = _startup_variables(env)
        if self._startup is None:
            self._startup = startup
        return bool(startup == self._startup)

    def _warm_allowed(self, args: "List[str]", env: "Dict[str, str]", cwd: str) -> bool:
        if not _CAN_FORK or not args:
            return False
        first = args[0]
        if first.startswith("-") and first != "-" and not first.startswith("-m"):
            return False  # interpreter options: a zygote has only its own
        if not self._serves(env):
            return False  # a start-up this zygote did not have
        self._ready(wait=False)  # one starting: ready by now, or ended before it was
        if self._failed:
            return False
        if not self._still_valid():
            # This run goes to a real interpreter while the new zygote
            # starts beside it: no run waits for a zygote's start-up.
            self._start(env)
            return False
        if not self._state:
            return False  # still starting
        if "PYTHONSAFEPATH" not in env:
            directory = _program_directory(args, cwd)
            if directory is None or _shadows(directory, self._state["modules"]):
                return False
        return True

    def _fork(self, args: "List[str]", env: "Dict[str, str]", cwd: str, stdin: "Any", stdout: "Any", stderr: "Any") -> "Optional[WarmProcess]":
        """The program, started from the zygote; None if the zygote ended before starting it."""
        import socket

        to_close: List[int] = []
        ours: List[Any] = [None, None, None]
        fds: List[int] = []
        for index, (given, mode) in enumerate(((stdin, "wb"), (stdout, "rb"), (stderr, "rb"))):
            if given is None:
                fds.append(index)
            elif given == subprocess.DEVNULL:
                fd = os.open(os.devnull, os.O_RDWR)
                to_close.append(fd)
                fds.append(fd)
            elif given == subprocess.PIPE:
                read_end, write_end = os.pipe()
                child_end, our_end = (read_end, write_end) if index == 0 else (write_end, read_end)
                to_close.append(child_end)
                ours[index] = open(our_end, mode)
                fds.append(child_end)
            elif given == subprocess.STDOUT and index == 2:
                fds.append(fds[1])
            elif isinstance(given, int):
                fds.append(given)
            else:
                fds.append(given.fileno())
        status_ours, status_theirs = socket.socketpair()
        try:
            # A forked child already holds the zygote's environment; a
            # fresh_seed spare started its own interpreter, and compares.
            same = not self.fresh_seed and env == self._state["environ"]
            message = {
                "args": args,
                "executable": sys.executable,
                "cwd": cwd,
                "env": None if same else env,
                "ignored_signals": _ignored_signals(),
                "blocked_signals": _blocked_signals(),
            }
            _zygote.send_message(self._control, message, fds + [status_theirs.fileno()])
        except OSError:
            pass  # it has died: WarmProcess() finds no report
        finally:
            status_theirs.close()  # the zygote's copy is the only one left: its end is the report's end
            for fd in to_close:
                os.close(fd)
        try:
            return WarmProcess(args, status_ours, *ours)
        except OSError:
            # It died, or could not start a new interpreter for it (fresh_seed):
            # nothing of the program ran, and a real interpreter runs it.
            status_ours.close()
            for stream in ours:
                if stream is not None:
                    stream.close()
            return None


def _ignored_signals() -> "List[int]":
    """The signals this process ignores now: a program started from it by exec keeps them ignored.

    Popen puts back the two Python itself ignores (SIGPIPE, SIGXFSZ), and
    the new interpreter ignores them again; they are not sent.
    """
    ignored = []
    for sig in _signal.valid_signals():
        if sig not in _zygote.PYTHONS_OWN_IGNORED and _signal.getsignal(sig) == _signal.SIG_IGN:
            ignored.append(int(sig))
    return ignored


def _blocked_signals() -> "Optional[List[int]]":
    """The signals this thread blocks now, which a program it starts by exec inherits; None where unknown."""
    if not hasattr(_signal, "pthread_sigmask"):
        return None
    return sorted([int(sig) for sig in _signal.pthread_sigmask(_signal.SIG_BLOCK, [])])


_defaults: "Dict[Tuple[Tuple[str, ...], bool], Zygote]" = {}
_defaults_lock = threading.Lock()


def default_zygote(preload: "Sequence[str]" = (), fresh_seed: bool = False) -> Zygote:
    """The interpreter's own zygote for these preloads (and seed policy), started on first use."""
    key = (tuple(preload), fresh_seed)
    with _defaults_lock:
        zygote = _defaults.get(key)
        if zygote is None:
            if not _defaults:
                import atexit

                atexit.register(_close_defaults)
            zygote = _defaults[key] = Zygote(key[0], fresh_seed=fresh_seed)
        return zygote


def _close_defaults() -> None:
    # Stopped at exit, as a Zygote the caller owns would be by close().
    for zygote in _defaults.values():
        zygote.close()


def spawn(args: "Sequence[str]", *, preload: "Sequence[str]" = (), fresh_seed: bool = False, **options: "Any") -> "Any":
    """``subprocess.Popen([sys.executable, *args], ...)``, from the default zygote where possible."""
    return default_zygote(preload, fresh_seed).spawn(args, **options)


def run_process(
    args: "Sequence[str]",
    *,
    input: "Optional[bytes]" = None,
    capture_output: bool = False,
    timeout: "Optional[float]" = None,
    check: bool = False,
    zygote: "Optional[Zygote]" = None,
    preload: "Sequence[str]" = (),
    fresh_seed: bool = False,
    **options: "Any",
) -> "subprocess.CompletedProcess[bytes]":
    """``subprocess.run([sys.executable, *args], ...)`` through spawn()."""
    if input is not None:
        options["stdin"] = subprocess.PIPE
    if capture_output:
        options["stdout"] = options["stderr"] = subprocess.PIPE
    owner = zygote if zygote is not None else default_zygote(preload, fresh_seed)
    process = owner.spawn(args, **options)
    try:
        stdout, stderr = process.communicate(input, timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        raise
    completed = subprocess.CompletedProcess(list(args), process.wait(), stdout, stderr)
    if check:
        completed.check_returncode()
    return completed
