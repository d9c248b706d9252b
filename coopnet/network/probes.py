"""What ``coopnet net status`` checks of each homeserver beyond "it answers".

Two faults that leave a homeserver healthy while the network suffers: a federation
TLS certificate the other members refuse (expired, or not issued by the network CA),
and a clock far from the others (Synapse stamps events, signs server keys with a
validity and the bots read event times). The judgements are pure functions; the
probes fetch what the homeserver really serves: the certificate on its federation
port, the ``Date`` header of its client API.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import email.utils
import ssl
import time
from dataclasses import dataclass

import aiohttp
from cryptography import x509
from cryptography.exceptions import InvalidSignature

from coopnet.network.model import Authority

# An HTTP date has a resolution of one second and the probe's round trip adds a little:
# below this a difference is noise, above it the operator should look at NTP.
CLOCK_WARN_SECONDS = 30.0
PROBE_TIMEOUT = 5.0


def _when(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


def certificate_problem(
    cert: x509.Certificate, ca: x509.Certificate, now: dt.datetime | None = None
) -> str | None:
    """Why the other members refuse this federation certificate, or None if they accept it."""
    now = now or dt.datetime.now(dt.UTC)
    try:
        cert.verify_directly_issued_by(ca)
    except (ValueError, TypeError, InvalidSignature):
        return (
            f"certificate not signed by the network CA (issued by {cert.issuer.rfc4514_string()})"
        )
    if cert.not_valid_after_utc < now:
        return f"certificate expired on {_when(cert.not_valid_after_utc)}"
    if cert.not_valid_before_utc > now:
        return f"certificate not valid before {_when(cert.not_valid_before_utc)}"
    return None


def clock_offset(date_header: str, sent: float, received: float) -> float:
    """Seconds the server's clock is ahead of ours (negative: behind), from its ``Date``
    header and the local wall-clock times the request left and the answer came back."""
    try:
        server = email.utils.parsedate_to_datetime(date_header)
    except (TypeError, ValueError):
        raise ValueError(f"not an HTTP date: {date_header!r}") from None
    if server.tzinfo is None:
        raise ValueError(f"an HTTP date without a time zone: {date_header!r}")
    # The server stamps the header somewhere in the round trip: take its middle.
    return server.timestamp() - (sent + received) / 2


def clock_warning(offset: float | None, threshold: float = CLOCK_WARN_SECONDS) -> str | None:
    if offset is None or abs(offset) <= threshold:
        return None
    direction = "ahead of" if offset > 0 else "behind"
    return f"clock {abs(offset):.0f} s {direction} this machine's (more than {threshold:.0f} s)"


@dataclass(frozen=True)
class Probe:
    """What one homeserver showed: its clock offset and the verdict on its certificate."""

    clock_offset: float | None  # None: the client API did not answer
    certificate_problem: str | None
    certificate_error: str | None = None  # the certificate could not be fetched or read


async def probe_clock(session: aiohttp.ClientSession, authority: Authority) -> float | None:
    sent = time.time()
    try:
        async with session.get(
            authority.client_url + "/health", timeout=aiohttp.ClientTimeout(total=PROBE_TIMEOUT)
        ) as resp:
            header = resp.headers.get("Date")
    except (TimeoutError, aiohttp.ClientError, OSError):
        return None
    received = time.time()
    if header is None:
        return None
    try:
        return clock_offset(header, sent, received)
    except ValueError:
        return None


def served_certificate(address: str, port: int) -> x509.Certificate:
    """The certificate a TLS listener presents, fetched without judging it (that is
    :func:`certificate_problem`'s job, with the reason)."""
    pem = ssl.get_server_certificate((address, port), timeout=PROBE_TIMEOUT)
    return x509.load_pem_x509_certificate(pem.encode("ascii"))


async def probe(
    session: aiohttp.ClientSession, authority: Authority, ca: x509.Certificate
) -> Probe:
    offset = await probe_clock(session, authority)
    try:
        cert = await asyncio.to_thread(
            served_certificate, authority.address, authority.federation_port
        )
    except (OSError, ValueError) as exc:
        return Probe(
            offset, None, f"no certificate read on port {authority.federation_port}: {exc}"
        )
    return Probe(offset, certificate_problem(cert, ca))
