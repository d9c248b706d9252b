"""The anonymised figures an authority shares, signed by its bot's key (pure).

What is shared is :func:`coopnet.stats.render.as_document` with every count below the
threshold merged (:mod:`coopnet.stats.render`): figures carry no case reference, name
or free text to begin with. The document names the authority and its bot, and is signed
as a whole (:mod:`coopnet.stats.signed`), so another authority can check whose figures
they are against the bot receipt keys of the signed network directory.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from coopnet.receipts import Keys
from coopnet.stats import signed
from coopnet.stats.figures import Figures
from coopnet.stats.render import OTHER, as_document, rows

SHARED_FORMAT = "coopnet.stats.shared/1"
DEFAULT_THRESHOLD = 5


def shared_document(
    figures: Figures, bot: str, key: Ed25519PrivateKey, threshold: int = DEFAULT_THRESHOLD
) -> dict[str, Any]:
    """The figures with counts below ``threshold`` merged, signed by the bot's ``key``."""
    if threshold < 1:
        raise ValueError("threshold: at least 1")
    document = as_document(figures, threshold)
    document["format"] = SHARED_FORMAT
    document["bot"] = bot
    document["threshold"] = threshold
    return signed.sign(document, key)


def small_counts(document: Mapping[str, Any]) -> list[str]:
    """Counts in a shared document below its threshold outside the merged ``other``
    entries and the totals (what a verifier flags: not anonymised as announced)."""
    threshold = document.get("threshold")
    if not isinstance(threshold, int):
        return ["threshold: missing"]
    found = []
    for section, item, measure, value in rows(document):
        if item == "total" or OTHER in (item.rsplit(":", 1)[-1], measure):
            continue
        if measure in ("median_days", "p90_days"):
            continue
        if isinstance(value, int) and 0 < value < threshold:
            found.append(f"{section} {item} {measure} = {value}")
    return found


def verify_shared(document: Any, trusted: Keys) -> signed.SignedCheck:
    """Signed by a trusted bot key, and every count merged as the threshold says."""
    check = signed.verify(document, trusted, SHARED_FORMAT)
    if not check.ok:
        return check
    try:
        small = small_counts(document)
    except (KeyError, TypeError, AttributeError) as exc:
        return signed.SignedCheck(False, f"figures: not in the shared format ({exc})")
    if small:
        return signed.SignedCheck(
            False, f"counts below the threshold: {'; '.join(small[:5])}", check.key_id
        )
    return check
