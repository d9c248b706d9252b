"""add-authority --workers: the worker profile's files, routes and refusals (no server)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from coopnet.admin import workers
from coopnet.admin.settings import load_settings
from coopnet.cli import main
from tests.admin.helpers import render


def _hs(out: Path) -> dict:
    return yaml.safe_load((out / "synapse/config/homeserver.yaml").read_text())


def _render_workers(tmp_path: Path, *extra: str) -> Path:
    _, out = render(tmp_path, "--workers", *extra, target="host")
    return out


def test_single_process_by_default(tmp_path: Path) -> None:
    _, out = render(tmp_path, target="host")
    hs = _hs(out)
    assert "redis" not in hs and "instance_map" not in hs
    assert not list((out / "synapse/workers").iterdir())
    assert "map $uri" not in (out / "proxy/coopnet.conf").read_text()


def test_worker_profile_files(tmp_path: Path) -> None:
    out = _render_workers(tmp_path, "--client-workers", "3", "--event-persisters", "2")
    hs = _hs(out)
    assert hs["redis"] == {"enabled": True, "host": "127.0.0.1", "port": 6379}
    assert hs["stream_writers"] == {"events": ["event_persister1", "event_persister2"]}
    assert hs["federation_sender_instances"] == ["federation_sender1"]
    assert set(hs["instance_map"]) == {"main", "event_persister1", "event_persister2"}
    replication = [
        lst for lst in hs["listeners"] if lst.get("resources") == [{"names": ["replication"]}]
    ]
    assert replication and replication[0]["bind_addresses"] == ["127.0.0.1"]
    names = sorted(p.stem for p in (out / "synapse/workers").glob("*.yaml"))
    assert names == [
        "client1",
        "client2",
        "client3",
        "event_persister1",
        "event_persister2",
        "federation1",
        "federation_sender1",
    ]
    client = yaml.safe_load((out / "synapse/workers/client1.yaml").read_text())
    assert client["worker_app"] == "synapse.app.generic_worker"
    assert client["worker_listeners"][0]["resources"] == [{"names": ["client"]}]
    assert client["worker_listeners"][0]["x_forwarded"] is True
    assert Path(client["worker_log_config"]).is_file()
    # Every process reads synapse/config, so each loads the federation gate; no worker's
    # own file replaces the modules (Synapse calls the gate where federation comes in).
    assert [m["module"] for m in hs["modules"]] == ["coopnet.federation_gate.DirectoryGate"]
    for path in (out / "synapse/workers").glob("*.yaml"):
        assert "modules" not in yaml.safe_load(path.read_text()), path.name
    # The secret lives only in homeserver.yaml (0600), never in a worker's file.
    secret = hs["worker_replication_secret"]
    assert all(secret not in p.read_text() for p in (out / "synapse/workers").iterdir())
    # Every port is distinct: main listeners, replication, workers' HTTP and metrics.
    settings = load_settings(out)
    used = [settings.client_port, settings.metrics_port, *workers.ports(settings)]
    assert len(used) == len(set(used))


def test_proxy_routes_the_documented_endpoints_to_workers(tmp_path: Path) -> None:
    out = _render_workers(tmp_path)
    conf = (out / "proxy/coopnet.conf").read_text()
    routed = dict(re.findall(r'"~(\S+)" (coopnet_\w+);', conf))
    for regex in workers.SYNC_ROUTES + workers.CLIENT_ROUTES:
        assert routed[regex] == workers.CLIENT_UPSTREAM
    for regex in workers.FEDERATION_ROUTES:
        assert routed[regex] == workers.FEDERATION_UPSTREAM
    assert "default coopnet_main;" in conf
    assert "server 127.0.0.1:8081;" in conf and "server 127.0.0.1:8083;" in conf
    assert "hash $remote_addr consistent;" in conf  # one remote server, one process
    assert conf.count("proxy_pass http://$coopnet_upstream;") == 2
    # Not routed: the stream writers' endpoints and media stay on the main process.
    assert not any("sendToDevice" in r or "media" in r for r in routed)


def test_routes_match_requests_as_synapse_documents(tmp_path: Path) -> None:
    """What nginx would do with a request path (first matching regex, as in a map)."""

    def route(path: str) -> str:
        for regex in workers.SYNC_ROUTES + workers.CLIENT_ROUTES:
            if re.search(regex, path):
                return "client"
        for regex in workers.FEDERATION_ROUTES:
            if re.search(regex, path):
                return "federation"
        return "main"

    assert route("/_matrix/client/v3/sync") == "client"
    assert route("/_matrix/client/v3/rooms/!a:b/send/m.room.encrypted/t1") == "client"
    assert route("/_matrix/client/v3/keys/upload") == "client"
    assert route("/_matrix/federation/v1/send/123") == "federation"
    assert route("/_matrix/key/v2/query") == "federation"
    assert route("/_matrix/client/v3/sendToDevice/m.room_key_request/1") == "main"
    assert route("/_matrix/client/v1/media/download/a/b") == "main"
    assert route("/_matrix/key/v2/server") == "main"


@pytest.mark.parametrize(
    "extra, target, message",
    [
        ((), "compose", "--target host"),
        (("--tls", "synapse"), "host", "use --tls proxy"),
        (("--worker-base-port", "9000"), "host", "worker port 9000 is already used"),
        (("--client-workers", "40"), "host", "is not 0 to 32"),
    ],
)
def test_worker_profile_refusals(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    extra: tuple[str, ...],
    target: str,
    message: str,
) -> None:
    steward = tmp_path / "steward"
    assert main(["admin", "init-network", "--dir", str(steward), "--name", "t"]) == 0
    add = ["admin", "add-authority", "--steward-dir", str(steward), "--id", "ch"]
    add += ["--server-name", "matrix.ofj.example", "--out", str(tmp_path / "o")]
    code = main([*add, "--target", target, "--workers", *extra])
    assert code == 1
    assert message in capsys.readouterr().err
    assert not (tmp_path / "o").exists()
