"""The warm process's side of ``fastrunpy.spawn()`` (see ``_spawn`` for the caller's).

The process starts as a fresh interpreter would for ``python tool.py``,
imports the modules it was asked to preload, freezes the garbage collector
and tells the caller what it loaded (so the caller can tell when a file
behind it changes).  Then it waits on its control socket.  Each request
there carries a command line, a working directory, an environment and four
descriptors: the program's stdin, stdout and stderr, and a socket for
reporting back.  A child forked ahead of the request (the spare) is handed
it, takes it on and returns from serve() to run the program; the parent
reports the child's pid, forks the next spare, and reports the child's
wait status when it ends.  For a ``fresh_seed`` zygote each spare is
instead a new interpreter, started from here ahead of time (so it has a
hash seed of its own), that imports what the zygote did, says it is ready
and serves one request the same way.  The child's exit ends early where nothing more
of it can be seen (``_zygote_exit``).

When the control socket closes (the caller has closed the zygote, or died),
the process kills its running children and exits: nothing it started
outlives the caller.  It runs no user code itself and holds no threads when
it forks.
"""

import gc
import marshal
import os
import stat
import sys

import _signal  # type: ignore[import-not-found]  # built in; signal.py would import enum

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, List, Optional, Sequence, Set, Tuple

HEADER = 4  # bytes of big-endian length before each marshalled message
MAX_FDS = 4


def send_message(channel: "Any", message: "Any", fds: "Sequence[int]" = ()) -> None:
    data = marshal.dumps(message)
    data = len(data).to_bytes(HEADER, "big") + data
    if fds:
        import _socket

        payload = b"".join(fd.to_bytes(4, sys.byteorder, signed=True) for fd in fds)
        sent = channel.sendmsg([data], [(_socket.SOL_SOCKET, _socket.SCM_RIGHTS, payload)])
    else:
        sent = channel.send(data)
    if sent < len(data):
        channel.sendall(data[sent:])


def receive_message(channel: "Any") -> "Tuple[Any, List[int]]":
    """One message and the descriptors sent with it; (None, []) once the other side has gone."""
    import _socket

    data, ancillary, _flags, _address = channel.recvmsg(1 << 16, _socket.CMSG_SPACE(MAX_FDS * 4))
    fds: List[int] = []
    for level, kind, payload in ancillary:
        if level == _socket.SOL_SOCKET and kind == _socket.SCM_RIGHTS:
            usable = len(payload) - len(payload) % 4
            fds.extend([int.from_bytes(payload[i : i + 4], sys.byteorder, signed=True) for i in range(0, usable, 4)])
    if not data:
        return None, fds
    while len(data) < HEADER:
        more = channel.recv(HEADER - len(data))
        if not more:
            return None, fds
        data += more
    length = int.from_bytes(data[:HEADER], "big")
    data = data[HEADER:]
    while len(data) < length:
        more = channel.recv(length - len(data))
        if not more:
            return None, fds
        data += more
    return marshal.loads(data), fds


def signature(path: str) -> "Any":
    """What tells a changed file or directory from the one the zygote loaded (None: gone)."""
    try:
        info = os.stat(path)
    except OSError:
        return None
    return (info.st_mtime_ns, info.st_size, info.st_ino)


def _loaded_state(fresh: "Set[str]") -> "Dict[str, Any]":
    """What this process has loaded beyond a fresh interpreter, for the caller to validate."""
    files = {}
    for module in list(sys.modules.values()):
        path = getattr(module, "__file__", None)
        if isinstance(path, str) and os.path.isabs(path):
            files[path] = signature(path)
    directories = {entry: signature(entry) for entry in sys.path[1:] if isinstance(entry, str) and entry}
    return {
        "pid": os.getpid(),
        "files": files,
        "directories": directories,
        "modules": sorted({name.partition(".")[0] for name in sys.modules if name not in fresh}),
        # What a forked child's os.environ holds before its request changes
        # it: a request for this same environment sends none.
        "environ": dict(os.environ),
    }


