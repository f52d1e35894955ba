"""sbg_tasks against the embedded mock platform: no account, no network.

    python crates/sbg-tasks-python/examples/against_mock.py

The same calls as sevenbridges-python (create, run, wait, clone, bulk_get), then ours: one
watch following many tasks with bulk gets, a bulk rerun resumable from its journal, the
shared rate-limit budget, and a typed error.
"""

import os
import tempfile

import sbg_tasks


def main():
    with sbg_tasks.mock(polls=3) as m:
        print(f"mock platform at {m.url}")
        api = sbg_tasks.Api(url=m.url, token=m.token, poll_interval=0.2)

        task = api.tasks.create("align", "rfranklin/demo", "rfranklin/demo/bwa/1",
                                inputs={"reads": {"class": "File", "path": "reads.fq"}})
        print(f"created {task.id}: {task.status}")
        task.run()
        print(f"run: {task.status}")
        task.wait(period=0.2)
        print(f"wait: {task.status}, ended {task.end_time:%H:%M:%S}, price {task.price['amount']}")

        ids = [task.clone().id for _ in range(5)]
        print(f"cloned and ran {len(ids)} copies; following them with one watch:")
        for event in api.tasks.watch(ids):
            print(f"  {event.kind:8} {event.id} {event.task.status if event.task else ''}")

        records = api.tasks.bulk_get(ids + ["00000000-0000-4000-8000-000000000000"])
        print("bulk_get:", [r.resource.status if r.valid else type(r.error).__name__ for r in records])

        journal = os.path.join(tempfile.mkdtemp(), "rerun.sqlite")
        report = api.tasks.bulk("rerun", ids=ids, run=False, journal=journal)
        print(f"bulk rerun: {report['done']} done, {report['skipped']} skipped (journal {journal})")

        try:
            api.tasks.get("00000000-0000-4000-8000-000000000000")
        except sbg_tasks.NotFound as e:
            print(f"NotFound: status {e.status}, code {e.code}: {e.message}")
        print("rate limit budget:", api.rate_limit)


if __name__ == "__main__":
    main()
