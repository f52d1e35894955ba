"""Fixtures: a mock platform per test (loopback, port 0), and an Api on it."""

import pytest

import sbg_tasks

UNKNOWN_ID = "00000000-0000-4000-8000-000000000000"


@pytest.fixture
def mock():
    with sbg_tasks.mock(polls=2) as m:
        yield m


@pytest.fixture
def api(mock):
    return sbg_tasks.Api(url=mock.url, token=mock.token, poll_interval=0.05)


@pytest.fixture
def api_once(mock):
    """An Api that tries each call once: a fault shows as its exception."""
    return sbg_tasks.Api(url=mock.url, token=mock.token, max_attempts=1, poll_interval=0.05)


def new_draft(api, name="align", **kw):
    return api.tasks.create(name, "rfranklin/demo", "rfranklin/demo/bwa/1", **kw)