def serve(fresh: "List[str]") -> "Any":
    """Serve requests until the caller goes; in the process that takes one, return its Launch.

    ``fresh`` names the modules loaded before this process imported
    anything of its own, as in any fresh interpreter.  The command line is
    ``_zygote_main.py FD MODE PRELOAD...``.  MODE ``fork``: each spare is a
    fork of this process.  ``fresh:N`` (a ``fresh_seed`` zygote): each
    spare is a new interpreter with a hash seed of its own, N started
    ahead.  ``one``: this process is such a spare, and FD its socket.
    """
    control_fd = int(sys.argv[1])
    mode, _, count = sys.argv[2].partition(":")
    # The environment this process started with: a preload may change
    # os.environ, and a new interpreter must start as this one did.
    startup_environ = dict(os.environ)
    path0 = sys.path.pop(0) if sys.path else None  # this package's directory: no preload is found there
    try:
        for name in sys.argv[3:]:
            __import__(name)
    finally:
        if path0 is not None:
            sys.path.insert(0, path0)
    import _socket
    import select

    from . import _cli  # the child's launcher, loaded once here

    _cli._compiler()  # and its compiler extension
    if mode == "fork":
        import warnings  # noqa: F401  # for _precompile, loaded before the state the caller checks
    exit_hook = _exit_hook()
    # Loaded here, with everything else the children share (ctypes, for one).
    die_with_zygote = _death_signal_setter() if mode != "one" else None  # a spare has it set before exec
    take_pages = _page_taker() if mode == "fork" else None
    _NOTE_PAGES[0] = _page_noter() if take_pages is not None else None
    # Ctrl-C at a terminal reaches the whole process group: it is for the
    # programs to handle, not for this process.
    _signal.signal(_signal.SIGINT, _signal.SIG_IGN)
    os.set_inheritable(control_fd, False)  # no spare or program may hold it
    control = _socket.socket(fileno=control_fd)
    if mode != "one":
        send_message(control, _loaded_state(set(fresh)))
    # Every module loaded so far, kept alive for good by a cycle that no
    # collection will free once frozen (see _last_exit_handler).
    loaded = {name: module for name, module in sys.modules.items() if name not in ("__main__", "sys", "builtins")}
    keeper: List[Any] = [loaded]
    keeper.append(keeper)
    gc.collect()
    if "t" not in getattr(sys, "abiflags", ""):
        # The children share these pages instead of copying them at their
        # first collection.  Not on free-threaded builds, where a frozen
        # heap left the program's own garbage uncollected at its exit.
        gc.freeze()
    del keeper
    if mode == "one":
        control.send(b"R")
        message, fds = receive_message(control)
        control.close()
        if message is None or len(fds) != 4:
            os._exit(0)  # the zygote is shutting down
        return _become(message, fds, _cli, loaded, exit_hook)

    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    zygote_pid = os.getpid()
    wake_read, wake_write = os.pipe()
    os.set_blocking(wake_write, False)
    old_wakeup = _signal.set_wakeup_fd(wake_write)
    _signal.signal(_signal.SIGCHLD, _on_child)
    children: Dict[int, int] = {}  # pid -> status descriptor of a running program
    spares: List[List[Any]] = []  # [pid, socket, ready] of each spare, oldest first
    pending: List[Tuple[Any, List[int]]] = []  # requests waiting for a spare to be ready
    wanted = int(count) if mode == "fresh" else 1
    forks = 0
    while True:
        while len(spares) < wanted:
            if mode == "fresh":
                spares.append([*_exec_spare(die_with_zygote, zygote_pid, startup_environ), False])
                continue
            # A spare copies its pages only with a CPU to spare: with every
            # one running a program, it would only slow them down.
            taker = take_pages if len(children) < cpus else None
            # Listing the pages a run wrote costs it about 0.13 ms, and the
            # list changes little from run to run: the first runs list
            # theirs, then one in 16.
            notes = forks < 4 or forks % 16 == 0
            forks += 1
            spare, launch = _fork_spare(control, children, pending, (wake_read, wake_write), old_wakeup, die_with_zygote, zygote_pid, taker, notes)
            if launch is not None:  # in the spare, with its request
                return _become(launch[0], launch[1], _cli, loaded, exit_hook)
            spares.append([*spare, True])  # a fork is ready at once
        ready = [spare for spare in spares if spare[2]]
        if pending and ready:
            spares.remove(ready[0])
            request = pending.pop(0)
            _hand_over(ready[0][0], ready[0][1], request, children)
            if mode == "fork":
                _precompile(request[0], _cli)  # for the spares forked from now on
            continue  # the next spare starts before anything else
        starting = [spare[1].fileno() for spare in spares if spare[2] is False]
        try:
            readable = select.select([control.fileno(), wake_read, *starting], [], [])[0]
        except InterruptedError:
            continue
        for spare in spares:
            if spare[2] is False and spare[1].fileno() in readable:
                # b"R": ready.  Nothing: it died starting; it is reaped below or on the next turn.
                try:
                    spare[2] = True if spare[1].recv(1) == b"R" else None
                except OSError:
                    spare[2] = None
        if wake_read in readable:
            try:
                os.read(wake_read, 512)
            except BlockingIOError:
                pass
            ended = _reap(children, {spare[0] for spare in spares})
            for spare in spares:
                if spare[0] in ended:
                    spare[1].close()
            # Spares that died waiting (killed by someone) are replaced.
            spares = [spare for spare in spares if spare[0] not in ended]
            if any(os.WIFEXITED(status) and os.WEXITSTATUS(status) for status in ended.values()):
                # A new interpreter failed to start (a preload no longer
                # imports).  The callers of pending requests get no pid and
                # run their programs elsewhere; the next check of the
                # caller starts a new zygote.
                _shut_down(children, spares, pending)
        if control.fileno() in readable:
            message, fds = receive_message(control)
            if message is None:
                _shut_down(children, spares, pending)
            for fd in fds:
                os.set_inheritable(fd, False)  # a new interpreter started here must not get them
            if len(fds) == 4:
                pending.append((message, fds))
            else:
                for fd in fds:
                    os.close(fd)


