"""The ``fastrunpy`` command: start a program exactly as the interpreter would.

``fastrunpy -m MOD args`` must be indistinguishable, to the program, from
``python -m MOD args``; ``fastrunpy PATH args`` from ``python PATH args``.
The interpreter's own start-up leaves traces that differ between the two
(``sys.argv``, ``sys.path[0]``, the ``__main__`` namespace), so before the
target runs every one of them is put back the way the interpreter would
have left it for the target, and after a failure the report on stderr is
the interpreter's, without this module's frames.

``fastrunpy bench ...`` is the timing tool in ``_bench``.
"""

import importlib.machinery  # loaded already: runpy and fastrunpy's core import it
import importlib.util
import os
import sys

# Nothing the program could shadow: until it runs, import only what runpy
# (which ``python -m`` has loaded to start us) imports itself.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from types import FrameType, TracebackType
    from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from . import _SETS_CACHED as SETS_CACHED, __version__, _backported_change as backported_change

USAGE = "usage: fastrunpy [-h] [-V] (-m MOD | PATH | - | bench | install-site | uninstall-site) [args ...]"

HELP = """\
{usage}

Run a Python program the way the interpreter does, through fastrunpy.

  fastrunpy -m MOD [args ...]   as `python -m MOD [args ...]`
  fastrunpy PATH [args ...]     as `python PATH [args ...]`: a script, a .pyc
                                file, or a directory or zip file holding
                                __main__.py
  fastrunpy - [args ...]        as `python - [args ...]`: the program is read
                                from stdin
  fastrunpy bench [...]         time stdlib runpy against fastrunpy
                                (`fastrunpy bench --help`)
  fastrunpy install-site        make every interpreter of this environment
                                use fastrunpy as its runpy (`python -m`,
                                pdb, cProfile, ...): writes a .pth file into
                                site-packages; FASTRUNPY_NO_INSTALL=1 skips
                                it for one process
  fastrunpy uninstall-site      remove that .pth file again

Options (only before the target; everything after MOD or PATH is the
program's own):
  -h, --help      show this help and exit
  -V, --version   show the version and the implementation in use, and exit
  --              the next argument is PATH, even if it is a command name
                  such as `bench` or starts with `-`

Interpreter options (-P, -I, -O, -W, -X ...) go to the interpreter:
`python -P -m fastrunpy script.py`.
"""

# Keys the interpreter's __main__ namespace holds before any program code
# runs; anything else in it came from this command's own start-up.
_BASELINE_KEYS = frozenset(
    ("__name__", "__doc__", "__package__", "__loader__", "__spec__", "__annotations__", "__builtins__")
)
# Modules whose frames are this command's plumbing, never part of the program.
_OWN_PREFIX = "fastrunpy."


class _Usage(Exception):
    """A command line this command cannot run (reported in one line, exit 2)."""


def main(argv: "Optional[Sequence[str]]" = None) -> int:
    """The console script: run the command line ``argv`` (default: ``sys.argv[1:]``).

    Returns 0 once the program has finished normally; every other outcome
    leaves by SystemExit, as it would leave the interpreter, except where
    the interactive prompt follows (-i): then the failure is reported and 1
    returned.  (``python -m fastrunpy`` runs the program in __main__.py's
    own frame instead, so no frame of this module stays under it.)
    """
    launch = Launch(argv)
    with launch, launch.catching():
        exec(*launch.prepare())
    if _prompt_follows():
        _absorb_wrapper_exit()  # the wrapper passes our result to sys.exit()
    return launch.status


def _nothing_to_run() -> "Any":
    """What prepare() hands over when there is no program to run (--help, bench, or run natively).

    Compiled on demand: the first compile() in a process sets up the ast
    module's types, a cost no launch of a program should pay.
    """
    return compile("", "<fastrunpy>", "exec", dont_inherit=True)


