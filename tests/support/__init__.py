

def run_async(coroutine):
    """asyncio.run in a thread of its own: once the browser tests have started Playwright's sync API, the
    test process's main thread keeps an event loop running, and asyncio.run refuses to nest in it."""
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()
