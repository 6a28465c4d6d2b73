"""Reusable pytest fixtures. Use from any conftest.py:

    from tests.standin.pytest_plugin import standin, standin_module  # noqa: F401

`standin` is a function-scoped factory, `standin_module` a module-scoped one:

    def test_x(standin):
        s = standin(version="2024.10.0", worker_delay=0)   # started now, stopped after the test
        s.wait_worker()
"""

from __future__ import annotations

from typing import Callable, Iterator

import pytest

from .harness import Standin, start_standin


def _factory() -> Iterator[Callable[..., Standin]]:
    started: list[Standin] = []

    def make(**kw) -> Standin:
        s = start_standin(**kw)
        started.append(s)
        return s

    try:
        yield make
    finally:
        for s in reversed(started):
            s.stop()


@pytest.fixture
def standin() -> Iterator[Callable[..., Standin]]:
    yield from _factory()


@pytest.fixture(scope="module")
def standin_module() -> Iterator[Callable[..., Standin]]:
    yield from _factory()
