"""deploy/: the compose file and systemd units parse and refer only to files that exist
(in the repository, or in an authority directory rendered by ``add-authority``)."""

from __future__ import annotations

import configparser
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.admin.helpers import render

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
UNITS = sorted((DEPLOY / "systemd").glob("coopnet-*.*"))
UNIT_ROOT = "/etc/coopnet/authority"
UNIT_VENV = "/opt/coopnet/venv"
_VAR = re.compile(r"\$\{(\w+)(?::?[-?][^}]*)?\}")


def _compose() -> dict:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text())


def _expand(text: str, env: dict[str, str]) -> str:
    return _VAR.sub(lambda m: env.get(m.group(1), ""), text)


def test_compose_services_and_syntax() -> None:
    compose = _compose()
    assert set(compose["services"]) == {"postgres", "synapse", "bot", "proxy"}
    for name, service in compose["services"].items():
        assert "image" in service or "build" in service, name
        for dep in service.get("depends_on", []):
            assert dep in compose["services"]
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0]
            if not source.startswith(("/", "$")):
                assert source in compose["volumes"], f"{name}: named volume {source}"
    build = compose["services"]["bot"]["build"]
    context = (DEPLOY / build["context"]).resolve()
    assert (context / build["dockerfile"]).is_file()


def test_compose_mounts_exist_in_a_rendered_authority(tmp_path: Path) -> None:
    _, out = render(tmp_path)
    env = dict(
        line.split("=", 1)
        for line in (out / ".env").read_text().splitlines()
        if "=" in line and not line.startswith("#")
    )
    assert env["COOPNET_AUTHORITY_DIR"] == str(out)
    for name, service in _compose()["services"].items():
        for volume in service.get("volumes", []):
            source, target = _expand(volume, env).split(":")[:2]
            if source.startswith(str(out)):
                assert Path(source).exists(), f"{name}: {source} is not rendered"
    hs = yaml.safe_load((out / "synapse/config/homeserver.yaml").read_text())
    # Every path Synapse reads inside the container lies under a mount of the synapse service.
    mounts = [_expand(v, env).split(":")[1] for v in _compose()["services"]["synapse"]["volumes"]]
    for key in ("signing_key_path", "log_config", "media_store_path", "pid_file"):
        assert any(hs[key].startswith(m + "/") for m in mounts), key
    assert all(any(p.startswith(m + "/") for m in mounts) for p in hs["federation_custom_ca_list"])


def _unit(path: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string(path.read_text())
    return parser


@pytest.mark.parametrize("path", UNITS, ids=lambda p: p.name)
def test_systemd_unit_syntax(path: Path) -> None:
    unit = _unit(path)
    assert "Unit" in unit
    kind = path.suffix[1:]
    assert kind.capitalize() in unit, f"{path.name} has no [{kind.capitalize()}] section"
    allowed = {"Unit", "Service", "Timer", "Install"}
    assert set(unit.sections()) <= allowed


@pytest.mark.parametrize("path", UNITS, ids=lambda p: p.name)
def test_systemd_units_refer_to_rendered_files(path: Path, tmp_path: Path) -> None:
    _, out = render(tmp_path, target="host")
    text = path.read_text()
    for ref in re.findall(re.escape(UNIT_ROOT) + r"(/[\w./-]*)?", text):
        rel = ref.lstrip("/")
        assert (out / rel).exists(), f"{path.name}: {UNIT_ROOT}/{rel} is not rendered"
    for tool in re.findall(re.escape(UNIT_VENV) + r"/bin/([\w.-]+)", text):
        assert (REPO / ".venv" / "bin" / tool).exists() or tool == "python"
    for unit in re.findall(r"\b(coopnet-[\w-]+\.service)\b", text):
        assert (DEPLOY / "systemd" / unit).exists(), unit


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze")
def test_systemd_analyze_verify(tmp_path: Path) -> None:
    """systemd's own parser, with the paths pointed at a rendered directory and this venv."""
    _, out = render(tmp_path, target="host")
    units = tmp_path / "units"
    units.mkdir()
    for path in UNITS:
        text = path.read_text().replace(UNIT_ROOT, str(out))
        text = text.replace(UNIT_VENV, str(REPO / ".venv"))
        text = text.replace("User=coopnet", "User=root").replace("Group=coopnet", "Group=root")
        (units / path.name).write_text(text)
    result = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", *sorted(str(p) for p in units.iterdir())],
        capture_output=True,
        text=True,
        timeout=60,
    )
    # Outside a booted systemd (containers, CI) dependencies such as postgresql.service
    # are unknown; only syntax problems with our own units count.
    problems = [
        line
        for line in (result.stdout + result.stderr).splitlines()
        if str(units) in line
        and ("Unknown" in line or "Invalid" in line or "Failed" in line)
        and "not found" not in line
    ]
    assert not problems, "\n".join(problems)
