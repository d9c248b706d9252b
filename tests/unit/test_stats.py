"""Statistics from a real record (issue 18, part 5): the figures of a seeded record equal
the figures worked out by hand; a record that does not verify is refused; the shared
version is anonymised, signed and verifiable; the bot's view reads the record the same way."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from coopnet.consultation import Roster
from coopnet.consultation.recorded import fold_record
from coopnet.consultation.roster import Party, Person
from coopnet.errors import StatsError
from coopnet.keys import key_id
from coopnet.receipts import TrustedKey
from coopnet.records.database import verify_db
from coopnet.records.store import RecordStore
from coopnet.stats import Period, as_document, shared_document, to_csv, to_markdown, verify_shared
from coopnet.stats.figures import median, percentile
from coopnet.stats.record import figures_of_record
from tests.unit.stats_seed import EXPECTED, FROM, TO, Room, seed
from tests.unit.test_records_support import attacker_connection

KEYS = {a: Ed25519PrivateKey.generate() for a in ("ch", "mx", "cn")}
STATES = {"ch": "Switzerland", "mx": "Mexico", "cn": "China"}


def roster(keys: dict[str, Ed25519PrivateKey] = KEYS) -> Roster:
    parties = tuple(
        Party(
            a,
            STATES[a],
            a.upper(),
            f"{a}.example",
            ("en",),
            (Person(f"@officer:{a}.example"),),
            f"@bot:{a}.example",
        )
        for a in ("ch", "mx", "cn")
    )
    receipt_keys = {
        key_id(k): TrustedKey(k.public_key(), f"@bot:{a}.example") for a, k in keys.items()
    }
    return Roster(parties, receipt_keys, "test directory")


ROSTER = roster()
PERIOD = Period(dt.date.fromisoformat(FROM), dt.date.fromisoformat(TO))


@pytest.fixture
def record(tmp_path: Path) -> Path:
    path = tmp_path / "records.db"
    seed(path, ROSTER, KEYS["ch"], KEYS)
    assert verify_db(path).ok
    return path


def test_the_figures_of_a_seeded_record_are_the_figures_worked_out_by_hand(record: Path) -> None:
    figures = figures_of_record(record, ROSTER, period=PERIOD)
    assert figures.authority == "ch"  # the authority whose bot key signs the record
    document = as_document(figures)
    assert document["period"] == {"from": FROM, "to": TO}
    assert document["as_of"] == TO
    for section, expected in EXPECTED.items():
        assert document[section] == expected, section


def test_median_and_nearest_rank_percentile_by_hand() -> None:
    assert median([1, 2, 5]) == 2 and median([1, 2]) == 1.5 and median([]) is None
    values = list(range(1, 21))  # 1..20: the 90th percentile is the 18th value
    assert percentile(values, 0.9) == 18
    assert percentile([7], 0.9) == 7 and percentile([], 0.9) is None


def test_the_period_selects_by_opening_day_and_folds_up_to_its_end(record: Path) -> None:
    # Only D was opened in December 2025; on 2025-12-31 it waits in locating_person.
    december = Period(dt.date(2025, 12, 1), dt.date(2025, 12, 31))
    figures = figures_of_record(record, ROSTER, period=december)
    assert figures.consultations == 1
    assert figures.stage_days == {"pre_request_consultation": (1,)}
    # A stops on 2026-01-31: refused later, so no refusal yet, and its deadline (due
    # 01-30, extended to 02-10 on 01-25) still runs.
    january = Period(dt.date(2026, 1, 1), dt.date(2026, 1, 31))
    figures = figures_of_record(record, ROSTER, period=january)
    assert figures.consultations == 1 and figures.refusals == 0
    assert figures.deadlines == {
        "formal_request_after_provisional_arrest": {"extended": 1, "pending": 1}
    }
    everything = figures_of_record(record, ROSTER, as_of=dt.date(2026, 12, 31))
    assert everything.consultations == 5


def test_a_record_that_does_not_verify_is_refused(record: Path) -> None:
    # Someone with the file moves the arrest back ten days (a stay of 20 days becomes 30).
    conn = attacker_connection(record)
    content = conn.execute("SELECT content FROM entries WHERE seq = 3").fetchone()[0]
    assert "2026-01-12" in content
    conn.execute(
        "UPDATE entries SET content = ? WHERE seq = 3",
        (content.replace("2026-01-12", "2026-01-02"),),
    )
    conn.close()
    with pytest.raises(StatsError, match=r"does not verify.*first broken.*3"):
        figures_of_record(record, ROSTER, period=PERIOD)


def test_a_record_signed_by_a_key_the_directory_does_not_list_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "forged.db"
    seed(path, ROSTER, Ed25519PrivateKey.generate(), KEYS)  # verifies against its own key
    assert verify_db(path).ok
    with pytest.raises(StatsError, match="lists for no bot"):
        figures_of_record(path, ROSTER, period=PERIOD)


def test_someone_elses_record_is_not_counted_as_ones_own(record: Path) -> None:
    with pytest.raises(StatsError, match="--authority mx: the record is ch's"):
        figures_of_record(record, ROSTER, authority="mx", period=PERIOD)
    with pytest.raises(StatsError, match="no such record database"):
        figures_of_record(record.parent / "absent.db", ROSTER)


def test_the_bot_and_the_statistics_fold_the_record_alike(record: Path) -> None:
    from bots.consultation.view import build_view

    with RecordStore(record, KEYS["ch"]) as store:
        entries = store.entries()
    folded = fold_record(entries, ROSTER, ROSTER.receipt_keys)
    for case_ref, consultation in folded.items():
        view = build_view(
            "@bot:ch.example",
            [e for e in entries if e.case_ref == case_ref],
            ROSTER,
            ROSTER.receipt_keys,
        )
        assert view.consultation == consultation, case_ref


def test_markdown_and_csv_carry_the_same_figures(record: Path) -> None:
    document = as_document(figures_of_record(record, ROSTER, period=PERIOD))
    markdown = to_markdown(document)
    assert "| Consultation before the request | 3 | 2 | 5 |" in markdown
    assert "| Formal request after provisional arrest | 1 | 1 | 1 | 0 | 0 |" in markdown
    assert "Nationality of the person" in markdown
    french = to_markdown(document, "fr")
    assert "Délais" in french and "Refus par motif" in french
    lines = to_csv(document).splitlines()
    assert lines[0] == "section,item,measure,value"
    assert "deadlines,total,missed,3" in lines
    assert "stages,provisional_arrest_requested,median_days,1.5" in lines
    assert "assurances,death_penalty,breached,1" in lines


def test_the_shared_figures_merge_small_counts_and_verify(record: Path) -> None:
    figures = figures_of_record(record, ROSTER, period=PERIOD)
    shared = shared_document(figures, "@bot:ch.example", KEYS["ch"], threshold=2)
    c = shared["consultations"]
    assert c["by_counterpart"] == {"Mexico": 2, "other": 1}  # China alone is merged
    assert c["by_kind"] == {"extradition": 2, "other": 1}
    # Stages with one stay are pooled: 30, 4, 20, 17, 2, 11 days.
    stages = {s["stage"]: s for s in shared["stages"]}
    assert set(stages) == {"pre_request_consultation", "provisional_arrest_requested", "other"}
    assert stages["other"] == {"stage": "other", "stays": 6, "median_days": 14.0, "p90_days": 30}
    assert shared["refusals"]["by_ground"] == {"other": 2}
    text = repr(shared)
    for secret in ("CH-MX-1", "MX-CH-2", "@officer", "national of the requested", "$"):
        assert secret not in text
    trusted = dict(ROSTER.receipt_keys)
    assert verify_shared(shared, trusted).ok
    # Changed after signing: refused; signed by another bot's key: refused.
    changed = {**shared, "consultations": {**c, "total": 4}}
    assert not verify_shared(changed, trusted).ok
    other = shared_document(figures, "@bot:ch.example", KEYS["mx"], threshold=2)
    assert "belongs to @bot:mx.example" in verify_shared(other, trusted).reason
    # Not anonymised as announced: refused even when signed.
    unmerged = shared_document(figures, "@bot:ch.example", KEYS["ch"], threshold=2)
    unmerged["threshold"] = 5
    from coopnet.stats.signed import sign

    resigned = sign(unmerged, KEYS["ch"])
    assert "below the threshold" in verify_shared(resigned, trusted).reason


def test_a_back_dated_first_step_leaves_no_stay_to_measure(tmp_path: Path) -> None:
    # As in the demo: the provisional arrest was asked for two days before CoopNet.
    path = tmp_path / "records.db"
    users = {p.authority_id: p.officers[0].user_id for p in ROSTER.parties}
    bots = {p.authority_id: p.bot or "" for p in ROSTER.parties}
    with RecordStore(path, KEYS["ch"]) as store:
        room = Room(store, "CH-MX-5", "!r:ch.example", users, bots, KEYS)
        room.opened("2026-03-10", "ch", "mx", "extradition", {"basis": "untoc"})
        room.step(
            "ch",
            "2026-03-10",
            "stage",
            from_stage="pre_request_consultation",
            to_stage="provisional_arrest_requested",
            date="2026-03-08",
        )
        room.step(
            "mx",
            "2026-03-11",
            "stage",
            from_stage="provisional_arrest_requested",
            to_stage="provisional_arrest_executed",
            date="2026-03-11",
        )
    figures = figures_of_record(path, ROSTER, period=PERIOD)
    assert figures.stage_days == {"provisional_arrest_requested": (3,)}
