"""deploy/: the compose file and systemd units parse and refer only to files that exist
(in the repository, or in an authority directory rendered by ``add-authority``)."""

from __future__ import annotations

import configparser
import importlib.metadata
import re
import shutil
import subprocess
import sys
from pathlib import Path, PurePosixPath

import pytest
import yaml

from tests.admin.helpers import render
from tests.tools import needs

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
UNITS = sorted((DEPLOY / "systemd").glob("coopnet-*.*"))
UNIT_ROOT = "/etc/coopnet/authority"
UNIT_VENV = "/opt/coopnet/venv"
# The virtual environment running the tests stands for the unit's (a worktree may have none).
VENV = Path(sys.executable).parent.parent
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
    for name in ("bot", "synapse"):
        build = compose["services"][name]["build"]
        context = (DEPLOY / build["context"]).resolve()
        dockerfile = context / build["dockerfile"]
        assert dockerfile.is_file(), name
        for source in re.findall(r"^COPY\s+(.+)\s+\S+$", dockerfile.read_text(), re.M):
            for part in source.split():
                assert (context / part).exists(), f"{dockerfile.name}: COPY {part}"


def test_the_synapse_image_is_synapse_with_the_gate_installed() -> None:
    """deploy/synapse.Dockerfile: Synapse's own image at the version the project tests,
    with this project installed without its dependencies (the gate needs none of them:
    tests/unit/test_federation_gate.py) and the gate imported once at build time."""
    text = (DEPLOY / "synapse.Dockerfile").read_text()
    (base,) = re.findall(r"^FROM\s+(\S+)", text, re.M)
    synapse = importlib.metadata.version("matrix-synapse")
    assert base == f"docker.io/matrixdotorg/synapse:v{synapse}", base
    assert re.search(r"pip install --no-cache-dir --no-deps /tmp/coopnet\b", text)
    assert 'python -c "import coopnet.federation_gate"' in text
    assert "COPY bots" not in text and "COPY tui" not in text  # the homeserver needs neither


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
    # The federation gate reads the directory that publish-directory installs, through a
    # read-only mount of its folder (an atomic replacement of a file mounted alone would
    # stay invisible in the container), and pins the steward key the bundle pinned.
    (gate,) = hs["modules"]
    assert gate["module"] == "coopnet.federation_gate.DirectoryGate"
    inside = PurePosixPath(gate["config"]["directory"])
    volumes = [_expand(v, env).split(":") for v in _compose()["services"]["synapse"]["volumes"]]
    source, _, mode = next(v for v in volumes if v[1] == str(inside.parent))
    assert mode == "ro" and Path(source) == out / "directory"
    assert (Path(source) / inside.name).is_file()
    pinned = (out / "directory" / "steward.pub").read_text().strip()
    assert gate["config"]["steward_key"] == pinned


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
        assert (VENV / "bin" / tool).exists() or tool == "python"
    for unit in re.findall(r"\b(coopnet-[\w-]+\.service)\b", text):
        assert (DEPLOY / "systemd" / unit).exists(), unit


def test_systemd_synapse_runs_from_the_venv_that_holds_coopnet(tmp_path: Path) -> None:
    """The homeserver's units start Synapse with the venv's Python, the venv whose
    ``coopnet`` command the bot's unit runs: so the gate named in homeserver.yaml imports;
    the rendered gate reads the bundle's own installed directory."""
    _, out = render(tmp_path, target="host")
    bot = _unit(DEPLOY / "systemd" / "coopnet-bot.service")["Service"]["ExecStart"]
    assert bot.startswith(f"{UNIT_VENV}/bin/coopnet ")
    for name in ("coopnet-synapse.service", "coopnet-synapse-worker@.service"):
        start = _unit(DEPLOY / "systemd" / name)["Service"]["ExecStart"]
        assert start.startswith(f"{UNIT_VENV}/bin/python -m synapse.app."), name
        assert f"--config-path {UNIT_ROOT}/synapse/config" in start, name
    hs = yaml.safe_load((out / "synapse/config/homeserver.yaml").read_text())
    assert Path(hs["modules"][0]["config"]["directory"]) == out / "directory/directory.json"
    assert (out / "directory/directory.json").is_file()
    subprocess.run([sys.executable, "-c", "import coopnet.federation_gate"], check=True, timeout=60)
    readme = (DEPLOY / "README.md").read_text()
    assert f"{UNIT_VENV}" in readme and "coopnet.federation_gate" in readme


