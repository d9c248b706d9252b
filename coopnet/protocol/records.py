"""Base classes of protocol records and the small records nested inside events."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Self

from coopnet.protocol.fields import (
    AUTHORITY,
    COUNTRY,
    DEVICE_ID,
    DEVICE_KEY,
    ID_LEN,
    LINE_LEN,
    NAME_LEN,
    SCRIPT,
    SLUG,
    Boolean,
    Choice,
    Day,
    Integer,
    Text,
    optional,
    required,
)
from coopnet.protocol.validation import ParseError, Problem, dump_record, parse_record
from coopnet.protocol.vocab import (
    AuthorityRole,
    DocumentType,
    Kind,
    LegalBasisType,
    PenaltyKind,
    WarrantKind,
)


@dataclass(frozen=True, kw_only=True)
class Record:
    """A frozen, validated record. ``extra`` keeps unknown fields of the input untouched."""

    extra: Mapping[str, Any] = field(default_factory=dict, hash=False, repr=False)

    @classmethod
    def from_dict(cls, data: Any, path: str = "") -> Self | ParseError:
        """Validate ``data``; never raises on bad input, returns a :class:`ParseError` instead."""
        problems: list[Problem] = []
        record = parse_record(cls, data, path, problems)
        if record is None:
            return ParseError(tuple(problems), cls.type_name())
        return record

    def to_dict(self) -> dict[str, Any]:
        return dump_record(self)

    @classmethod
    def type_name(cls) -> str | None:
        """The full event type of an event class; None for nested records."""
        return None


def authority_id() -> Text:
    return Text(32, pattern=AUTHORITY)


@dataclass(frozen=True, kw_only=True)
class LegalBasis(Record):
    """The legal basis of the cooperation; ``instrument`` selects the deadline rules."""

    basis: LegalBasisType = required(Choice(LegalBasisType))
    instrument: str | None = optional(Text(ID_LEN, pattern=SLUG))
    citation: str | None = optional(Text(LINE_LEN))


@dataclass(frozen=True, kw_only=True)
class PersonName(Record):
    family: str = required(Text(NAME_LEN))
    given: str | None = optional(Text(NAME_LEN))
    script: str | None = optional(Text(4, pattern=SCRIPT))


@dataclass(frozen=True, kw_only=True)
class IdentityDocument(Record):
    doc_type: DocumentType = required(Choice(DocumentType))
    number: str = required(Text(ID_LEN))
    issuing_state: str | None = optional(Text(2, pattern=COUNTRY))
    expiry: dt.date | None = optional(Day())


@dataclass(frozen=True, kw_only=True)
class Warrant(Record):
    """The warrant of arrest or the judgment the request is based on."""

    warrant_kind: WarrantKind = required(Choice(WarrantKind))
    issuing_authority: str = required(Text(LINE_LEN))
    date: dt.date = required(Day())
    reference: str | None = optional(Text(100))


@dataclass(frozen=True, kw_only=True)
class Penalty(Record):
    """Maximum penalty for the offence, or the part of the sentence left to serve."""

    penalty_kind: PenaltyKind = required(Choice(PenaltyKind))
    years: int | None = optional(Integer(0, 150))
    months: int | None = optional(Integer(0, 11))
    days: int | None = optional(Integer(0, 30))
    life: bool | None = optional(Boolean())


@dataclass(frozen=True, kw_only=True)
class AuthorityEntry(Record):
    """One authority of a State by what it does (e.g. Mexico: the SRE receives the request
    and decides, the FGR applies to the judge for detention and is the MLA central
    authority)."""

    role: AuthorityRole = required(Choice(AuthorityRole))
    authority_name: str = required(Text(LINE_LEN))
    kind: Kind | None = optional(Choice(Kind))


@dataclass(frozen=True, kw_only=True)
class GrantedDevice(Record):
    """One device of an expert given access, as the granting authority enrolled it."""

    device_id: str = required(Text(64, pattern=DEVICE_ID))
    ed25519: str = required(Text(43, min_len=43, pattern=DEVICE_KEY))


NESTED_RECORDS: tuple[type[Record], ...] = (
    LegalBasis,
    PersonName,
    IdentityDocument,
    Warrant,
    Penalty,
    AuthorityEntry,
    GrantedDevice,
)
