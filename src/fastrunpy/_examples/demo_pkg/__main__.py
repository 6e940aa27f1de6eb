"""Entry point of the demo package: what ``-m fastrunpy._examples.demo_pkg`` runs."""

import sys

from .tasks import GREETING, summary

print(GREETING)
print("argv:", sys.argv[1:])
print("summary:", summary(" ".join(sys.argv[1:]) or "run me with some words"))