# Larger scripts are left to their runs: their compile would hold up the next spare.
_PRECOMPILE_LIMIT = 256 * 1024


def _precompile(message: "Dict[str, Any]", cli: "Any") -> None:
    """Compile the request's script, if it is one, for the next runs of it (cli._PRECOMPILED).

    A script run once tends to be run again (a runner's tool, once per
    file).  Its run compiled it in the child, which then ended; compiled
    here, its later runs find the code in memory they share with this
    process, and use it if the file's bytes are the same.  Not where
    compiling warns: a run must show the warning as a fresh interpreter's
    compile would.
    """
    args = message["args"]
    if not args or args[0].startswith("-"):
        return
    path = args[0]
    key = path if os.path.isabs(path) else message["cwd"] + os.sep + path
    compiled = cli._PRECOMPILED
    try:
        info = os.stat(key)
    except OSError:
        compiled.pop(key, None)
        return
    signature = (info.st_mtime_ns, info.st_size, info.st_ino)
    entry = compiled.get(key)
    if entry is not None and entry[0] == signature:
        return
    compiled.pop(key, None)
    if not stat.S_ISREG(info.st_mode) or info.st_size > _PRECOMPILE_LIMIT or key.endswith(".pyc"):
        return
    try:
        with open(key, "rb") as stream:
            data = stream.read()
    except OSError:
        return
    import importlib.util
    import warnings

    if data[:2] == importlib.util.MAGIC_NUMBER[:2]:
        return  # bytecode: its runs load it, as the interpreter does
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            code = cli._compiler()(data, key)
        except Exception:
            return  # its run reports it, as the interpreter would
    if caught:
        return
    if len(compiled) >= 16:
        del compiled[next(iter(compiled))]
    compiled[key] = (signature, data, code)


def _hand_over(pid: int, channel: "Any", request: "Tuple[Any, List[int]]", children: "Dict[int, int]") -> None:
    """Give a request to a ready spare, which becomes its program."""
    message, fds = request
    children[pid] = fds[3]
    # The pid goes out first: the spare, once woken, tends to take this
    # process's CPU, and the caller would wait for it to give it back.
    _report(fds[3], b"P", pid)
    try:
        send_message(channel, message, fds)
    except OSError:
        pass  # it died just now: its status is reported as it is reaped
    channel.close()
    for fd in fds[:3]:
        os.close(fd)