class Launch:
    """One command line: ``prepare()`` sets the program up; running it is the caller's.

    The caller executes the code in the namespace prepare() returns, in its
    own frame, inside ``with launch, launch.catching():``.  The inner
    context takes the program's uncaught exception; the outer one reports
    it once no exception is being handled any more, as the interpreter does.
    Neither needs a name in the namespace, which is the program's.
    """

    def __init__(self, argv: "Optional[Sequence[str]]" = None) -> None:
        self.args = list(sys.argv[1:] if argv is None else argv)
        self.namespace: "Optional[Dict[str, Any]]" = None  # a script's, cleaned up after it
        self.through_runpy = False
        self.failure: "Optional[BaseException]" = None
        self.status = 0

    def prepare(self) -> "Tuple[Any, Dict[str, Any]]":
        """(code, namespace) of the program, with sys set up as the interpreter would."""
        try:
            return _dispatch(self, self.args)
        except _Usage as exc:
            sys.stderr.write(f"fastrunpy: {exc}\n{USAGE}\n")
            raise SystemExit(2) from None

    def catching(self) -> "_Catching":
        return _Catching(self)

    def __enter__(self) -> None:
        return None

    def __exit__(self, exc_type: "Any", exc: "Any", tb: "Any") -> None:
        if exc is None:
            failure, self.failure = self.failure, None
            self.status = _ended(failure, self.through_runpy, self.namespace)


class _Catching:
    """Takes the program's uncaught exception; SystemExit leaves as it would leave the interpreter."""

    def __init__(self, launch: Launch) -> None:
        self.launch = launch

    def __enter__(self) -> None:
        return None

    def __exit__(self, exc_type: "Any", exc: "Any", tb: "Any") -> bool:
        if exc is None:
            return False
        # With -i the interpreter reports even SystemExit as a traceback and
        # then opens its prompt; otherwise it ends the process as asked.
        if isinstance(exc, SystemExit) and not _prompt_follows():
            if _CLEANS_UP_BEFORE_REPORTING:
                _forget_script(self.launch.namespace)
            return False
        self.launch.failure = exc
        return True


def _dispatch(launch: Launch, args: "List[str]") -> "Tuple[Any, Dict[str, Any]]":
    if not args:
        raise _Usage("a target is required: -m MOD, PATH, - or bench")
    first = args[0]
    if first in ("-h", "--help"):
        sys.stdout.write(HELP.format(usage=USAGE))
        return _nothing_to_run(), {}
    if first in ("-V", "--version"):
        sys.stdout.write(_version_line() + "\n")
        return _nothing_to_run(), {}
    if first == "bench":
        from . import _bench

        status = _bench.main(args[1:])
        if status:
            raise SystemExit(status)
        return _nothing_to_run(), {}
    if first in ("install-site", "uninstall-site"):
        _site_hook(first, args[1:])
        return _nothing_to_run(), {}
    _arm_sigint_exit()
    if first == "-m":
        if len(args) < 2:
            raise _Usage("argument expected for the -m option")
        return _module_target(launch, args[1], args[2:])
    if first.startswith("-m"):  # the interpreter accepts -mMOD too
        return _module_target(launch, first[2:], args[1:])
    if first == "--":
        if len(args) < 2:
            raise _Usage("a PATH is expected after --")
        return _path_target(launch, args[1], args[2:])
    if first == "-":
        return _stdin_target(launch, args[1:])
    if first.startswith("-"):
        raise _Usage(f"unknown option {first}")
    return _path_target(launch, first, args[1:])


def _site_hook(command: str, rest: "List[str]") -> None:
    """install-site / uninstall-site: the .pth hook in this environment's site-packages."""
    from . import _install

    if rest:
        raise _Usage(f"{command} takes no arguments")
    try:
        if command == "install-site":
            path = _install.install_site()
            sys.stdout.write(f"installed: {path}\n")
            sys.stdout.write("every interpreter of this environment now imports fastrunpy as runpy\n")
        else:
            removed = _install.uninstall_site()
            sys.stdout.write(f"removed: {removed}\n" if removed else "not installed here: nothing to remove\n")
    except OSError as exc:
        sys.stderr.write(f"fastrunpy {command}: {exc}\n")
        raise SystemExit(1) from None


