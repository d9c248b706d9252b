"""A member's federation certificate expired, then issued by another CA: the other members
refuse to federate with it (both ways) and ``coopnet net status`` names it and why.

Three members on their own addresses. cn's homeserver starts with a certificate that
expired yesterday, before it ever federated (so no peer holds its signing key from an
earlier, valid, contact); then it is restarted with a certificate of a rogue CA; then
with a good one, which must bring federation back. ch <-> mx is the control pair.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import time
from pathlib import Path

import aiohttp
import pytest

from coopnet.network import Authority, Network, lifecycle
from coopnet.network import trust as network_trust
from coopnet.network.pki import create_ca, issue_server_certificate
from coopnet.network.process import start_synapse, stop_synapse, wait_healthy
from tests.harness import BASE_ADDRESS, wait_async
from tests.reliability.cli import net_status
from tests.reliability.figures import CaseResult, record_case

pytestmark = [pytest.mark.integration, pytest.mark.reliability]

# +40..42 of the test base address: clear of the session network and the failure tests.
ADDRESS = str(ipaddress.IPv4Address(BASE_ADDRESS) + 40)
QUERY_TIMEOUT = 90.0


async def _bring_up(directory: Path, expired: dt.datetime) -> Network:
    """``net up`` step by step, with cn's certificate replaced before its first start
    (``up`` itself would stop at its federation check, which is what this case breaks)."""
    options = lifecycle.NetworkOptions(authorities=["ch", "cn", "mx"], base_address=ADDRESS)
    network = lifecycle.create_network(directory, options)
    _reissue(network, network.authority("cn"), Path(network.ca_cert).parent, expired)
    lifecycle.write_configs(network)
    await lifecycle.start_missing(network, lambda _m: None)
    await lifecycle.register_accounts(network, lambda _m: None)
    enrolled = await lifecycle.enroll_devices(network, lambda _m: None)
    network.save()
    network_trust.ensure_directory(network, enrolled, lambda _m: None)
    return network


def _reissue(
    network: Network, authority: Authority, ca_dir: Path, valid_until: dt.datetime | None = None
) -> None:
    tls = authority.path / "tls"
    issue_server_certificate(
        authority.address,
        ca_dir / "ca.crt",
        ca_dir / "ca.key",
        tls / "server.crt",
        tls / "server.key",
        valid_until=valid_until,
    )


async def _restart(authority: Authority) -> None:
    stop_synapse(authority)
    await wait_healthy(authority, start_synapse(authority), 120)


async def _federates(session: aiohttp.ClientSession, a: Authority, b: Authority) -> bool:
    """a's homeserver fetches a profile of b's over federation (what ``net up`` checks)."""
    url = f"{a.client_url}/_matrix/client/v3/profile/{b.accounts[0].user_id}"
    try:
        async with session.get(url, timeout=aiohttp.ClientTimeout(total=QUERY_TIMEOUT)) as resp:
            return resp.status == 200
    except (aiohttp.ClientError, TimeoutError):
        return False


def _certificate_log_lines(authority: Authority) -> int:
    """Lines of the homeserver's log that name a certificate failure (the reason given)."""
    text = (authority.path / "homeserver.log").read_text(encoding="utf-8", errors="replace")
    return sum(1 for line in text.splitlines() if "certificate" in line.lower())


async def test_bad_certificates_are_refused_and_named(tmp_path: Path):
    expired = (dt.datetime.now(dt.UTC) - dt.timedelta(days=1)).replace(second=0, microsecond=0)
    directory = tmp_path / "net"
    network = await _bring_up(directory, expired)
    try:
        ch, cn, mx = (network.authority(i) for i in ("ch", "cn", "mx"))
        async with aiohttp.ClientSession() as session:
            # The control pair federates: what fails below fails because of cn's certificate.
            await wait_async(
                lambda: _federates(session, ch, mx), "ch to federate with mx", timeout=120
            )
            assert await _federates(session, mx, ch)
            pairs = [(ch, cn), (cn, ch), (mx, cn), (cn, mx)]

            expired_refused = [not await _federates(session, a, b) for a, b in pairs]
            expired_code, expired_text = net_status(directory)

            rogue_dir = tmp_path / "rogue-ca"
            rogue_dir.mkdir()
            create_ca(rogue_dir / "ca.crt", rogue_dir / "ca.key", "rogue")
            _reissue(network, cn, rogue_dir)
            await _restart(cn)
            rogue_refused = [not await _federates(session, a, b) for a, b in pairs]
            rogue_code, rogue_text = net_status(directory)

            _reissue(network, cn, Path(network.ca_cert).parent)
            await _restart(cn)
            t0 = time.monotonic()
            for a, b in pairs:
                await wait_async(
                    lambda a=a, b=b: _federates(session, a, b),
                    f"{a.id} to federate with {b.id} once cn's certificate is good",
                    timeout=180,
                )
            recovered_s = time.monotonic() - t0
            good_code, good_text = net_status(directory)
        tls_lines = _certificate_log_lines(ch)
    finally:
        lifecycle.down(directory)

    who = f"cn ({cn.server_name})"
    assert expired_refused == [True] * 4, expired_refused
    assert expired_code == 4, expired_text
    assert f"{who}: certificate expired on {expired:%Y-%m-%d %H:%M} UTC" in expired_text
    assert rogue_refused == [True] * 4, rogue_refused
    assert rogue_code == 4, rogue_text
    assert f"{who}: certificate not signed by the network CA" in rogue_text
    assert good_code == 0, good_text
    assert "error:" not in good_text

    record_case(
        CaseResult(
            case="bad_certs",
            title="A member's TLS certificate expired or not signed by the network CA",
            held=True,
            figures={
                "federation directions tried per fault": len(pairs),
                "refused, certificate expired": sum(expired_refused),
                "refused, certificate of another CA": sum(rogue_refused),
                "net status exit code, expired / other CA / good": (
                    f"{expired_code} / {rogue_code} / {good_code}"
                ),
                "federation back after a good certificate (s)": round(recovered_s, 1),
                "lines of ch's homeserver log naming a certificate failure": tls_lines,
            },
            observed=[
                "cn's homeserver served a certificate that expired the day before; ch and mx "
                "refused to federate with it in both directions (their queries to cn failed, "
                "and so did cn's queries to them), while ch and mx federated with each other",
                f"net status said: '{who}: certificate expired on {expired:%Y-%m-%d %H:%M} UTC; "
                "the other members refuse to federate with it' and exited with 4",
                "restarted with a certificate of a rogue CA, cn was refused the same way and "
                "net status said 'certificate not signed by the network CA (issued by "
                "CN=CoopNet network CA (rogue),O=CoopNet)'",
                "restarted with a certificate of the network CA, cn federated again both ways "
                "and net status exited with 0",
                "limit: a member whose certificate expires while it runs keeps its signing key "
                "in the peers' caches (Synapse's key_refresh_interval, one day by default), so "
                "its own requests are accepted until that lapses; requests to it fail at once",
            ],
        )
    )
