"""Every task call of Api against the mock."""

import datetime

import pytest

import sbg_tasks
from conftest import UNKNOWN_ID, new_draft


def test_get_gives_a_typed_task_with_attribute_access(api, mock):
    tid = mock.task_ids()[1]
    task = api.tasks.get(tid)
    assert isinstance(task, sbg_tasks.Task)
    assert task.id == tid
    assert task.status == mock.task(tid)["status"]
    assert task.project == mock.task(tid)["project"]
    assert isinstance(task.end_time, datetime.datetime)
    assert task.end_time.tzinfo is not None
    assert task.price["currency"] == "USD"
    assert isinstance(task.price["amount"], str), "prices are exact decimal text"
    assert task.repairs == []
    assert task.is_terminal


def test_get_accepts_a_task_and_equal_tasks_compare_by_id(api, mock):
    first = api.tasks.get(mock.task_ids()[0])
    again = api.tasks.get(first)
    assert again == first and hash(again) == hash(first)
    assert again is not first


def test_to_dict_is_lossless_and_keeps_unknown_members(api, mock):
    tid = mock.insert_task(
        {
            "name": "odd",
            "status": "DRAFT",
            "project": "rfranklin/demo",
            "app": "rfranklin/demo/bwa/1",
            "x_future_member": {"nested": [1, 2.5, None, True]},
        }
    )
    task = api.tasks.get(tid)
    d = task.to_dict()
    assert d["x_future_member"] == {"nested": [1, 2.5, None, True]}
    assert d["id"] == tid and d["name"] == "odd"
    served = mock.task(tid)
    for key, value in served.items():
        assert d[key] == value, key


def test_query_is_lazy_and_follows_every_page(api, mock):
    for i in range(5):
        new_draft(api, name=f"q{i}")
    before = mock.requests_to("list")
    it = api.tasks.query(project="rfranklin/demo", limit=2)
    assert mock.requests_to("list") == before, "nothing fetched before use"
    assert it.total is None
    first = next(it)
    assert mock.requests_to("list") == before + 1
    assert it.total == 5
    rest = list(it.all())
    names = [t.name for t in [first] + rest]
    assert sorted(names) == [f"q{i}" for i in range(5)]
    assert mock.requests_to("list") == before + 3
    assert all(t.status == "DRAFT" for t in [first] + rest), "whole tasks (fields=_all)"


def test_query_filters_by_status_and_parent(api, mock):
    ran = new_draft(api, name="will-run").run()
    new_draft(api, name="stays-draft")
    statuses = {t.status for t in api.tasks.query(project="rfranklin/demo", status="draft")}
    assert statuses == {"DRAFT"}
    assert ran.id not in {t.id for t in api.tasks.query(project="rfranklin/demo", status="DRAFT")}
    with pytest.raises(sbg_tasks.ValidationError):
        api.tasks.query(status="RUNING")
    with pytest.raises(sbg_tasks.ValidationError):
        api.tasks.query(parent="not a/valid id")
    created = list(api.tasks.query(created_from=datetime.datetime(2000, 1, 1), created_to="2100-01-01T00:00:00Z"))
    assert len(created) >= 2


def test_create_sends_what_was_given(api, mock):
    task = new_draft(
        api,
        description="d",
        inputs={"reads": {"class": "File", "path": "f1"}, "n": 3},
    )
    assert task.status == "DRAFT"
    assert task.app == "rfranklin/demo/bwa/1"
    served = mock.task(task.id)
    assert served["inputs"] == {"reads": {"class": "File", "path": "f1"}, "n": 3}
    assert served["description"] == "d"


def test_create_with_run_that_cannot_run_raises_with_the_draft(api):
    with pytest.raises(sbg_tasks.TaskValidationError) as e:
        new_draft(api, inputs={"reads": {"class": "File"}}, run=True)
    assert e.value.task.status == "DRAFT"
    assert e.value.task.errors


def test_run_wait_reload_and_the_lifecycle(api, mock):
    task = new_draft(api)
    assert task.run() is task
    assert task.status in ("QUEUED", "RUNNING")
    assert task.wait(period=0.05) is task
    assert task.status == "COMPLETED"
    assert task.end_time is not None
    mock_status = mock.task(task.id)["status"]
    assert task.reload().status == mock_status == "COMPLETED"


def test_wait_returns_the_callbacks_value(api):
    task = new_draft(api).run()
    assert task.wait(0.05, None, lambda a, b=0: a + b, 2, b=3) == 5


def test_clone_runs_the_copy_by_default_as_sevenbridges_does(api):
    task = new_draft(api).run()
    task.wait(period=0.05)
    copy = task.clone()
    assert copy.id != task.id and copy.status in ("QUEUED", "RUNNING")
    draft = task.clone(run=False)
    assert draft.status == "DRAFT"


def test_abort_save_and_delete(api, mock):
    running = new_draft(api).run()
    assert running.abort() is running
    assert running.status in ("ABORTING", "ABORTED")

    draft = new_draft(api)
    draft.name = "renamed"
    draft.description = "why"
    draft.inputs = {"n": 4}
    assert draft.modified() == {"name": "renamed", "description": "why", "inputs": {"n": 4}}
    assert draft.save() is draft
    assert draft.modified() == {}
    served = mock.task(draft.id)
    assert (served["name"], served["description"], served["inputs"]["n"]) == ("renamed", "why", 4)
    before = mock.request_count()
    draft.save()
    assert mock.request_count() == before, "nothing changed: nothing sent"

    draft.delete()
    assert mock.task(draft.id) is None
    with pytest.raises(sbg_tasks.NotFound):
        draft.reload()