def _version_line() -> str:
    from . import IMPLEMENTATION

    return (
        f"fastrunpy {__version__} ({IMPLEMENTATION} implementation) on "
        f"{_python_implementation()} {_python_version()}"
    )


# What platform.python_implementation() and python_version() say, without
# importing platform (a program's platform.py may sit on sys.path).
_IMPLEMENTATION_NAMES = {"cpython": "CPython", "pypy": "PyPy", "ironpython": "IronPython", "jython": "Jython"}


def _python_implementation() -> str:
    name = sys.implementation.name
    return _IMPLEMENTATION_NAMES.get(name, name)


def _python_version() -> str:
    # The leading "X.Y.Z" of sys.version, as platform reads it ("3.13.0rc1" stays whole).
    return sys.version.split(None, 1)[0]


# --- what the interpreter would have set up ---------------------------------


def _program_name() -> str:
    """The name the interpreter prints in its own error lines: its argv[0]."""
    orig_argv: Optional[List[str]] = getattr(sys, "orig_argv", None)
    if orig_argv:
        return orig_argv[0]
    try:  # 3.9 keeps no copy of the process's argv; Linux still has it
        with open("/proc/self/cmdline", "rb") as stream:
            first = stream.read().split(b"\0", 1)[0]
        if first:
            return os.fsdecode(first)
    except OSError:
        pass
    return sys.executable or "python3"


def _interpreter_adds_path0() -> bool:
    """Whether the interpreter put a directory at sys.path[0] before running us.

    -P / PYTHONSAFEPATH (3.11+) and -I stop it for scripts and -m; the same
    setting must then stop it for the target.
    """
    if getattr(sys.flags, "safe_path", False):
        return False
    return not sys.flags.isolated


def _set_path0(entry: str, always: bool = False) -> None:
    """Make sys.path[0] what the interpreter would have put there for the target.

    The interpreter inserted an entry for this command itself (unless
    disabled), so that one is replaced; directories and zip files get their
    entry even under -P, so then it is inserted.
    """
    if _interpreter_adds_path0():
        if not sys.path:
            sys.path.insert(0, entry)
            return
        ours = sys.path[0]
        sys.path[0] = entry
        if ours not in sys.path[1:]:
            # Finding this command cached a finder for the entry made for
            # it; the program's own start-up would not have looked there yet.
            sys.path_importer_cache.pop(ours, None)
    elif always:
        sys.path.insert(0, entry)


def _abspath(path: str) -> str:
    # The interpreter joins the working directory and the argument without
    # normalising ("./a/../b.py" stays as written), so __file__ does too.
    if os.path.isabs(path):
        return path
    return os.getcwd() + os.sep + path


def _main_namespace(keep_file: bool) -> "Dict[str, Any]":
    """The real __main__ namespace, as it was before this command's own code ran."""
    # Not "from importlib.machinery import": see _core_py (3.14 imports warnings).
    BuiltinImporter = importlib.machinery.BuiltinImporter
    namespace: Dict[str, Any] = sys.modules["__main__"].__dict__
    launcher = namespace.get("__file__")
    if isinstance(launcher, str) and launcher in sys.path_importer_cache:
        # Started as a console script: the interpreter noted that script as
        # "not an import path entry"; it would never have seen it.
        if sys.path_importer_cache[launcher] is None:
            del sys.path_importer_cache[launcher]
    keep = _BASELINE_KEYS | {"__file__", "__cached__"} if keep_file else _BASELINE_KEYS
    for key in [key for key in namespace if key not in keep]:
        del namespace[key]
    namespace["__name__"] = "__main__"
    namespace["__doc__"] = None
    namespace["__package__"] = None
    namespace["__loader__"] = BuiltinImporter
    namespace["__spec__"] = None
    return namespace


