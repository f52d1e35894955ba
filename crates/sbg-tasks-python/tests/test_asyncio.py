"""AsyncApi: the same calls as awaitables on the hyper transport; async for over a watch."""

import asyncio

import pytest

import sbg_tasks
from conftest import UNKNOWN_ID

PROJECT, APP = "rfranklin/demo", "rfranklin/demo/bwa/1"


@pytest.fixture
def aapi(mock):
    return sbg_tasks.AsyncApi(url=mock.url, token=mock.token, poll_interval=0.05)


def run(coro):
    return asyncio.run(coro)


def test_get_and_gather(aapi, mock):
    ids = mock.task_ids()

    async def main():
        return await asyncio.gather(*(aapi.tasks.get(i) for i in ids))

    got = run(main())
    assert [t.id for t in got] == ids
    assert all(isinstance(t, sbg_tasks.AsyncTask) and isinstance(t, sbg_tasks.Task) for t in got)
    assert aapi.rate_limit["requests"] == len(ids)


def test_the_task_actions_are_awaitables(aapi, mock):
    async def main():
        task = await aapi.tasks.create("a", PROJECT, APP)
        task.name = "renamed"
        assert await task.save() is task
        assert mock.task(task.id)["name"] == "renamed"
        assert await task.run() is task
        await task.wait(period=0.05)
        assert task.status == "COMPLETED"
        assert (await task.reload()).status == "COMPLETED"
        copy = await task.clone()
        assert copy.status in ("QUEUED", "RUNNING")
        await copy.abort()
        assert copy.status in ("ABORTING", "ABORTED")
        draft = await task.clone(run=False)
        await draft.delete()
        assert mock.task(draft.id) is None
        with pytest.raises(sbg_tasks.NotFound):
            await draft.reload()

    run(main())


def test_query_bulk_get_waits_and_bulk(aapi, mock):
    async def main():
        tasks = [await (await aapi.tasks.create(f"t{i}", PROJECT, APP)).run() for i in range(3)]
        ids = [t.id for t in tasks]
        listed = await aapi.tasks.query(project=PROJECT)
        assert sorted(t.id for t in listed) == sorted(ids)
        records = await aapi.tasks.bulk_get(ids + [UNKNOWN_ID])
        assert [r.valid for r in records] == [True, True, True, False]
        ended, pending = await aapi.tasks.wait_any(ids, n=1)
        assert len(ended) >= 1 and len(ended) + len(pending) == 3
        done = await aapi.tasks.wait_all(ids)
        assert [t.status for t in done] == ["COMPLETED"] * 3
        one = await aapi.tasks.wait(ids[0], period=0.05)
        assert one.status == "COMPLETED"
        report = await aapi.tasks.bulk("rerun", ids=ids, run=False)
        assert report["done"] == 3
        assert (await aapi.query_rate_limit())["rate"]["limit"] == 1000

    run(main())


def test_async_for_over_watch_events(aapi, mock):
    async def main():
        ids = [(await (await aapi.tasks.create(f"w{i}", PROJECT, APP)).run()).id for i in range(2)]
        kinds = {}
        async for event in aapi.tasks.watch(ids + [UNKNOWN_ID]):
            kinds.setdefault(event.id, []).append(event.kind)
        return ids, kinds

    ids, kinds = run(main())
    assert all(kinds[i][-1] == "ended" for i in ids)
    assert kinds[UNKNOWN_ID] == ["gone"]


def test_errors_are_raised_by_the_await(aapi):
    async def main():
        with pytest.raises(sbg_tasks.NotFound):
            await aapi.tasks.get(UNKNOWN_ID)

    run(main())


def test_a_cancelled_wait_does_not_hang_the_loop(aapi, mock):
    tid = mock.insert_running({"name": "forever", "project": PROJECT, "app": APP}, ends_after=None)

    async def main():
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(aapi.tasks.wait(tid, period=0.05), timeout=0.3)

    run(main())
