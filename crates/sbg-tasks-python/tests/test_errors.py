"""Every exception class, raised by what it names."""

import http.server
import socket
import threading

import pytest

import sbg_tasks
from sbg_tasks import errors
from conftest import UNKNOWN_ID, new_draft


def test_the_hierarchy_is_sevenbridges_shaped():
    for name in errors.__all__:
        cls = getattr(sbg_tasks, name)
        assert cls is getattr(errors, name)
        assert issubclass(cls, errors.SbgError)
    for name, status in [
        ("BadRequest", 400), ("Unauthorized", 401), ("Forbidden", 403), ("NotFound", 404),
        ("MethodNotAllowed", 405), ("RequestTimeout", 408), ("Conflict", 409),
        ("TooManyRequests", 429), ("ServerError", 500), ("ServiceUnavailable", 503),
    ]:
        e = getattr(errors, name)(code=1, message="m", more_info="i")
        assert isinstance(e, errors.ApiError)
        assert (e.status, e.code, e.message, e.more_info, str(e)) == (status, 1, "m", "i", "m")
    assert issubclass(errors.RateLimitError, errors.TooManyRequests)


@pytest.mark.parametrize(
    "status,code,cls",
    [
        (400, 9000, errors.BadRequest),
        (403, 403, errors.Forbidden),
        (405, 0, errors.MethodNotAllowed),
        (408, 0, errors.RequestTimeout),
        (409, 0, errors.Conflict),
        (418, 0, errors.ApiError),
        (500, 0, errors.ServerError),
    ],
)
def test_each_status_raises_its_class(api_once, mock, status, code, cls):
    mock.inject(f"error:{status}:{code}@get*1")
    with pytest.raises(cls) as e:
        api_once.tasks.get(mock.task_ids()[0])
    assert type(e.value) is cls
    assert e.value.status == status and e.value.code == code
    assert e.value.message


def test_not_found_carries_the_platforms_code_and_message(api):
    with pytest.raises(errors.NotFound) as e:
        api.tasks.get(UNKNOWN_ID)
    assert (e.value.status, e.value.code) == (404, 7002)
    assert "does not exist" in e.value.message


def test_a_wrong_token_is_unauthorized_and_never_shown(mock):
    api = sbg_tasks.Api(url=mock.url, token="wrong-token-abcdef", max_attempts=1)
    with pytest.raises(errors.Unauthorized) as e:
        api.tasks.get(mock.task_ids()[0])
    assert e.value.status == 401
    assert "wrong-token" not in str(e.value) and "wrong-token" not in repr(e.value)
    assert "wrong-token" not in repr(api)


def test_429_after_the_retries_is_a_rate_limit_error_with_the_window(api_once, mock):
    mock.inject("429@get*1")
    with pytest.raises(errors.RateLimitError) as e:
        api_once.tasks.get(mock.task_ids()[0])
    assert isinstance(e.value, errors.TooManyRequests)
    assert e.value.status == 429 and e.value.code == 1000
    assert e.value.remaining == 0 and e.value.limit is not None
    assert api_once.rate_limit["rate_limited"] == 1


def test_maintenance_is_service_unavailable(api_once, mock):
    mock.inject("maintenance@get*1")
    with pytest.raises(errors.ServiceUnavailable) as e:
        api_once.tasks.get(mock.task_ids()[0])
    assert e.value.status == 503


def test_a_retried_fault_is_not_an_error(api, mock):
    mock.inject("maintenance@get*1")
    assert api.tasks.get(mock.task_ids()[0]).id == mock.task_ids()[0]


def test_a_body_that_is_not_json_is_a_decode_error_with_its_excerpt(api_once, mock):
    mock.inject("malformed:not-json@get*1")
    with pytest.raises(errors.DecodeError) as e:
        api_once.tasks.get(mock.task_ids()[0])
    assert e.value.status == 200
    assert e.value.excerpt.startswith("this is not JSON")


def test_no_answer_is_a_transport_error():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    api = sbg_tasks.Api(url=f"http://127.0.0.1:{port}/v2", token="t" * 16, max_attempts=1)
    with pytest.raises(errors.TransportError) as e:
        api.tasks.get(UNKNOWN_ID)
    assert e.value.kind == "connect"


def test_unusable_arguments_are_validation_errors_before_any_request(api, mock):
    before = mock.request_count()
    with pytest.raises(errors.ValidationError):
        api.tasks.get("../../etc/passwd")
    with pytest.raises(errors.ValidationError):
        new_draft(api, inputs={"n": float("nan")})
    with pytest.raises(errors.ValidationError):
        api.tasks.create("x", "not-a-project", "a/b/c")
    with pytest.raises(TypeError):
        api.tasks.get(42)
    assert mock.request_count() == before


def test_missing_credentials_are_a_config_error(tmp_path, monkeypatch):
    monkeypatch.delenv("SB_AUTH_TOKEN", raising=False)
    monkeypatch.delenv("SB_API_ENDPOINT", raising=False)
    monkeypatch.setenv("SB_CREDENTIALS_FILE", str(tmp_path / "none"))
    with pytest.raises(errors.ConfigError) as e:
        sbg_tasks.Api()
    assert "no auth token" in str(e.value)
    with pytest.raises(errors.ConfigError):
        sbg_tasks.Api(token="t" * 16, profile="missing")
    with pytest.raises(errors.ConfigError):
        sbg_tasks.Api(url="http://example.com/v2", token="t" * 16)


def test_waiting_on_a_draft_is_not_started(api):
    draft = new_draft(api)
    with pytest.raises(errors.NotStarted) as e:
        draft.wait(period=0.05)
    assert e.value.task.id == draft.id and e.value.task.status == "DRAFT"


def test_a_wait_past_its_timeout_is_task_timeout_with_the_last_task(api, mock):
    tid = mock.insert_running({"name": "forever", "project": "rfranklin/demo", "app": "a/b/c/1"}, ends_after=None)
    task = api.tasks.get(tid)
    with pytest.raises(errors.TaskTimeout) as e:
        task.wait(period=0.05, timeout=0.3)
    assert e.value.task.id == tid and e.value.task.status in ("QUEUED", "RUNNING")


def test_a_created_task_that_cannot_run_is_task_validation_error(api):
    with pytest.raises(errors.TaskValidationError) as e:
        new_draft(api, inputs={"reads": {"class": "File"}}, run=True)
    assert e.value.task.errors


def test_a_journal_that_cannot_be_opened_is_a_bulk_error(api, tmp_path):
    draft = new_draft(api)
    with pytest.raises(errors.BulkError):
        api.tasks.bulk("delete", ids=[draft.id], journal=tmp_path)  # a directory


class _Pages(http.server.BaseHTTPRequestHandler):
    """A platform whose listing answers `items` that are not a list of tasks."""

    def do_GET(self):
        body = b'{"href": "x", "items": {"not": "a list"}, "links": []}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_a_listing_whose_pages_are_unusable_is_a_pagination_error():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Pages)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        api = sbg_tasks.Api(url=f"http://127.0.0.1:{server.server_port}/v2", token="t" * 16, max_attempts=1)
        with pytest.raises(errors.PaginationError) as e:
            list(api.tasks.query(project="rfranklin/demo"))
        assert "not a list of tasks" in str(e.value)
    finally:
        server.shutdown()
        server.server_close()
