"""Certificates, Synapse configuration and the network map, without any server."""

from __future__ import annotations

import ipaddress
import json
import stat
from pathlib import Path

import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from coopnet.cli import main
from coopnet.errors import BadFileError, NetworkError
from coopnet.network import lifecycle, load_network
from coopnet.network.pki import create_ca, issue_server_certificate
from coopnet.network.synapse_config import local_homeserver_config


@pytest.fixture
def laid_out(tmp_path: Path):
    options = lifecycle.NetworkOptions(
        authorities=["ch", "cn", "mx"], outsiders=["zz"], base_address="127.0.0.41"
    )
    return lifecycle.create_network(tmp_path / "net", options)


def test_server_certificate_has_ip_san_and_chains_to_ca(tmp_path: Path):
    create_ca(tmp_path / "ca.crt", tmp_path / "ca.key", "test")
    issue_server_certificate(
        "127.0.0.11",
        tmp_path / "ca.crt",
        tmp_path / "ca.key",
        tmp_path / "s.crt",
        tmp_path / "s.key",
    )
    ca = x509.load_pem_x509_certificate((tmp_path / "ca.crt").read_bytes())
    cert = x509.load_pem_x509_certificate((tmp_path / "s.crt").read_bytes())
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.IPAddress) == [ipaddress.ip_address("127.0.0.11")]
    assert cert.issuer == ca.subject
    public_key = ca.public_key()
    assert isinstance(public_key, ec.EllipticCurvePublicKey)
    cert.verify_directly_issued_by(ca)
    assert stat.S_IMODE((tmp_path / "s.key").stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "ca.key").stat().st_mode) == 0o600


def test_dns_server_name_gets_a_dns_san(tmp_path: Path):
    create_ca(tmp_path / "ca.crt", tmp_path / "ca.key", "test")
    issue_server_certificate(
        "matrix.justice.example",
        tmp_path / "ca.crt",
        tmp_path / "ca.key",
        tmp_path / "s.crt",
        tmp_path / "s.key",
    )
    cert = x509.load_pem_x509_certificate((tmp_path / "s.crt").read_bytes())
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == ["matrix.justice.example"]


def test_layout_gives_each_authority_its_own_address_and_accounts(laid_out):
    addresses = [a.address for a in laid_out.authorities]
    assert addresses == ["127.0.0.41", "127.0.0.42", "127.0.0.43", "127.0.0.44"]
    for authority in laid_out.authorities:
        roles = [a.role for a in authority.accounts]
        assert roles.count("officer") >= 2 and roles.count("bot") == 1
        assert all(a.user_id.endswith(":" + authority.server_name) for a in authority.accounts)
    assert [a.id for a in laid_out.members()] == ["ch", "cn", "mx"]
    assert stat.S_IMODE(laid_out.file.stat().st_mode) == 0o600


def test_member_config_is_closed_and_trusts_the_network_ca(laid_out):
    ch = laid_out.authority("ch")
    config = local_homeserver_config(ch, laid_out.member_server_names(), Path(laid_out.ca_cert))
    assert config["server_name"] == "127.0.0.41"
    assert config["federation_domain_whitelist"] == ["127.0.0.41", "127.0.0.42", "127.0.0.43"]
    assert config["federation_custom_ca_list"] == [laid_out.ca_cert]
    assert config["enable_registration"] is False
    assert config["trusted_key_servers"] == []
    assert config["ip_range_blacklist"] == []
    assert config["database"]["name"] == "sqlite3"
    listeners = {
        (lst["tls"], tuple(r["names"][0] for r in lst["resources"])) for lst in config["listeners"]
    }
    assert listeners == {(False, ("client",)), (True, ("federation",))}
    assert all(lst["bind_addresses"] == ["127.0.0.41"] for lst in config["listeners"])
    assert config["rc_message"]["per_second"] >= 100


def test_outsider_is_in_no_member_allowlist(laid_out):
    lifecycle.write_configs(laid_out)
    import yaml

    for authority in laid_out.members():
        config = yaml.safe_load((authority.path / "homeserver.yaml").read_text())
        assert "127.0.0.44" not in config["federation_domain_whitelist"]
    outsider = yaml.safe_load((laid_out.authority("zz").path / "homeserver.yaml").read_text())
    assert "federation_domain_whitelist" not in outsider


