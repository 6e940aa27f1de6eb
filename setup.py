"""Build the compiled core when possible; install pure Python otherwise.

Metadata lives in pyproject.toml; this file only decides about the extension.

Environment switches read at build time:

* ``FASTRUNPY_NO_EXTENSIONS`` (non-empty): skip the extension and produce a
  pure ``py3-none-any`` wheel.
* ``FASTRUNPY_CYTHON_TRACE`` (non-empty): debug build with Cython line tracing
  and profiling hooks, for coverage and profilers.
* ``CIBUILDWHEEL=1`` (set by cibuildwheel): a failed compile is an error, so a
  release wheel can never silently lack its compiled core.
"""

import os
import sys
import textwrap

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext
from setuptools.errors import CCompilerError, ExecError, PlatformError

SRC_DIR = "src"
CORE_PYX = "src/fastrunpy/_core.pyx"
# The small C headers the core includes (inotify, epoll, io_uring: kernel-notified validation).
CORE_HEADERS = ["src/fastrunpy/_kernel_watch.h", "src/fastrunpy/_kernel_ring.h"]
# The command line's compile(): a module of its own so that running a script
# does not need the core (see its docstring).
COMPILE_PYX = "src/fastrunpy/_compile.pyx"
# How a spawn()'s child leaves (see its docstring).
ZYGOTE_EXIT_PYX = "src/fastrunpy/_zygote_exit.pyx"
# A spawn() spare's pages, copied before its request (Linux only: /proc, madvise).
ZYGOTE_MEMORY_PYX = "src/fastrunpy/_zygote_memory.pyx"

# What cythonize() may rewrite on an Extension from the "# distutils:" header
# of the .pyx.  setuptools' own Cython hook copies back only the sources and
# would drop the rest.
_CYTHONIZED_ATTRS = (
    "sources",
    "depends",
    "define_macros",
    "undef_macros",
    "include_dirs",
    "library_dirs",
    "libraries",
    "runtime_library_dirs",
    "extra_objects",
    "extra_compile_args",
    "extra_link_args",
    "language",
)


def _env_flag(name):
    # Same rule as the package's import-time switch: any non-empty value.
    return bool(os.environ.get(name))


STRICT = os.environ.get("CIBUILDWHEEL") == "1"
TRACE = _env_flag("FASTRUNPY_CYTHON_TRACE")


class BuildFailed(Exception):
    pass


def _warn_pure_fallback(reason):
    banner = "*" * 75
    message = textwrap.dedent(
        """
        WARNING: the compiled core of fastrunpy could not be built:
            {reason}
        fastrunpy is being installed as pure Python instead. It behaves the
        same, only slower. To get the speed, install a C compiler and the
        Python headers, then reinstall; set FASTRUNPY_NO_EXTENSIONS=1 to
        choose the pure-Python build on purpose and silence this warning.
        """
    ).format(reason=reason)
    sys.stderr.write("\n{0}{1}{0}\n\n".format(banner, message))
    sys.stderr.flush()


class OptionalBuildExt(build_ext):
    """build_ext that cythonizes lazily and tolerates a missing compiler."""

    def run(self):
        try:
            super().run()
        except PlatformError as exc:  # no usable compiler at all
            raise BuildFailed(exc) from exc

    def build_extension(self, ext):
        self._cythonize(ext)
        try:
            super().build_extension(ext)
        except (CCompilerError, ExecError, PlatformError) as exc:
            raise BuildFailed(exc) from exc

    def _cythonize(self, ext):
        # Imported here, not at the top, so that sdist and metadata builds
        # never need Cython.
        try:
            from Cython.Build import cythonize
            from Cython.Compiler.Errors import CompileError
        except ImportError as exc:
            raise BuildFailed("Cython is not installed ({})".format(exc)) from exc

        directives = {"language_level": 3}
        if TRACE:
            directives.update(linetrace=True, profile=True)
        # The C file goes under build/, one per flavour: cythonize() decides
        # by timestamps alone, so a shared file would let a trace build reuse
        # untraced C (or the reverse).
        c_dir = os.path.abspath(os.path.join(self.build_temp, "cython-trace" if TRACE else "cython"))
        # Cython names each source in tracebacks by its path relative to the
        # working directory.  Translated from inside src/, that is
        # "fastrunpy/_core_py.py": relative to the sys.path entry the package
        # is installed in, so linecache (and every traceback printer) finds
        # the installed file, where "src/fastrunpy/..." exists nowhere.
        src_dir = os.path.abspath(SRC_DIR)
        ext.sources = [os.path.relpath(os.path.abspath(source), src_dir) for source in ext.sources]
        here = os.getcwd()
        os.chdir(src_dir)
        try:
            (generated,) = cythonize(
                [ext],
                compiler_directives=directives,
                build_dir=c_dir,
                force=self.force,
                quiet=not self.verbose,
            )
        except CompileError as exc:
            raise BuildFailed("Cython could not translate {}: {}".format(ext.name, exc)) from exc
        finally:
            os.chdir(here)
        for attr in _CYTHONIZED_ATTRS:
            setattr(ext, attr, getattr(generated, attr))
        ext.sources = [os.path.join(src_dir, source) for source in ext.sources]
        if TRACE:
            # Added after cythonize(): a "# distutils: define_macros" line in
            # the .pyx replaces the Extension's own list instead of adding to it.
            ext.define_macros = list(ext.define_macros) + [("CYTHON_TRACE_NOGIL", "1")]


def _extensions():
    if _env_flag("FASTRUNPY_NO_EXTENSIONS"):
        return []
    extensions = [
        Extension(
            "fastrunpy._core",
            [CORE_PYX],
            include_dirs=[os.path.abspath(os.path.dirname(CORE_PYX))],
            depends=[os.path.abspath(header) for header in CORE_HEADERS],
        ),
        Extension("fastrunpy._compile", [COMPILE_PYX]),
        Extension("fastrunpy._zygote_exit", [ZYGOTE_EXIT_PYX]),
    ]
    if sys.platform.startswith("linux"):
        extensions.append(Extension("fastrunpy._zygote_memory", [ZYGOTE_MEMORY_PYX]))
    return extensions


def _setup(ext_modules):
    setup(ext_modules=ext_modules, cmdclass={"build_ext": OptionalBuildExt})


def main():
    ext_modules = _extensions()
    if not ext_modules:
        _setup([])
        return
    try:
        _setup(ext_modules)
    except BuildFailed as exc:
        if STRICT:
            sys.stderr.write(
                "ERROR: fastrunpy's compiled core failed to build under "
                "cibuildwheel; refusing to ship a wheel without it.\n"
            )
            raise
        _warn_pure_fallback(exc)
        _setup([])


main()
