"""Differential scenarios played twice: through run_path / run_module calls, and through prepared handles.

A handle (``prepare_path`` / ``prepare_module``) promises that each ``.run()``
does exactly what the matching call would do at that moment, whatever
changed in between; replaying every scenario through handles checks that
promise against stdlib step by step.  Scenario modules opt in with
``pytestmark = pytest.mark.usefixtures("through")``; the harness's own tests
swap in deliberately wrong runpys, which have no handles.
"""

from typing import Iterator

import pytest

from . import _harness


@pytest.fixture(params=["calls", "handles"])
def through(request: pytest.FixtureRequest) -> Iterator[str]:
    _harness.THROUGH[0] = request.param
    yield request.param
    _harness.THROUGH[0] = "calls"
