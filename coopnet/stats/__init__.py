"""Statistics from an authority's own consultation record, for itself and the review mechanism.

- :mod:`~coopnet.stats.figures` – the figures, computed from folded consultations (pure);
- :mod:`~coopnet.stats.render` – the figures as JSON, Markdown and CSV (pure);
- :mod:`~coopnet.stats.signed` – documents signed by the authority's bot key (pure);
- :mod:`~coopnet.stats.share` – the anonymised, signed figures another authority verifies;
- :mod:`~coopnet.stats.observations` – the observations drafted for the review mechanism;
- :mod:`~coopnet.stats.record` – the figures of a record database, once it verifies (I/O).

The state of each consultation is the consultation core's (:mod:`coopnet.consultation`),
folded from the record; this package only counts.
"""

from __future__ import annotations

from coopnet.stats.figures import Figures, Period, compute
from coopnet.stats.render import as_document, to_csv, to_markdown
from coopnet.stats.share import DEFAULT_THRESHOLD, SHARED_FORMAT, shared_document, verify_shared

__all__ = [
    "DEFAULT_THRESHOLD",
    "SHARED_FORMAT",
    "Figures",
    "Period",
    "as_document",
    "compute",
    "shared_document",
    "to_csv",
    "to_markdown",
    "verify_shared",
]
