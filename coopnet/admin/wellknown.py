"""The ``.well-known/matrix`` files the reverse proxy serves (pure)."""

from __future__ import annotations

from typing import Any

from coopnet.admin.settings import AuthoritySettings


def server_wellknown(s: AuthoritySettings) -> dict[str, Any]:
    """Where other homeservers reach this one for federation.

    With the network CA, federation is served on 8448 with the network certificate (the
    client port 443 carries a publicly trusted certificate); with public certificates,
    everything goes through 443.
    """
    port = 8448 if s.certificates == "network-ca" else 443
    return {"m.server": f"{s.public_host}:{port}"}


def client_wellknown(s: AuthoritySettings) -> dict[str, Any]:
    """Where clients (the CoopNet terminal client, Element) find the homeserver."""
    return {"m.homeserver": {"base_url": f"https://{s.public_host}"}}
