"""Example programs shipped with fastrunpy.

``fastrunpy bench`` times them when given no targets of its own (a one-line
script, a long script of small functions, a module inside a package), and
``python -m fastrunpy -m fastrunpy._examples.demo_pkg`` is the short demo.
"""
