"""The mock from Python, sevenbridges-python against it, and one credentials file read by both."""

import pytest

import sbg_tasks

sevenbridges = pytest.importorskip("sevenbridges")


def test_the_mock_gives_url_token_and_stops_on_exit():
    with sbg_tasks.mock() as m:
        assert m.url.startswith("http://127.0.0.1:") and m.url.endswith("/v2")
        assert m.token and m.ca_path is None
        api = sbg_tasks.Api(url=m.url, token=m.token, max_attempts=1)
        assert api.tasks.get(m.task_ids()[0]).id == m.task_ids()[0]
    with pytest.raises(sbg_tasks.TransportError):
        api.tasks.get(m.task_ids()[0])


def test_the_mock_over_tls_gives_its_ca():
    with sbg_tasks.mock(tls=True) as m:
        assert m.url.startswith("https://127.0.0.1:")
        with open(m.ca_path) as f:
            assert f.read() == m.cert_pem
        api = sbg_tasks.Api(url=m.url, token=m.token, ca_bundle=m.ca_path)
        assert api.tasks.get(m.task_ids()[0]).id == m.task_ids()[0]
        untrusted = sbg_tasks.Api(url=m.url, token=m.token, max_attempts=1)
        with pytest.raises(sbg_tasks.TransportError) as e:
            untrusted.tasks.get(m.task_ids()[0])
        assert e.value.kind == "tls"


def test_sevenbridges_python_works_against_the_mock(monkeypatch):
    with sbg_tasks.mock(tls=True) as m:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(m.ca_path))
        sb = sevenbridges.Api(url=m.url, token=m.token)
        ours = sbg_tasks.Api(url=m.url, token=m.token, ca_bundle=m.ca_path)
        tid = m.task_ids()[1]
        theirs, mine = sb.tasks.get(tid), ours.tasks.get(tid)
        assert (theirs.id, theirs.status, theirs.project) == (mine.id, mine.status, mine.project)
        assert str(theirs.price.amount) == mine.price["amount"]
        assert sorted(t.id for t in sb.tasks.query(limit=3).all()) == sorted(t.id for t in ours.tasks.query(limit=3))
        with pytest.raises(sevenbridges.errors.NotFound):
            sb.tasks.get("00000000-0000-4000-8000-000000000000")


def test_both_read_the_same_credentials_file_to_the_same_endpoint_and_token(tmp_path, monkeypatch):
    with sbg_tasks.mock(tls=True, token="profile-token-0001") as m:
        home = tmp_path / "home"
        (home / ".sevenbridges").mkdir(parents=True)
        (home / ".sevenbridges" / "credentials").write_text(
            f"[default]\napi_endpoint = https://api.sbgenomics.com/v2\nauth_token = default-token-0000\n\n"
            f"[mock]\napi_endpoint = {m.url}\nauth_token = profile-token-0001\n\n"
            f"[stale]\napi_endpoint = {m.url}\nauth_token = stale-token-0002\n"
        )
        monkeypatch.setenv("HOME", str(home))
        # sevenbridges-python expands ~ when it is imported: point it at the same home.
        profile = sevenbridges.config.UserProfile
        monkeypatch.setattr(profile, "CREDENTIALS", str(home / ".sevenbridges" / "credentials"))
        monkeypatch.setattr(profile, "CONFIG", str(home / ".sevenbridges" / "sevenbridges-python" / "config"))
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(m.ca_path))
        for var in ("SB_AUTH_TOKEN", "SB_API_ENDPOINT", "SB_CREDENTIALS_FILE"):
            monkeypatch.delenv(var, raising=False)
        tid = m.task_ids()[0]

        theirs = sevenbridges.Config(profile="default")
        assert sbg_tasks.Api(profile="default").url == theirs.api_endpoint

        # The same endpoint and the same token: both are let in.
        config = sevenbridges.Config(profile="mock")
        ours = sbg_tasks.Api(profile="mock", ca_bundle=m.ca_path)
        assert ours.url == config.api_endpoint == m.url
        assert sevenbridges.Api(config=config).tasks.get(tid).id == tid
        assert ours.tasks.get(tid).id == tid

        # Another profile's token: both are refused by the same mock.
        config = sevenbridges.Config(profile="stale")
        ours = sbg_tasks.Api(profile="stale", ca_bundle=m.ca_path, max_attempts=1)
        with pytest.raises(sevenbridges.errors.Unauthorized):
            sevenbridges.Api(config=config).tasks.get(tid)
        with pytest.raises(sbg_tasks.Unauthorized):
            ours.tasks.get(tid)