def _path_entry_importer(path: str) -> "Any":
    """The importer sys.path would use for ``path``, or None for a plain file.

    The interpreter asks the path hooks itself and records a plain file as
    None in sys.path_importer_cache; programs can see that, so do the same.
    """
    cache = sys.path_importer_cache
    if path in cache:
        return cache[path]
    cache[path] = None
    for hook in sys.path_hooks:
        try:
            importer = hook(path)
        except ImportError:
            continue
        cache[path] = importer
        return importer
    return None


# --- the three kinds of target ------------------------------------------------


def _module_target(launch: Launch, mod_name: str, rest: "List[str]") -> "Tuple[Any, Dict[str, Any]]":
    # While the module is looked up (and its parent packages run), the
    # interpreter shows '-m' as argv[0]; runpy then replaces it.
    sys.argv[:] = ["-m"] + rest
    _set_path0(os.getcwd())
    _main_namespace(keep_file=False)
    launch.through_runpy = True
    return _main_module(mod_name)


def _path_target(launch: Launch, path: str, rest: "List[str]") -> "Tuple[Any, Dict[str, Any]]":
    sys.argv[:] = [path] + rest
    full_path = _abspath(path)
    try:
        importer = _path_entry_importer(full_path)
    except Exception:
        sys.stderr.write("Failed checking if argv[0] is an import path entry\n")
        raise
    if importer is not None:
        _set_path0(full_path, always=True)
        _main_namespace(keep_file=False)
        launch.through_runpy = True
        return _main_module(None)
    if _interpreter_adds_path0():
        _set_path0(os.path.dirname(os.path.realpath(path)))
    return _script(launch, full_path)


def _main_module(mod_name: "Optional[str]") -> "Tuple[Any, Dict[str, Any]]":
    """-m MOD (or, with None, a directory's __main__), up to the point runpy executes it.

    Done by the implementation ``import fastrunpy`` chose (its caches
    included); the caller executes the code, so no frame of ours stays
    under the program.
    """
    import fastrunpy

    # Looked up by name: the package picks its implementation at import time.
    prepare_main: "Callable[[str, bool], Tuple[Any, Dict[str, Any]]]" = getattr(fastrunpy, "_prepare_main")
    if mod_name is None:
        return prepare_main("__main__", False)
    return prepare_main(mod_name, True)


def _stdin_target(launch: Launch, rest: "List[str]") -> "Tuple[Any, Dict[str, Any]]":
    sys.argv[:] = ["-"] + rest
    _set_path0("")
    namespace = _main_namespace(keep_file=False)
    namespace["__file__"] = "<stdin>"
    if SETS_CACHED:
        namespace["__cached__"] = None
    launch.namespace = namespace
    return _source_code(sys.stdin.buffer.read(), "<stdin>", namespace), namespace


def _script(launch: Launch, full_path: str) -> "Tuple[Any, Dict[str, Any]]":
    sys.audit("cpython.run_file", full_path)
    try:
        with open(full_path, "rb") as stream:
            data = stream.read()
    except OSError as exc:
        sys.stderr.write(
            f"{_program_name()}: can't open file {full_path!r}: [Errno {exc.errno}] {exc.strerror}\n"
        )
        raise SystemExit(2) from None
    namespace = _main_namespace(keep_file=False)
    namespace["__file__"] = full_path
    if SETS_CACHED:
        namespace["__cached__"] = None
    launch.namespace = namespace
    SourceFileLoader = importlib.machinery.SourceFileLoader
    SourcelessFileLoader = importlib.machinery.SourcelessFileLoader
    MAGIC_NUMBER = importlib.util.MAGIC_NUMBER

    # The interpreter treats a file as bytecode by its name or by the first
    # half of the magic number, whatever the name.
    compiled = full_path.endswith(".pyc") or data[:2] == MAGIC_NUMBER[:2]
    if compiled:
        namespace["__loader__"] = SourcelessFileLoader("__main__", full_path)
        return _bytecode(data), namespace
    namespace["__loader__"] = SourceFileLoader("__main__", full_path)
    return _source_code(data, full_path, namespace), namespace


