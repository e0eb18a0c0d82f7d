import pytest


def run_async(coroutine):
    """asyncio.run in a thread of its own: once the browser tests have started Playwright's sync API, the
    test process's main thread keeps an event loop running, and asyncio.run refuses to nest in it."""
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


_serials = __import__("itertools").count(1)


def doc_number(year: int = 2026) -> str:
    """A well-formed 文号 no other document of this test run carries (the review flags repeats per agency)."""
    return f"濉卫医罚〔{year}〕{next(_serials)}号"


VIEWPORT = {"width": 1366, "height": 768}  # the pages are for people on a 1366×768 screen


# Figures a test measured that belong in every run's output, passing or not (printed in the terminal summary).
SUMMARY_SECTIONS = pytest.StashKey[list]()
