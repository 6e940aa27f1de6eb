"""``python -m fastrunpy``: see ``fastrunpy --help``.

The program runs here, in this module's own frame and namespace (the
interpreter's ``__main__``, emptied by prepare()), so that no frame of
fastrunpy's stays under it: only this one, as any ``python -m`` has.  Once
prepare() has run, nothing here may bind or look up a global name: the
namespace is the program's.
"""

if __name__ == "__main__":
    from fastrunpy._cli import Launch as _Launch

    _launch = _Launch()
    with _launch, _launch.catching():
        exec(*_launch.prepare())