def _fork_spare(
    control: "Any",
    children: "Dict[int, int]",
    pending: "List[Tuple[Any, List[int]]]",
    wake: "Tuple[int, int]",
    old_wakeup: int,
    die_with_zygote: "Any",
    zygote_pid: int,
    take_pages: "Any",
    notes_pages: bool,
) -> "Any":
    """Fork the child that will serve the next request, ahead of it.

    The fork and the child's own set-up then happen while the previous
    program runs (or while nothing does), not while a caller waits.  In the
    parent: ((pid, socket), None).  In the child, once its request has come:
    (None, (message, fds)).
    """
    import _socket

    ours, theirs = _socket.socketpair(_socket.AF_UNIX, _socket.SOCK_STREAM)
    pid = os.fork()
    if pid:
        theirs.close()
        return (pid, ours), None
    if die_with_zygote is not None:
        die_with_zygote()
        if os.getppid() != zygote_pid:  # it died before that took effect
            os.kill(os.getpid(), _signal.SIGKILL)
    ours.close()
    os.close(control.detach())  # the caller's going must reach the zygote alone
    for status_fd in children.values():
        os.close(status_fd)
    for _message, fds in pending:  # other callers' descriptors
        for fd in fds:
            os.close(fd)
    for fd in wake:
        os.close(fd)
    _signal.set_wakeup_fd(old_wakeup)
    if not notes_pages:
        _NOTE_PAGES[0] = None
    if take_pages is not None:
        take_pages(theirs.fileno())  # until the request comes
    message, fds = receive_message(theirs)
    theirs.close()
    if message is None or len(fds) != 4:
        os._exit(0)  # the zygote is shutting down
    return None, (message, fds)


def _exec_spare(die_with_zygote: "Any", zygote_pid: int, environ: "Dict[str, str]") -> "Tuple[int, Any]":
    """Start a new interpreter that imports what this one did and serves one request.

    Started like this process (same executable, script and environment),
    it draws a string-hash seed of its own.  Forked from here, not from the
    caller, so that it dies with this process, as forked spares do.
    """
    import _socket

    ours, theirs = _socket.socketpair(_socket.AF_UNIX, _socket.SOCK_STREAM)
    pid = os.fork()
    if pid:
        theirs.close()
        return pid, ours
    try:
        if die_with_zygote is not None:
            die_with_zygote()
            if os.getppid() != zygote_pid:
                os.kill(os.getpid(), _signal.SIGKILL)
        os.set_inheritable(theirs.fileno(), True)  # every other descriptor of this process closes at exec
        os.execve(sys.executable, [sys.executable, sys.argv[0], str(theirs.fileno()), "one", *sys.argv[3:]], environ)
    finally:
        os._exit(127)


def _page_taker() -> "Any":
    """The compiled function a spare copies its shared pages with while it waits (None: it waits idle)."""
    from . import _want_extensions

    if not _want_extensions() or "FASTRUNPY_SPARE_IDLE" in os.environ:
        return None
    try:
        from . import _zygote_memory
    except ImportError:  # not Linux, or a pure-Python install
        return None
    return _zygote_memory.take_pages


def _page_noter() -> "Any":
    """The compiled function a child lists the pages it wrote with at its exit, for the next spares (or None)."""
    from . import _zygote_memory

    return _zygote_memory.note_written_pages if _zygote_memory.share_page_list() else None


# In the zygote's children: what lists the pages a run wrote (see _page_noter).
_NOTE_PAGES: "List[Any]" = [None]


def _death_signal_setter() -> "Any":
    """A function that has the calling process killed when its parent dies (Linux), or None.

    A program forked here must not outlive a zygote that was killed: nothing
    would be left to reap it or to tell its caller how it ended.
    """
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes

        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (ImportError, OSError, AttributeError):
        return None
    set_parent_death_signal = 1  # PR_SET_PDEATHSIG

    def die_with_parent() -> None:
        prctl(set_parent_death_signal, int(_signal.SIGKILL), 0, 0, 0)

    return die_with_parent


def _on_child(signum: int, frame: "Any") -> None:
    """SIGCHLD: the wake-up descriptor has been written; the loop reaps."""


def _report(status_fd: int, kind: bytes, value: int) -> None:
    try:
        os.write(status_fd, kind + value.to_bytes(8, "big", signed=True))
    except OSError:
        pass  # the caller stopped listening


def _reap(children: "Dict[int, int]", spare_pids: "Set[int]") -> "Dict[int, int]":
    """Reap ended children and report each to its caller; return the spares among them (pid: status)."""
    ended_spares: Dict[int, int] = {}
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return ended_spares
        if pid == 0:
            return ended_spares
        status_fd = children.pop(pid, None)
        if status_fd is not None:
            _report(status_fd, b"S", status)
            os.close(status_fd)
        elif pid in spare_pids:
            ended_spares[pid] = status


