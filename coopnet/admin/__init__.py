"""Admin tooling: set up a network, bring an authority's homeserver into production.

- :mod:`.steward` — the steward's directory: signing key, network CA, members;
- :mod:`.bundle` — ``add-authority``: every file one authority needs (renderers in
  :mod:`.homeserver`, :mod:`.wellknown`, :mod:`.proxy`, :mod:`.botconfig`);
- :mod:`.officers` — register and deactivate accounts on a running homeserver;
- :mod:`.backup` — back up and restore records and bot state.

``deploy/README.md`` is the admin guide.
"""

from __future__ import annotations
