"""Differential suite: every scenario runs under stdlib runpy and under fastrunpy, in fresh interpreters."""