def _compiler() -> "Callable[[bytes, str], Any]":
    """compile(source, filename, "exec", dont_inherit=True), from _compile where it was built.

    _compile skips the set-up compile() does on its first call; it follows
    the same switch as the package's choice of implementation.
    """
    from . import _want_extensions

    if _want_extensions():
        try:
            from ._compile import compile_program
        except ImportError:
            pass
        else:
            return compile_program
    return _compile_by_builtin


def _compile_by_builtin(source: bytes, filename: str) -> "Any":
    return compile(source, filename, "exec", dont_inherit=True)


# Scripts a spawn() zygote compiled ahead (see _zygote._precompile): path ->
# (the file's signature, its bytes, their code).  Used only for the very
# bytes it was compiled from, under the same name; empty everywhere else.
_PRECOMPILED: "Dict[str, Tuple[Any, bytes, Any]]" = {}


def _source_code(data: bytes, filename: str, namespace: "Dict[str, Any]") -> "Any":
    ahead = _PRECOMPILED.get(filename)
    if ahead is not None and ahead[1] == data:
        return ahead[2]
    rejected: Optional[Exception] = None
    try:
        return _compiler()(data, filename)
    except (SyntaxError, ValueError) as exc:
        rejected = exc
    # The interpreter parses a script from a C stream, and that parser
    # reports some errors differently from compile() (where an unclosed
    # bracket or a missing block ends, NUL bytes): let the interpreter's own
    # file runner take the same bytes.  Outside the except block, so its
    # error is not chained to compile()'s.
    if _run_file_natively(data, filename, namespace):
        return _nothing_to_run()  # it ran there (and raised, if it was to)
    raise rejected


def _import_outside_program(name: str) -> "Any":
    """Import a standard module without looking in the program's own directory.

    By now sys.path[0] is the program's directory, where a file of the same
    name would be found first; ``python PROGRAM`` never imports it, so the
    search skips that entry.
    """
    if name in sys.modules or not _interpreter_adds_path0() or not sys.path:
        return __import__(name)
    program_entry = sys.path.pop(0)
    try:
        return __import__(name)
    finally:
        sys.path.insert(0, program_entry)


def _run_file_natively(data: bytes, filename: str, namespace: "Dict[str, Any]") -> bool:
    """Run ``data`` as ``python FILE`` would (PyRun_FileExFlags); False if this platform cannot."""
    try:
        ctypes = _import_outside_program("ctypes")
        fmemopen = ctypes.CFUNCTYPE(ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t, ctypes.c_char_p)(
            ("fmemopen", ctypes.CDLL(None))
        )
        run_file = ctypes.PYFUNCTYPE(
            ctypes.py_object,
            ctypes.c_void_p,
            ctypes.c_char_p,
            ctypes.c_int,
            ctypes.py_object,
            ctypes.py_object,
            ctypes.c_int,
            ctypes.c_void_p,
        )(("PyRun_FileExFlags", ctypes.pythonapi))
    except (ImportError, OSError, AttributeError):
        return False
    stream = fmemopen(data, len(data), b"r")
    if not stream:
        return False
    file_input = 257  # Py_file_input, the same in every CPython 3
    run_file(stream, os.fsencode(filename), file_input, namespace, namespace, 1, None)
    return True


def _bytecode(data: bytes) -> "Any":
    import marshal
    MAGIC_NUMBER = importlib.util.MAGIC_NUMBER
    from types import CodeType

    if data[:4] != MAGIC_NUMBER:
        raise RuntimeError("Bad magic number in .pyc file")
    code = marshal.loads(data[16:])  # past magic, flags and two 4-byte fields
    if not isinstance(code, CodeType):
        raise RuntimeError("Bad code object in .pyc file")
    return code


# --- failures, reported as the interpreter reports them -----------------------


