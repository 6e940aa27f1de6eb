"""The warm process behind ``fastrunpy.spawn()``: started as a script, forks a child per run.

Run by path (``python .../_zygote_main.py FD``), not by ``-m``: a fresh
``python tool.py`` has not imported runpy, and the child must not have
either.  serve() returns only in a forked child, with the request's
command line; the program then runs here, in this file's frame and
namespace (the interpreter's ``__main__``, emptied by prepare()), as
``python -m fastrunpy`` runs it in ``__main__.py``.  Once prepare() has run,
nothing here may bind or look up a global name: the namespace is the
program's.
"""

if __name__ == "__main__":
    import sys as _sys

    _fresh = list(_sys.modules)  # what a fresh interpreter has loaded before its program
    from fastrunpy._zygote import ProgramEnd as _ProgramEnd, serve as _serve

    _launch = _serve(_fresh)
    with _ProgramEnd(), _launch, _launch.catching():
        exec(*_launch.prepare())