# Outside a booted systemd (containers, CI) a dependency this repository does not ship,
# such as postgresql.service, may be unknown; systemd-analyze then says exactly this.
# Every unit named coopnet-* is this repository's and must exist.
FOREIGN_UNIT_NOT_FOUND = re.compile(r"Unit (?P<unit>[\w@.\\-]+) not found\.$")


def _verify_problems(units: Path) -> list[str]:
    """What ``systemd-analyze verify`` says about the units in ``units``, except that a
    unit from outside this repository (not coopnet-*) is not installed."""
    result = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", *sorted(str(p) for p in units.iterdir())],
        capture_output=True,
        text=True,
        timeout=60,
    )
    problems, forgiven = [], 0
    for line in (result.stdout + result.stderr).splitlines():
        foreign = FOREIGN_UNIT_NOT_FOUND.search(line.strip())
        if foreign and not foreign.group("unit").startswith("coopnet-"):
            forgiven += 1  # it explains a non-zero exit
        elif line.strip():
            problems.append(line)
    if result.returncode != 0 and not problems and not forgiven:
        problems.append(f"systemd-analyze exited {result.returncode} without saying why")
    return problems


def _render_units(tmp_path: Path) -> Path:
    """The units with their paths pointed at a rendered directory and this venv."""
    _, out = render(tmp_path, target="host")
    units = tmp_path / "units"
    units.mkdir()
    for path in UNITS:
        text = path.read_text().replace(UNIT_ROOT, str(out))
        text = text.replace(UNIT_VENV, str(VENV))
        text = text.replace("User=coopnet", "User=root").replace("Group=coopnet", "Group=root")
        (units / path.name).write_text(text)
    return units


SYSTEMD_ANALYZE = needs(shutil.which("systemd-analyze") is not None, "no systemd-analyze")


@SYSTEMD_ANALYZE
def test_systemd_analyze_verify(tmp_path: Path) -> None:
    """systemd's own parser and checks (commands exist, dependencies of ours exist)."""
    problems = _verify_problems(_render_units(tmp_path))
    assert not problems, "\n".join(problems)


@SYSTEMD_ANALYZE
def test_systemd_analyze_check_finds_broken_units(tmp_path: Path) -> None:
    """The positive control: what the check above would let through if it were blind."""
    units = _render_units(tmp_path)
    bot, synapse = units / "coopnet-bot.service", units / "coopnet-synapse.service"
    text = bot.read_text()
    assert "\nExecStart=" in text
    bot.write_text(text.replace("\nExecStart=", "\nBogusKey=1\nExecStart=/nonexistent/bin/x ", 1))
    problems = "\n".join(_verify_problems(units))
    assert "BogusKey" in problems and "/nonexistent/bin/x" in problems, problems

    bot.write_text(text)
    assert not _verify_problems(units)
    # A dependency on a unit of ours that does not exist is a problem; postgresql.service
    # missing from the machine is not. One missing unit at a time: systemd-analyze names
    # only the first it meets, in no fixed order.
    original = synapse.read_text()

    def requiring(unit: str) -> str:
        synapse.write_text(original.replace("[Unit]\n", f"[Unit]\nRequires={unit}\n", 1))
        return "\n".join(_verify_problems(units))

    problems = requiring("coopnet-missing.service")
    assert "coopnet-missing.service" in problems, problems
    assert not requiring("not-shipped.service")