def _ended(failure: "Optional[BaseException]", through_runpy: bool, namespace: "Optional[Dict[str, Any]]") -> int:
    """After the program: an uncaught exception is reported as the interpreter reports it.

    Called with no exception being handled, as the interpreter's hook runs
    (sys.exc_info() shows that).  ``namespace`` is a script's, whose
    ``__file__`` and ``__cached__`` the interpreter removes once it is over.
    """
    if failure is None:
        _forget_script(namespace)
        return 0
    if _CLEANS_UP_BEFORE_REPORTING:
        _forget_script(namespace)
    try:
        _report(failure, _launcher_frames() if through_runpy else [])
    finally:
        _forget_script(namespace)
    if isinstance(failure, KeyboardInterrupt):
        _SIGINT_EXIT[0] = True
    del failure
    if _prompt_follows():
        # The prompt opens next with sys.last_value the program's own
        # exception; a SystemExit of ours would replace it, and be shown.
        return 1
    raise SystemExit(1)


def _prompt_follows() -> bool:
    """Whether the interpreter opens its interactive prompt once the program ends.

    It does under -i, or when PYTHONINSPECT is set (it reads that variable
    again at the end, so the program may set it), if stdin is a terminal or
    -i was given.
    """
    inspect = sys.flags.inspect or (not sys.flags.ignore_environment and os.environ.get("PYTHONINSPECT"))
    if not inspect:
        return False
    if sys.flags.interactive:
        return True
    try:
        return os.isatty(0)
    except OSError:
        return False


_LAST_EXCEPTION_NAMES = ("last_type", "last_value", "last_traceback", "last_exc")


def _absorb_wrapper_exit() -> None:
    """Hide the console script's own ``sys.exit(main())`` from the prompt that follows.

    Under -i the interpreter reports that SystemExit like any exception and
    records it in sys.last_value, where ``python -i PROGRAM`` would leave the
    program's own exception (or nothing).  A hook that removes itself on
    first use puts back what the program left and reports nothing.
    """
    program_hook = sys.excepthook
    left = {name: getattr(sys, name) for name in _LAST_EXCEPTION_NAMES if hasattr(sys, name)}

    def absorb(exc_type: "Any", exc: "Any", tb: "Any") -> None:
        sys.excepthook = program_hook
        if not isinstance(exc, SystemExit):
            program_hook(exc_type, exc, tb)
            return
        for name in _LAST_EXCEPTION_NAMES:
            if name in left:
                setattr(sys, name, left[name])
            elif hasattr(sys, name):
                delattr(sys, name)

    sys.excepthook = absorb


# The interpreter removes a script's __file__ before it reports how the
# script ended (SystemExit included), so the excepthook and exit handlers no
# longer see it; before these releases both ran first.
_CLEANS_UP_BEFORE_REPORTING = backported_change((3, 13, 15), (3, 14, 7), (3, 15, 0, "beta", 4))


def _forget_script(namespace: "Optional[Dict[str, Any]]") -> None:
    if namespace is not None:
        namespace.pop("__file__", None)
        namespace.pop("__cached__", None)


# ``python -m fastrunpy`` runs the program in __main__.py's frame, and a
# spawn()'s child in _zygote_main.py's.
_MAIN_FILES = (
    os.path.join(os.path.dirname(__file__), "__main__.py"),
    os.path.join(os.path.dirname(__file__), "_zygote_main.py"),
)


def _is_own(frame: "FrameType") -> bool:
    name = frame.f_globals.get("__name__")
    if isinstance(name, str) and name.startswith(_OWN_PREFIX):
        return True
    return frame.f_code.co_filename in _MAIN_FILES


def _launcher_frames() -> "List[FrameType]":
    """The runpy frames of ``python -m fastrunpy``, outermost first.

    ``python -m MOD`` (and ``python DIR``) tracebacks start with the frames
    of runpy running MOD; the same runpy frames are running fastrunpy, at
    the same lines, so they stand in for them.  A console script has none.
    """
    chain: List[FrameType] = []
    frame: Optional[FrameType] = sys._getframe()
    while frame is not None:
        chain.append(frame)
        frame = frame.f_back
    outer: List[FrameType] = []
    for frame in reversed(chain):
        if frame.f_globals.get("__name__") != "runpy":
            break
        outer.append(frame)
    return outer


