"""A good citizen of the interpreter: Ctrl-C, the GIL, threads sharing one Api."""

import os
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

import sbg_tasks
from conftest import new_draft

FOREVER = {"name": "forever", "project": "rfranklin/demo", "app": "rfranklin/demo/bwa/1"}


def interrupt_after(seconds):
    """Sends SIGINT to this process after `seconds`; returns when it was sent (a list)."""
    sent = []

    def fire():
        sent.append(time.monotonic())
        os.kill(os.getpid(), signal.SIGINT)

    timer = threading.Timer(seconds, fire)
    timer.start()
    return timer, sent


@pytest.mark.skipif(os.name != "posix", reason="SIGINT to the own process")
def test_ctrl_c_stops_a_wait_within_half_a_second(api, mock):
    task = api.tasks.get(mock.insert_running(FOREVER, ends_after=None))
    timer, sent = interrupt_after(0.3)
    with pytest.raises(KeyboardInterrupt):
        task.wait(period=30)
    stopped = time.monotonic()
    timer.join()
    assert sent and stopped - sent[0] < 0.5


@pytest.mark.skipif(os.name != "posix", reason="SIGINT to the own process")
def test_ctrl_c_stops_a_watch_within_half_a_second(mock):
    api = sbg_tasks.Api(url=mock.url, token=mock.token, poll_interval=30)
    tid = mock.insert_running(FOREVER, ends_after=None)
    events = api.tasks.watch([tid])
    assert next(events).kind == "status"
    timer, sent = interrupt_after(0.3)
    with pytest.raises(KeyboardInterrupt):
        next(events)
    stopped = time.monotonic()
    timer.join()
    assert sent and stopped - sent[0] < 0.5


@pytest.mark.skipif(os.name != "posix", reason="SIGINT to the own process")
def test_ctrl_c_stops_wait_all(mock):
    api = sbg_tasks.Api(url=mock.url, token=mock.token, poll_interval=30)
    tid = mock.insert_running(FOREVER, ends_after=None)
    timer, sent = interrupt_after(0.3)
    with pytest.raises(KeyboardInterrupt):
        api.tasks.wait_all([tid])
    stopped = time.monotonic()
    timer.join()
    assert sent and stopped - sent[0] < 0.5


def test_the_gil_is_released_during_a_wait(api, mock):
    task = api.tasks.get(mock.insert_running(FOREVER, running_after=0.0, ends_after=0.6))
    ticks = []
    stop = threading.Event()

    def count():
        while not stop.is_set():
            ticks.append(1)
            time.sleep(0.001)

    counter = threading.Thread(target=count)
    counter.start()
    try:
        task.wait(period=0.1)
    finally:
        stop.set()
        counter.join()
    assert task.status == "COMPLETED"
    assert len(ticks) > 50, "the other thread ran while the wait blocked"


def test_threads_share_one_api_and_its_budget(api, mock):
    ids = mock.task_ids()
    with ThreadPoolExecutor(max_workers=8) as pool:
        got = list(pool.map(lambda i: api.tasks.get(ids[i % len(ids)]).id, range(64)))
    assert got == [ids[i % len(ids)] for i in range(64)]
    assert api.rate_limit["requests"] == 64
    assert mock.requests_to("get") == 64


def test_concurrent_waits_on_one_task_share_their_polls(mock):
    api = sbg_tasks.Api(url=mock.url, token=mock.token)
    tid = mock.insert_running(FOREVER, running_after=0.0, ends_after=1.0)
    before = mock.requests_to("get")
    with ThreadPoolExecutor(max_workers=8) as pool:
        done = list(pool.map(lambda _: api.tasks.wait(tid, period=0.2).status, range(8)))
    assert done == ["COMPLETED"] * 8
    polls = mock.requests_to("get") - before
    assert polls <= 12, f"8 waiters, one poll each period between them: {polls}"