def test_bulk_get_gives_one_record_per_id_in_order(api, mock):
    ids = mock.task_ids()[:3]
    records = api.tasks.bulk_get(ids + [UNKNOWN_ID])
    assert [r.valid for r in records] == [True, True, True, False]
    assert [r.resource.id for r in records[:3]] == ids
    assert isinstance(records[3].error, sbg_tasks.NotFound)
    assert records[3].error.code == 7002
    assert mock.requests_to("bulk_get") == 1


def test_watch_yields_status_and_end_events_with_bulk_gets(api, mock):
    ids = [new_draft(api, name=f"w{i}").run().id for i in range(3)]
    before_gets = mock.requests_to("get")
    events = list(api.tasks.watch(ids + [UNKNOWN_ID]))
    ended = {e.id for e in events if e.kind == "ended"}
    assert ended == set(ids)
    assert all(e.task.status == "COMPLETED" for e in events if e.kind == "ended")
    gone = [e for e in events if e.kind == "gone"]
    assert [e.id for e in gone] == [UNKNOWN_ID] and isinstance(gone[0].error, sbg_tasks.NotFound)
    assert any(e.kind == "status" and e.before is None for e in events)
    assert mock.requests_to("get") == before_gets, "no per-task gets: bulk gets only"
    assert mock.requests_to("bulk_get") >= 2


def test_wait_all_and_wait_any(api, mock):
    ids = [new_draft(api, name=f"a{i}").run().id for i in range(3)]
    done = api.tasks.wait_all(ids + [UNKNOWN_ID])
    assert [t.id for t in done[:3]] == ids and all(t.status == "COMPLETED" for t in done[:3])
    assert isinstance(done[3], sbg_tasks.NotFound)

    never = mock.insert_running({"name": "forever", "project": "rfranklin/demo", "app": "a/b/c/1"}, ends_after=None)
    quick = new_draft(api).run().id
    ended, pending = api.tasks.wait_any([never, quick], n=1)
    assert [t.id for t in ended] == [quick] and pending == [never]

    with pytest.raises(sbg_tasks.TaskTimeout) as e:
        api.tasks.wait_all([never], timeout=0.3)
    assert e.value.pending == [never]


def test_tasks_wait_by_id(api):
    task = new_draft(api).run()
    assert api.tasks.wait(task.id, period=0.05).status == "COMPLETED"


def test_bulk_rerun_resumes_from_its_journal(api, mock, tmp_path):
    ids = [new_draft(api, name=f"b{i}").run().id for i in range(3)]
    api.tasks.wait_all(ids)
    journal = tmp_path / "rerun.sqlite"
    plan = api.tasks.bulk("rerun", ids=ids, journal=journal, dry_run=True)
    assert plan["planned"] == 3 and plan["outcomes"] == []
    report = api.tasks.bulk("rerun", ids=ids, journal=journal, run=False)
    assert report["complete"] and report["done"] == 3
    copies = [o["copy"] for o in report["outcomes"]]
    assert all(mock.task(c)["status"] == "DRAFT" for c in copies)
    count = len(mock.task_ids())
    again = api.tasks.bulk("rerun", ids=ids, journal=journal, run=False)
    assert len(mock.task_ids()) == count, "resumed from the journal: no second copy"
    assert sorted(o["copy"] for o in again["outcomes"]) == sorted(copies)


def test_bulk_abort_by_project_skips_what_it_does_not_apply_to(api):
    running = new_draft(api, name="r").run()
    draft = new_draft(api, name="d")
    report = api.tasks.bulk("abort", project="rfranklin/demo")
    outcome = {o["task"]: o["outcome"] for o in report["outcomes"]}
    assert outcome[running.id] == "done" and outcome[draft.id] == "skipped"
    with pytest.raises(sbg_tasks.ValidationError):
        api.tasks.bulk("explode", ids=[draft.id])
    with pytest.raises(sbg_tasks.ValidationError):
        api.tasks.bulk("abort")


def test_bulk_update_changes_the_drafts_and_only_them(api, mock):
    drafts = [new_draft(api, name=f"u{i}") for i in range(2)]
    running = new_draft(api, name="keep").run()
    ids = [d.id for d in drafts] + [running.id]
    report = api.tasks.bulk(
        "update", ids=ids, changes={"description": "bulk", "inputs": {"reads": 3}}
    )
    outcome = {o["task"]: o["outcome"] for o in report["outcomes"]}
    assert outcome == {drafts[0].id: "done", drafts[1].id: "done", running.id: "skipped"}
    for d in drafts:
        task = api.tasks.get(d.id)
        assert task.description == "bulk" and task.inputs["reads"] == 3
    assert api.tasks.get(running.id).description != "bulk"
    with pytest.raises(sbg_tasks.ValidationError):
        api.tasks.bulk("update", ids=ids)
    with pytest.raises(sbg_tasks.ValidationError):
        api.tasks.bulk("update", ids=ids, changes={"status": "RUNNING"})
    with pytest.raises(sbg_tasks.ValidationError):
        api.tasks.bulk("abort", ids=ids, changes={"name": "x"})


def test_rate_limit_budget_and_the_platforms_answer(api, mock):
    assert api.rate_limit["requests"] == 0
    api.tasks.get(mock.task_ids()[0])
    budget = api.rate_limit
    assert budget["requests"] == 1 and budget["limit"] == 1000
    assert budget["remaining"] <= 999
    answer = api.query_rate_limit()
    assert answer["rate"]["limit"] == 1000


def test_a_lenient_decode_reports_its_repairs(api, mock):
    tid = mock.task_ids()[1]
    mock.inject("malformed:trailing-comma@get*1")
    task = api.tasks.get(tid)
    assert task.id == tid
    assert task.repairs and "comma" in task.repairs[0]