def _traceback_type() -> "type[TracebackType]":
    # types.TracebackType, taken from a traceback instead of importing types:
    # a failing program may have put its own types.py first on sys.path.
    try:
        raise _Usage
    except _Usage as exc:
        tb = exc.__traceback__
    assert tb is not None
    return type(tb)


_TracebackType = _traceback_type()


def _program_traceback(tb: "Optional[TracebackType]", outer: "List[FrameType]") -> "Optional[TracebackType]":
    while tb is not None and _is_own(tb.tb_frame):
        tb = tb.tb_next
    for frame in reversed(outer):
        tb = _TracebackType(tb, frame, frame.f_lasti, frame.f_lineno)
    return tb


def _report(exc: BaseException, outer: "List[FrameType]") -> None:
    """What the interpreter does with an uncaught exception (PyErr_Print)."""
    tb = _program_traceback(exc.__traceback__, outer)
    exc.__traceback__ = tb
    exc_type = type(exc)
    for stream in (sys.stderr, sys.stdout):
        try:
            if stream is not None:
                stream.flush()
        except Exception:
            pass
    sys.last_type, sys.last_value, sys.last_traceback = exc_type, exc, tb
    if sys.version_info >= (3, 12):
        sys.last_exc = exc
    hook = getattr(sys, "excepthook", None)
    sys.audit("sys.excepthook", hook, exc_type, exc, tb)
    if hook is None:
        sys.stderr.write("sys.excepthook is missing\n")
        sys.__excepthook__(exc_type, exc, tb)
        return
    hook_failure: Optional[BaseException] = None
    try:
        hook(exc_type, exc, tb)
    except SystemExit:
        raise
    except BaseException as hook_exc:  # noqa: B902
        hook_failure = hook_exc
    if hook_failure is not None:
        hook_tb = hook_failure.__traceback__
        hook_tb = hook_tb.tb_next if hook_tb is not None else None  # our call of the hook
        hook_failure.__traceback__ = hook_tb  # what the display shows, whatever tb it is given
        try:
            sys.stdout.flush()
        except Exception:
            pass
        sys.stderr.write("Error in sys.excepthook:\n")
        sys.__excepthook__(type(hook_failure), hook_failure, hook_tb)
        sys.stderr.write("\nOriginal exception was:\n")
        sys.__excepthook__(exc_type, exc, tb)


# An uncaught KeyboardInterrupt ends the interpreter by SIGINT once it has
# finished shutting down, so the parent sees "killed by SIGINT".  An exit
# handler registered before the program's own runs after all of them.
_SIGINT_EXIT = [False]


def _arm_sigint_exit() -> None:
    _exit_handlers().register(_exit_by_sigint)


def _exit_handlers() -> "Any":
    """The atexit module, if possible without adding it to sys.modules.

    The program has not imported atexit yet and must not find it imported
    (``python -m`` does not import it).  From 3.10 the exit handlers belong
    to the interpreter, not to a module object, so a private instance of the
    built-in module registers into the same list the program's ``atexit``
    will.  On 3.9 each instance keeps its own list, and only the one created
    last is run at exit: there the shared module must be imported.
    """
    if sys.version_info >= (3, 10) and "atexit" not in sys.modules:
        BuiltinImporter = importlib.machinery.BuiltinImporter
        spec = BuiltinImporter.find_spec("atexit")
        if spec is not None:
            module = BuiltinImporter.create_module(spec)
            if module is not None:
                BuiltinImporter.exec_module(module)
                return module
    import atexit

    return atexit


def _exit_by_sigint() -> None:
    if not _SIGINT_EXIT[0]:
        return
    # The built-in _signal, not signal.py: a program's own signal.py next
    # to it must not be imported on its way out.
    import _signal  # type: ignore[import-not-found]  # (no stub; same API as signal)

    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:
                stream.flush()
        except Exception:
            pass
    _signal.signal(_signal.SIGINT, _signal.SIG_DFL)
    os.kill(os.getpid(), _signal.SIGINT)
