"""What ``coopnet net status`` judges of a homeserver: its federation certificate against
the network CA, its clock from an HTTP ``Date`` header, and how it says so."""

from __future__ import annotations

import datetime as dt
import socket
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509

from coopnet.cli import main
from coopnet.network import lifecycle
from coopnet.network.pki import create_ca, issue_server_certificate
from coopnet.network.probes import (
    CLOCK_WARN_SECONDS,
    Probe,
    certificate_problem,
    clock_offset,
    clock_warning,
    served_certificate,
)


def _load(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


@pytest.fixture
def pki(tmp_path: Path) -> Path:
    create_ca(tmp_path / "ca.crt", tmp_path / "ca.key", "test")
    create_ca(tmp_path / "rogue.crt", tmp_path / "rogue.key", "rogue")
    return tmp_path


def _issue(pki: Path, name: str, ca: str = "ca", valid_until: dt.datetime | None = None) -> Path:
    issue_server_certificate(
        "127.0.0.11",
        pki / f"{ca}.crt",
        pki / f"{ca}.key",
        pki / f"{name}.crt",
        pki / f"{name}.key",
        valid_until=valid_until,
    )
    return pki / f"{name}.crt"


def test_a_certificate_of_the_network_ca_in_its_validity_is_accepted(pki: Path):
    assert certificate_problem(_load(_issue(pki, "good")), _load(pki / "ca.crt")) is None


def test_an_expired_certificate_is_refused_with_its_date(pki: Path):
    expired = dt.datetime(2026, 1, 2, 3, 4, tzinfo=dt.UTC)
    cert = _load(_issue(pki, "old", valid_until=expired))
    assert certificate_problem(cert, _load(pki / "ca.crt")) == (
        "certificate expired on 2026-01-02 03:04 UTC"
    )


def test_a_certificate_from_another_ca_is_refused_even_when_in_date(pki: Path):
    cert = _load(_issue(pki, "rogue-issued", ca="rogue"))
    problem = certificate_problem(cert, _load(pki / "ca.crt"))
    assert problem is not None
    assert problem.startswith("certificate not signed by the network CA")
    assert "rogue" in problem  # names who did sign it


def test_a_ca_with_the_same_name_but_another_key_does_not_pass(pki: Path):
    # An impostor copies the network CA's subject: only the signature tells them apart.
    create_ca(pki / "twin.crt", pki / "twin.key", "test")
    cert = _load(_issue(pki, "twin-issued", ca="twin"))
    assert _load(pki / "twin.crt").subject == _load(pki / "ca.crt").subject
    problem = certificate_problem(cert, _load(pki / "ca.crt"))
    assert problem is not None and "not signed by the network CA" in problem


def test_a_certificate_not_yet_valid_is_refused(pki: Path):
    cert = _load(_issue(pki, "good"))
    before = cert.not_valid_before_utc - dt.timedelta(hours=1)
    assert certificate_problem(cert, _load(pki / "ca.crt"), now=before) == (
        f"certificate not valid before {cert.not_valid_before_utc:%Y-%m-%d %H:%M} UTC"
    )


@pytest.fixture
def tls_listener(pki: Path) -> Iterator[tuple[int, Path]]:
    """A real TLS listener on loopback serving an expired certificate."""
    cert = _issue(pki, "served", valid_until=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, pki / "served.key")
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    stop = threading.Event()

    def serve() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            try:
                with context.wrap_socket(conn, server_side=True):
                    pass
            except (ssl.SSLError, OSError):
                pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield port, cert
    stop.set()
    thread.join()
    listener.close()


def test_the_served_certificate_is_read_even_when_expired(tls_listener, pki: Path):
    port, cert = tls_listener
    served = served_certificate("127.0.0.1", port)
    assert served == _load(cert)
    assert certificate_problem(served, _load(pki / "ca.crt")) == (
        "certificate expired on 2026-01-01 00:00 UTC"
    )


def test_clock_offset_from_a_date_header():
    sent = dt.datetime(2026, 12, 4, 18, 0, 0, tzinfo=dt.UTC).timestamp()
    header = "Fri, 04 Dec 2026 19:00:01 GMT"
    assert clock_offset(header, sent, sent + 2) == pytest.approx(3600.0)
    assert clock_offset("Fri, 04 Dec 2026 17:59:59 GMT", sent, sent + 0.2) == pytest.approx(-1.1)


@pytest.mark.parametrize("header", ["", "yesterday", "Fri, 04 Dec 2026 19:00:01"])
def test_a_bad_date_header_is_a_clear_error(header: str):
    with pytest.raises(ValueError, match="HTTP date"):
        clock_offset(header, 0.0, 0.0)


def test_clock_warning_only_above_the_threshold():
    assert clock_warning(None) is None
    assert clock_warning(CLOCK_WARN_SECONDS) is None
    assert clock_warning(-3) is None
    assert clock_warning(3600.4) == "clock 3600 s ahead of this machine's (more than 30 s)"
    assert clock_warning(-120) == "clock 120 s behind this machine's (more than 30 s)"


def _statuses(tmp_path: Path, probes: dict[str, Probe]):
    options = lifecycle.NetworkOptions(authorities=["ch", "cn", "mx"], base_address="127.0.0.41")
    network = lifecycle.create_network(tmp_path / "net", options)

    async def status(_directory: object):
        return network, [
            lifecycle.AuthorityStatus(a, 100 + i, True, probe=probes[a.id])
            for i, a in enumerate(network.authorities)
        ]

    return status


def test_net_status_names_the_member_and_the_reason_and_fails(tmp_path, monkeypatch, capsys):
    good = Probe(0.4, None)
    monkeypatch.setattr(
        lifecycle,
        "status",
        _statuses(
            tmp_path,
            {
                "ch": good,
                "cn": Probe(-0.2, "certificate expired on 2026-01-01 00:00 UTC"),
                "mx": Probe(3600.0, None),
            },
        ),
    )
    code = main(["net", "status", "--dir", str(tmp_path / "net")])
    out = " ".join(capsys.readouterr().out.split())  # rich wraps long lines
    assert code == 4
    assert (
        "error: cn (127.0.0.42): certificate expired on 2026-01-01 00:00 UTC; "
        "the other members refuse to federate with it"
    ) in out
    assert "warning: mx (127.0.0.43): clock 3600 s ahead of this machine's" in out


def test_net_status_warns_of_a_skewed_clock_without_failing(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(
        lifecycle,
        "status",
        _statuses(
            tmp_path, {"ch": Probe(0.0, None), "cn": Probe(-3599.0, None), "mx": Probe(1, None)}
        ),
    )
    assert main(["net", "status", "--dir", str(tmp_path / "net")]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "warning: cn (127.0.0.42): clock 3599 s behind" in out
    assert "error" not in out