def _shut_down(children: "Dict[int, int]", spares: "List[List[Any]]", pending: "List[Tuple[Any, List[int]]]") -> None:
    """The caller has gone (or the zygote can serve no more): nothing started here may outlive it."""
    for _message, fds in pending:
        for fd in fds:
            os.close(fd)
    pids = list(children) + [spare[0] for spare in spares]
    for pid in pids:
        try:
            os.kill(pid, _signal.SIGKILL)
        except OSError:
            pass
    for pid in pids:
        try:
            os.waitpid(pid, 0)
        except ChildProcessError:
            pass
    for status_fd in children.values():
        os.close(status_fd)
    os._exit(0)


# The signals an interpreter ignores itself at start-up, whatever it inherited.
PYTHONS_OWN_IGNORED = frozenset([getattr(_signal, name) for name in ("SIGPIPE", "SIGXFSZ") if hasattr(_signal, name)])
# What _take_signal_dispositions() leaves as it is: those, and the two no process can catch.
_DISPOSITIONS_KEPT = PYTHONS_OWN_IGNORED | {_signal.SIGKILL, _signal.SIGSTOP}


def _take_signal_dispositions(ignored: "List[int]") -> None:
    """The signal dispositions a new interpreter started by the caller would have.

    exec keeps the signals the caller ignores ignored and resets every
    handler; the interpreter then makes SIGINT raise KeyboardInterrupt unless
    it was ignored, and ignores SIGPIPE and SIGXFSZ itself (as this process
    already does).  This process has its own: SIGINT and SIGCHLD, and what
    it was started with.
    """
    for sig in _signal.valid_signals():
        if sig in _DISPOSITIONS_KEPT:
            continue
        if sig in ignored:
            wanted = _signal.SIG_IGN
        elif sig == _signal.SIGINT:
            wanted = _signal.default_int_handler
        else:
            wanted = _signal.SIG_DFL
        if _signal.getsignal(sig) != wanted:
            try:
                _signal.signal(sig, wanted)
            except (OSError, ValueError):
                pass  # one the C library reserves


def _become(message: "Dict[str, Any]", fds: "List[int]", cli: "Any", loaded: "Dict[str, Any]", exit_hook: "Any") -> "Any":
    """In the forked child: take on the request's process state; return the Launch to run."""
    # Registered first, so it runs after every handler the program registers.
    cli._exit_handlers().register(_last_exit_handler, loaded, exit_hook)
    _take_signal_dispositions(message["ignored_signals"])
    if message["blocked_signals"] is not None:
        _signal.pthread_sigmask(_signal.SIG_SETMASK, message["blocked_signals"])
    # The zygote's objects stay frozen: unfrozen, the program's collections
    # and its exit would walk (and copy, page by page) all of them.
    os.close(fds[3])  # the status socket: the zygote reports, not the program
    for target, fd in enumerate(fds[:3]):
        if fd != target:
            os.dup2(fd, target)
    for fd in set(fds[:3]):
        if fd > 2:
            os.close(fd)
    _reopen_stdio()
    os.chdir(message["cwd"])
    env = message["env"]
    # None: the caller's environment is this process's own.  Comparing the
    # two here would touch every string in os.environ, and each page that
    # holds one would be copied from the zygote's.
    if env is not None and env != os.environ:
        os.environ.clear()
        os.environ.update(env)
    if hasattr(sys, "orig_argv"):
        sys.orig_argv = [message["executable"]] + message["args"]
    # A __main__ of the program's own: the zygote's namespace is frozen, so
    # the collector would never free the program's globals at exit (and
    # never run their __del__ or flush their files).
    # What the interpreter put there beyond a module's own dunders, in its
    # order: __annotations__ (before 3.14) and __builtins__.
    zygote_main = sys.modules["__main__"].__dict__
    main = type(sys)("__main__")
    for key in zygote_main:
        if key == "__annotations__":
            main.__dict__[key] = {}
        elif key == "__builtins__":
            main.__dict__[key] = zygote_main[key]
    sys.modules["__main__"] = main
    return cli.Launch(message["args"])


def _last_exit_handler(loaded: "Dict[str, Any]", exit_hook: "Any") -> None:
    """After the program's own exit handlers: spare the zygote's modules, arm the exit hook.

    Tearing the zygote's modules down would free, object by object, what
    the child shares with the zygote, copying each page it touches:
    milliseconds, where the program's own run may take less.  A frozen
    cycle in the zygote holds them, so they leave sys.modules here and stay
    alive and untouched.  The program's own modules and __main__ are torn
    down as usual, and the collector runs as usual.
    """
    modules = sys.modules
    for name, module in loaded.items():
        if modules.get(name) is module:
            del modules[name]
    if exit_hook is not None:
        status = _exit_status()
        if status is not None:
            exit_hook.arm(status)
    note_pages = _NOTE_PAGES[0]
    if note_pages is not None:
        note_pages()  # what is left of the exit writes little of the zygote's memory


