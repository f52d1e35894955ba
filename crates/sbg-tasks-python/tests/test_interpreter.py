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


def assert_ctrl_c_stops(call, after=0.3):
    """Sends SIGINT to this process `after` seconds into `call()`: KeyboardInterrupt must
    come out of it within half a second of the signal."""
    sent = []

    def fire():
        sent.append(time.monotonic())
        os.kill(os.getpid(), signal.SIGINT)

    timer = threading.Timer(after, fire)
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            call()
        stopped = time.monotonic()
    finally:
        timer.cancel()
        timer.join()
    assert sent and stopped - sent[0] < 0.5, f"stopped {stopped - sent[0]:.3f} s after the signal"


posix_only = pytest.mark.skipif(os.name != "posix", reason="SIGINT to the own process")


@posix_only
def test_ctrl_c_stops_a_wait_within_half_a_second(api, mock):
    task = api.tasks.get(mock.insert_running(FOREVER, ends_after=None))
    assert_ctrl_c_stops(lambda: task.wait(period=30))


@posix_only
def test_ctrl_c_stops_a_watch_within_half_a_second(mock):
    api = sbg_tasks.Api(url=mock.url, token=mock.token, poll_interval=30)
    events = api.tasks.watch([mock.insert_running(FOREVER, ends_after=None)])
    assert next(events).kind == "status"
    assert_ctrl_c_stops(lambda: next(events))


@posix_only
def test_ctrl_c_stops_wait_all(mock):
    api = sbg_tasks.Api(url=mock.url, token=mock.token, poll_interval=30)
    tid = mock.insert_running(FOREVER, ends_after=None)
    assert_ctrl_c_stops(lambda: api.tasks.wait_all([tid]))


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


def test_an_idle_watch_sleeps_rather_than_spins(mock):
    api = sbg_tasks.Api(url=mock.url, token=mock.token, poll_interval=30)
    events = api.tasks.watch([mock.insert_running(FOREVER, ends_after=None)])
    assert next(events).kind == "status"
    stop = threading.Timer(1.0, lambda: os.kill(os.getpid(), signal.SIGINT))
    cpu, wall = time.process_time(), time.monotonic()
    stop.start()
    with pytest.raises(KeyboardInterrupt):
        next(events)
    stop.join()
    cpu, wall = time.process_time() - cpu, time.monotonic() - wall
    assert wall >= 0.9
    assert cpu < 0.1 * wall, f"{cpu:.2f} s of CPU in {wall:.2f} s of waiting"


def test_an_idle_wait_sleeps_rather_than_spins(api, mock):
    task = api.tasks.get(mock.insert_running(FOREVER, ends_after=None))
    stop = threading.Timer(1.0, lambda: os.kill(os.getpid(), signal.SIGINT))
    cpu, wall = time.process_time(), time.monotonic()
    stop.start()
    with pytest.raises(KeyboardInterrupt):
        task.wait(period=30)
    stop.join()
    cpu, wall = time.process_time() - cpu, time.monotonic() - wall
    assert cpu < 0.1 * wall, f"{cpu:.2f} s of CPU in {wall:.2f} s of waiting"
