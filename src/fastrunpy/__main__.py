"""``python -m fastrunpy``: see ``fastrunpy --help``.

The program fastrunpy starts runs in this very namespace (the interpreter's
``__main__``), so nothing here may look up a global name after the call.
"""

if __name__ == "__main__":
    from fastrunpy._cli import main as _main

    _main(as_module=True)