def test_network_json_round_trips(laid_out):
    loaded = load_network(laid_out.directory)
    assert loaded.to_json() == laid_out.to_json()
    data = json.loads(laid_out.file.read_text())
    first = data["authorities"][0]
    for key in ("id", "name", "server_name", "client_url", "data_dir", "accounts"):
        assert key in first
    assert set(first["accounts"][0]) >= {"user_id", "password", "role"}


@pytest.mark.parametrize(
    ("corrupt", "message"),
    [
        ("{not json", r"not valid JSON \(line 1, column 2"),
        ('{"version": 1, "name": "x"', r"line 1, column 27.*truncated\?"),
        ("[]", r"\(top level\): expected an object, found a list"),
        ('{"version": 1, "name": "x", "ca_cert": "c"}', "authorities: missing"),
        ('{"version": 7, "name": "x", "ca_cert": "c", "authorities": []}', "version: 7 is not"),
    ],
)
def test_corrupt_network_json_is_a_clear_error(tmp_path: Path, corrupt: str, message: str):
    (tmp_path / "network.json").write_text(corrupt)
    with pytest.raises(BadFileError, match=message):
        load_network(tmp_path)


def test_wrong_field_type_names_the_field(laid_out):
    data = json.loads(laid_out.file.read_text())
    data["authorities"][1]["client_port"] = "8008"
    laid_out.file.write_text(json.dumps(data))
    with pytest.raises(
        BadFileError, match=r"authorities\[1\]\.client_port: expected a whole number, found a"
    ):
        load_network(laid_out.directory)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (lifecycle.NetworkOptions(authorities=[]), "at least one"),
        (lifecycle.NetworkOptions(authorities=["ch", "ch"]), "unique"),
        (lifecycle.NetworkOptions(authorities=["CH"]), "lower-case"),
        (lifecycle.NetworkOptions(base_address="10.0.0.1"), "loopback"),
        (lifecycle.NetworkOptions(base_address="nonsense"), "not an IPv4"),
    ],
)
def test_bad_options_are_refused(options, message):
    with pytest.raises(NetworkError, match=message):
        lifecycle.validate_options(options)


def test_cli_reports_a_missing_network_clearly(tmp_path: Path, capsys):
    assert main(["net", "status", "--dir", str(tmp_path / "nowhere")]) == 2
    err = capsys.readouterr().err
    assert "network.json: does not exist" in err and "coopnet net up" in err


def test_up_refuses_a_non_empty_directory_without_network(tmp_path: Path, capsys):
    (tmp_path / "something.txt").write_text("x")
    assert main(["net", "up", "--dir", str(tmp_path)]) == 1
    assert "not empty" in capsys.readouterr().err


def test_synapse_missing_is_a_clear_error(monkeypatch):
    from coopnet.network import process

    monkeypatch.setattr(process.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(NetworkError, match="pip install matrix-synapse"):
        process.require_synapse()


def test_homeservers_accept_documents_up_to_the_network_limit(laid_out):
    """Synapse's max_upload_size follows the network's document limit (plus the headroom a
    federated download's multipart envelope needs), locally and in production."""
    from coopnet.network.lifecycle import write_configs
    from coopnet.protocol.attachment import DEFAULT_MAX_DOCUMENT_BYTES

    assert laid_out.max_document_bytes == DEFAULT_MAX_DOCUMENT_BYTES == 100 * 1024 * 1024
    laid_out.max_document_bytes = 7_000_000
    write_configs(laid_out)
    for authority in laid_out.authorities:
        config = yaml.safe_load((authority.path / "homeserver.yaml").read_text())
        assert config["max_upload_size"] == 7_000_000 + (1 << 20)  # a federated multipart


def test_members_load_the_federation_gate_and_outsiders_do_not(laid_out):
    lifecycle.write_configs(laid_out)
    network = load_network(laid_out.directory)
    assert network.steward_key is not None  # made with the first configurations
    for authority in network.authorities:
        config = yaml.safe_load((authority.path / "homeserver.yaml").read_text())
        if not authority.member:
            assert "modules" not in config
            continue
        (gate,) = config["modules"]
        assert gate["module"] == "coopnet.federation_gate.DirectoryGate"
        assert gate["config"] == {
            "directory": str((laid_out.directory / "directory.json").resolve()),
            "steward_key": network.steward_key,
        }
