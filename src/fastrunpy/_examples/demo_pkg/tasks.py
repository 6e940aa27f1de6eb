"""A small module of a package, timed by ``fastrunpy bench`` with ``run_module``."""

from typing import Dict, List

GREETING = "hello from a package module"


class Counter:
    """Counts words, to give the module a class as well as functions."""

    def __init__(self) -> None:
        self.counts: Dict[str, int] = {}

    def add(self, words: List[str]) -> None:
        for word in words:
            self.counts[word] = self.counts.get(word, 0) + 1


def split(text: str) -> List[str]:
    return text.lower().split()


def summary(text: str) -> str:
    counter = Counter()
    counter.add(split(text))
    common = sorted(counter.counts.items(), key=lambda item: (-item[1], item[0]))[:3]
    return ", ".join(f"{word}={count}" for word, count in common)


if __name__ == "__main__":
    print(summary("the quick brown fox jumps over the lazy dog the end"))
