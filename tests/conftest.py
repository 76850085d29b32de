"""Session-wide arrangements: the first chaos crawl runs beside the rest of the suite."""
from __future__ import annotations

import shutil

import pytest

CHAOS_MODULE = "test_chaos_first_crawl.py"


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config,
                                  items: list[pytest.Item]) -> None:
    """When the first-chaos-crawl test is selected: run it last, start its crawl now."""
    chaos = [item for item in items if item.path.name == CHAOS_MODULE]
    items[:] = [item for item in items if item.path.name != CHAOS_MODULE] + chaos
    if not chaos or config.option.collectonly:
        return
    from tests.chaos_crawl import ChaosCrawl

    crawl = ChaosCrawl()
    config.stash[CHAOS_KEY] = crawl
    crawl.start()


CHAOS_KEY = pytest.StashKey["object"]()


def pytest_unconfigure(config: pytest.Config) -> None:
    crawl = config.stash.get(CHAOS_KEY, None)
    if crawl is not None:
        crawl.stop()
        shutil.rmtree(crawl.root, ignore_errors=True)


@pytest.fixture(scope="session")
def chaos_crawl(request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    crawl = request.config.stash.get(CHAOS_KEY, None)
    if crawl is None:
        pytest.skip("the background chaos crawl was not started (collect-only run)")
    return crawl
