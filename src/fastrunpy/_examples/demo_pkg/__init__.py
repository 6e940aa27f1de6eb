"""A small package: ``python -m fastrunpy -m fastrunpy._examples.demo_pkg``."""