# How the program ended, as the process's exit status; None where unknown.
_PROGRAM_STATUS: "List[Optional[int]]" = [None]


class ProgramEnd:
    """The outermost context of a child's run: notes the exit status the program's end calls for."""

    def __enter__(self) -> None:
        _PROGRAM_STATUS[0] = None

    def __exit__(self, exc_type: "Any", exc: "Any", tb: "Any") -> None:
        from . import _cli

        status: Optional[int] = None
        if exc is None:
            status = 0
        elif isinstance(exc, SystemExit):
            code = exc.code
            if code is None:
                status = 0
            elif isinstance(code, int):
                # The interpreter hands a C int to exit(); the kernel keeps 8 bits.
                status = code & 0xFF if -(2**31) <= code < 2**31 else None
            else:
                status = 1  # the interpreter prints the object, then exits with 1
        if _cli._prompt_follows():
            status = None  # the prompt decides
        _PROGRAM_STATUS[0] = status


def _exit_status() -> "Optional[int]":
    """The status the interpreter's exit will end with, if nothing of it can still change it.

    What could: a thread still running (it may write to stdout after it was
    flushed here), and a flush of stdout or stderr that fails (the
    interpreter then ends with 120).  Flushing the interpreter's own streams
    here leaves its own flush nothing to do; a stream the program put in
    their place is left to the interpreter alone.
    """
    status = _PROGRAM_STATUS[0]
    if status is None:
        return None
    import _thread

    count = getattr(_thread, "_count", None)
    if count is None or count():
        return None
    for stream, own in ((sys.stdout, sys.__stdout__), (sys.stderr, sys.__stderr__)):
        if stream is None:
            continue
        if own is None or stream is not own:
            return None  # a stream of the program's: flushing it twice could show
        try:
            if own.closed:
                continue
        except BaseException:  # the interpreter skips a stream it cannot ask
            continue
        try:
            own.flush()
        except BaseException:  # the interpreter's flush will fail too: it reports it
            return None
    return status


def _exit_hook() -> "Any":
    """The compiled exit hook, installed in this process (None: the child exits as usual).

    Not where the interpreter prints something of its own after the point
    where the hook ends the process: -v, and the allocator and reference
    statistics.
    """
    from . import _want_extensions

    if not _want_extensions() or sys.flags.verbose or "showrefcount" in getattr(sys, "_xoptions", {}):
        return None
    if any(name in os.environ for name in ("PYTHONMALLOCSTATS", "PYTHONDUMPREFS", "PYTHONDUMPREFSFILE")):
        return None
    try:
        from . import _zygote_exit
    except ImportError:
        return None
    _zygote_exit.install()
    return _zygote_exit


def _reopen_stdio() -> None:
    """sys.stdin/stdout/stderr as the interpreter makes them for descriptors 0-2.

    The objects made at this process's start describe its own descriptors
    (line buffering follows whether they were terminals); the program's
    differ.  Encoding and error handler come from the same environment.
    """
    import io

    # -u or PYTHONUNBUFFERED (this process's own start-up had the same)
    unbuffered = bool(getattr(sys.__stdout__, "write_through", False))
    for fd, name, mode in ((0, "stdin", "rb"), (1, "stdout", "wb"), (2, "stderr", "wb")):
        old = getattr(sys, "__%s__" % name)
        try:
            os.fstat(fd)
        except OSError:
            setattr(sys, name, None)
            setattr(sys, "__%s__" % name, None)
            continue
        # stdin is always buffered: TextIOWrapper reads through read1().
        buffer = io.open(fd, mode, buffering=0 if unbuffered and fd else -1, closefd=False)
        raw: "Any" = getattr(buffer, "raw", buffer)
        raw.name = "<%s>" % name  # as the interpreter names them
        stream = io.TextIOWrapper(
            buffer,
            encoding=old.encoding if old is not None else None,
            errors=old.errors if old is not None else None,
            newline="\n",
            line_buffering=not unbuffered and (fd == 2 or raw.isatty()),
            write_through=unbuffered,
        )
        stream.mode = mode[0]  # type: ignore[misc]
        setattr(sys, name, stream)
        setattr(sys, "__%s__" % name, stream)
