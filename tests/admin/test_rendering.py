"""coopnet admin init-network / add-authority: what they render and what they refuse."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
import yaml
from cryptography import x509

from coopnet.admin.names import validate_server_name
from coopnet.cli import COMMAND_MODULES, main
from coopnet.errors import AdminError
from coopnet.federation_gate import DirectoryGate, ListedServers, module_config
from tests.admin.helpers import render


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _hs(out: Path) -> dict:
    return yaml.safe_load((out / "synapse/config/homeserver.yaml").read_text())


def test_registered_in_the_coopnet_command() -> None:
    assert "coopnet.cli.admin" in COMMAND_MODULES


def test_init_network_keys_are_private(tmp_path: Path) -> None:
    steward, _ = render(tmp_path)
    assert _mode(steward / "keys/steward.key") == 0o600
    assert _mode(steward / "ca/ca.key") == 0o600
    assert _mode(steward / "keys") == 0o700
    assert json.loads((steward / "steward.json").read_text())["members"][0]["id"] == "ch"


def test_init_network_refuses_to_overwrite(tmp_path: Path, capsys) -> None:
    render(tmp_path)
    code = main(["admin", "init-network", "--dir", str(tmp_path / "steward")])
    assert code == 1
    assert "refusing to overwrite" in capsys.readouterr().err


def test_production_config_is_closed(tmp_path: Path) -> None:
    _, out = render(tmp_path)
    hs = _hs(out)
    assert hs["server_name"] == "matrix.ofj.example"
    assert hs["public_baseurl"] == "https://matrix.ofj.example/"
    assert hs["database"]["name"] == "psycopg2"
    assert hs["database"]["args"]["host"] == "postgres"
    assert hs["enable_registration"] is False
    assert hs["allow_guest_access"] is False
    assert hs["allow_public_rooms_over_federation"] is False
    assert hs["allow_public_rooms_without_auth"] is False
    assert hs["room_list_publication_rules"] == [{"action": "deny"}]
    assert hs["trusted_key_servers"] == []
    assert hs["encryption_enabled_by_default_for_room_type"] == "all"
    assert hs["federation_custom_ca_list"] == ["/coopnet/tls/network-ca.crt"]
    assert hs["retention"]["enabled"] is True
    assert hs["retention"]["default_policy"]["max_lifetime"] == "730d"
    assert hs["max_upload_size"] == 101 * 1024 * 1024  # the document limit + headroom
    nginx = (out / "proxy" / "coopnet.conf").read_text()
    assert f"client_max_body_size {101 * 1024 * 1024};" in nginx
    assert "ip_range_blacklist" not in hs  # production keeps Synapse's default blocklist
    assert "federation_domain_whitelist" not in hs
    fed = yaml.safe_load((out / "synapse/config/federation.yaml").read_text())
    assert fed == {"federation_domain_whitelist": ["matrix.ofj.example"]}
    listener = hs["listeners"][0]
    assert listener["x_forwarded"] is True and listener["tls"] is False
    assert set(listener["resources"][0]["names"]) == {"client", "federation"}
    log = yaml.safe_load((out / "synapse/log.config").read_text())
    assert log["handlers"]["file"]["class"] == "logging.handlers.RotatingFileHandler"
    assert _mode(out / "synapse/config/homeserver.yaml") == 0o600
    assert _mode(out / ".env") == 0o600
    assert _mode(out / "tls/federation.key") == 0o600


def test_secrets_are_not_printed_unless_asked(tmp_path: Path, capsys) -> None:
    _, out = render(tmp_path)
    printed = capsys.readouterr().out
    secret = _hs(out)["registration_shared_secret"]
    password = _hs(out)["database"]["args"]["password"]
    assert secret not in printed and password not in printed
    assert "Next steps" in printed


def test_second_authority_extends_the_allowlist(tmp_path: Path) -> None:
    steward, _ = render(tmp_path)
    assert (
        main(
            [
                "admin",
                "add-authority",
                "--steward-dir",
                str(steward),
                "--id",
                "mx",
                "--server-name",
                "matrix.fgr.example",
                "--out",
                str(tmp_path / "mx"),
            ]
        )
        == 0
    )
    fed = yaml.safe_load((tmp_path / "mx/synapse/config/federation.yaml").read_text())
    assert fed["federation_domain_whitelist"] == ["matrix.fgr.example", "matrix.ofj.example"]


def test_certificate_is_issued_by_the_network_ca(tmp_path: Path) -> None:
    steward, out = render(tmp_path)
    cert = x509.load_pem_x509_certificate((out / "tls/federation.crt").read_bytes())
    ca = x509.load_pem_x509_certificate((steward / "ca/ca.crt").read_bytes())
    assert cert.issuer == ca.subject
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert names.get_values_for_type(x509.DNSName) == ["matrix.ofj.example"]


def test_well_known_and_proxy(tmp_path: Path) -> None:
    _, out = render(tmp_path)
    server = json.loads((out / "well-known/matrix/server").read_text())
    client = json.loads((out / "well-known/matrix/client").read_text())
    assert server == {"m.server": "matrix.ofj.example:8448"}
    assert client == {"m.homeserver": {"base_url": "https://matrix.ofj.example"}}
    conf = (out / "proxy/coopnet.conf").read_text()
    assert conf.count("{") == conf.count("}")
    assert "proxy_pass http://synapse:8008;" in conf
    assert "location /_synapse/admin { return 404; }" in conf
    assert "ssl_certificate /coopnet/tls/federation.crt;" in conf
    bot = yaml.safe_load((out / "bot/bot.yaml").read_text())
    assert bot["user_id"] == "@bot:matrix.ofj.example"
    assert bot["homeserver"] == "http://synapse:8008"


def test_the_homeserver_loads_the_federation_gate_on_the_installed_directory(
    tmp_path: Path,
) -> None:
    steward, out = render(tmp_path)
    pinned = (out / "directory/steward.pub").read_text().strip()
    # The same entry as the local network's (one place), on the mounted bundle's paths.
    assert _hs(out)["modules"] == [module_config("/coopnet/directory/directory.json", pinned)]
    assert pinned == (steward / "keys/steward.pub").read_text().strip()
    gate = DirectoryGate.parse_config(_hs(out)["modules"][0]["config"])
    assert gate.steward_key == pinned
    # What Synapse would enforce now, read from the installed file as the module reads it.
    installed = ListedServers(out / "directory/directory.json", gate.steward_key, "x.example")
    assert installed.allows("matrix.ofj.example") and not installed.allows("other.example")
    assert installed.version == 2


def test_host_target_uses_the_directory_and_loopback(tmp_path: Path) -> None:
    _, out = render(tmp_path, target="host")
    hs = _hs(out)
    assert hs["signing_key_path"] == str(out / "synapse/signing.key")
    assert hs["modules"][0]["config"]["directory"] == str(out / "directory/directory.json")
    assert hs["listeners"][0]["bind_addresses"] == ["127.0.0.1"]
    assert hs["database"]["args"]["host"] == "127.0.0.1"
    assert "proxy_pass http://127.0.0.1:8008;" in (out / "proxy/coopnet.conf").read_text()


def test_existing_configuration_needs_force(tmp_path: Path, capsys) -> None:
    steward, out = render(tmp_path)
    before = _hs(out)["registration_shared_secret"]
    argv = [
        "admin",
        "add-authority",
        "--steward-dir",
        str(steward),
        "--id",
        "ch",
        "--server-name",
        "matrix.ofj.example",
        "--out",
        str(out),
    ]
    assert main(argv) == 1
    assert "already" in capsys.readouterr().err
    assert _hs(out)["registration_shared_secret"] == before
    assert main([*argv, "--force"]) == 0


@pytest.mark.parametrize(
    "name, fragment",
    [
        ("127.0.0.1", "IP address"),
        ("matrix.ofj.example:8448", "port"),
        ("localhost", "not a valid DNS name"),
        ("bad_name.example", "not a valid DNS name"),
        ("-x.example", "not a valid DNS name"),
    ],
)
def test_invalid_server_names(name: str, fragment: str) -> None:
    with pytest.raises(AdminError, match=fragment):
        validate_server_name(name)


def test_invalid_server_name_on_the_command_line(tmp_path: Path, capsys) -> None:
    main(["admin", "init-network", "--dir", str(tmp_path / "s")])
    capsys.readouterr()
    code = main(
        [
            "admin",
            "add-authority",
            "--steward-dir",
            str(tmp_path / "s"),
            "--id",
            "ch",
            "--server-name",
            "10.0.0.1",
            "--out",
            str(tmp_path / "o"),
        ]
    )
    assert code == 1
    assert "needs a DNS name" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_network_ca_mode_refuses_delegation(tmp_path: Path, capsys) -> None:
    main(["admin", "init-network", "--dir", str(tmp_path / "s")])
    code = main(
        [
            "admin",
            "add-authority",
            "--steward-dir",
            str(tmp_path / "s"),
            "--id",
            "ch",
            "--server-name",
            "ofj.example",
            "--public-host",
            "matrix.ofj.example",
            "--out",
            str(tmp_path / "o"),
        ]
    )
    assert code == 1
    assert "--public-host must equal --server-name" in capsys.readouterr().err


def test_public_certificates(tmp_path: Path) -> None:
    steward = tmp_path / "s"
    assert main(["admin", "init-network", "--dir", str(steward), "--certificates", "public"]) == 0
    assert not (steward / "ca").exists()
    assert (
        main(
            [
                "admin",
                "add-authority",
                "--steward-dir",
                str(steward),
                "--id",
                "ch",
                "--server-name",
                "ofj.example",
                "--public-host",
                "matrix.ofj.example",
                "--out",
                str(tmp_path / "o"),
            ]
        )
        == 0
    )
    hs = _hs(tmp_path / "o")
    assert "federation_custom_ca_list" not in hs
    server = json.loads((tmp_path / "o/well-known/matrix/server").read_text())
    assert server == {"m.server": "matrix.ofj.example:443"}


def test_register_officer_without_a_homeserver_says_so(tmp_path: Path, capsys) -> None:
    _, out = render(tmp_path, "--client-port", "1", target="host")
    capsys.readouterr()
    code = main(["admin", "register-officer", "--authority-dir", str(out), "--localpart", "a"])
    assert code == 1
    assert "is Synapse running" in capsys.readouterr().err
