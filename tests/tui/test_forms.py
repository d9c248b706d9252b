"""The pure form code: lists of entries laid out, collected, removed, and errors put back."""

from __future__ import annotations

from dataclasses import fields

from coopnet.protocol import IdentityDocument, PersonIdentity, PersonName, RequirementsAnswer
from coopnet.protocol.fields import ListOf, Nested, Text, spec_of
from coopnet.protocol.vocab import DocumentType
from tui.forms import (
    FORM_CLASSES,
    EntryDef,
    FieldDef,
    ListDef,
    collect,
    counts_from,
    drop_entry,
    entry_defs,
    expand,
    flatten,
    place,
    spec_at,
    validate,
    walk,
)


def paths(defs: list) -> list[str]:
    return [d.path for d in defs]


def test_every_list_of_records_or_values_in_the_protocol_is_filled_entry_by_entry():
    def lists(cls: type, prefix: str = "") -> set[str]:
        out = set()
        for f in fields(cls):
            spec = spec_of(f)
            path = f"{prefix}.{f.name}" if prefix else f.name
            if isinstance(spec, Nested):
                out |= lists(spec.cls, path)
            elif isinstance(spec, ListOf) and not hasattr(spec.item, "enum"):
                out.add(path)
        return out

    for cls in FORM_CLASSES:
        listed = {d.path for d in walk(cls) if isinstance(d, ListDef)}
        assert listed == lists(cls), cls.TYPE
    identity = {d.path: d for d in walk(PersonIdentity)}
    assert {
        "names",
        "identity_documents",
        "aliases",
        "nationalities",
        "photo_refs",
        "fingerprint_refs",
        "legal_provisions",
    } <= set(identity)
    # A list of choices stays one multi-select.
    answer = {d.path: d for d in walk(RequirementsAnswer)}
    assert isinstance(answer["channels"], FieldDef)
    assert isinstance(answer["languages"], ListDef)


def test_layout_has_the_entries_asked_for_and_at_least_the_minimum():
    # No counts: one name (at least one is required), no documents, no aliases.
    layout = expand(PersonIdentity)
    entries = [d.path for d in layout if isinstance(d, EntryDef)]
    assert entries == ["names[0]"]
    assert "names[0].family" in paths(layout)
    assert not any(p.startswith(("identity_documents[", "aliases[")) for p in paths(layout))
    # Several entries, numbered from 0, each with the record's fields or its one value.
    layout = expand(PersonIdentity, {"names": 2, "identity_documents": 3, "aliases": 1})
    got = paths(layout)
    assert [p for p in got if p.startswith("identity_documents[")] == [
        f"identity_documents[{i}]{rest}"
        for i in range(3)
        for rest in ("", ".doc_type", ".number", ".issuing_state", ".expiry")
    ]
    assert got.index("names[1].family") < got.index("aliases")
    # A single-value entry is the entry and its one field.
    alias = [d for d in layout if d.path == "aliases[0]"]
    assert [type(d) for d in alias] == [EntryDef, FieldDef]
    assert isinstance(alias[1], FieldDef) and isinstance(alias[1].spec, Text)
    assert alias[1].required
    names = next(d for d in layout if isinstance(d, ListDef) and d.path == "names")
    assert [d.path for d in entry_defs(names, 4, depth=0)] == [
        "names[4].family",
        "names[4].given",
        "names[4].script",
    ]
    assert counts_from(["names[2].family", "aliases[0]", "case_ref"]) == {"names": 3, "aliases": 1}


def test_collect_zero_one_and_several_entries():
    assert collect(PersonIdentity, {"names[0].family": "", "aliases[0]": " "}).content == {}
    one = collect(PersonIdentity, {"names[0].family": " DOE ", "nationalities[0]": "CN"})
    assert one.content == {"names": [{"family": "DOE"}], "nationalities": ["CN"]}
    several = collect(
        PersonIdentity,
        {
            "names[0].family": "DOE",
            "names[0].given": "Jane",
            "names[1].family": "ДОУ",
            "names[1].script": "Cyrl",
            "identity_documents[0].doc_type": "passport",
            "identity_documents[0].number": "E1",
            "identity_documents[1].doc_type": "national_id",
            "identity_documents[1].number": "N2",
            "identity_documents[1].expiry": "2030-01-31",
            "aliases[0]": "JD",
            "aliases[1]": "J. Doe",
        },
    )
    event = validate(PersonIdentity, several.content)
    assert isinstance(event, PersonIdentity)
    assert event.names == (
        PersonName(family="DOE", given="Jane"),
        PersonName(family="ДОУ", script="Cyrl"),
    )
    assert [d.doc_type for d in event.identity_documents] == [
        DocumentType.PASSPORT,
        DocumentType.NATIONAL_ID,
    ]
    assert event.aliases == ("JD", "J. Doe")
    assert several.moved == {}


def test_removing_an_entry_moves_the_next_ones_up():
    values = {
        "case_ref": "X",
        "aliases[0]": "A",
        "aliases[1]": "B",
        "aliases[2]": "C",
        "names[0].family": "F0",
        "names[1].family": "F1",
        "names[2].family": "F2",
        "names[2].given": "G2",
    }
    assert drop_entry(values, "aliases", 1) == {
        "case_ref": "X",
        "aliases[0]": "A",
        "aliases[1]": "C",
        "names[0].family": "F0",
        "names[1].family": "F1",
        "names[2].family": "F2",
        "names[2].given": "G2",
    }
    after = drop_entry(values, "names", 0)
    assert {k: v for k, v in after.items() if k.startswith("names")} == {
        "names[0].family": "F1",
        "names[1].family": "F2",
        "names[1].given": "G2",
    }
    assert counts_from(after)["names"] == 2
    # The last one, and an index past the end.
    assert "aliases[2]" not in drop_entry(values, "aliases", 2)
    assert drop_entry(values, "aliases", 7) == values


def test_errors_land_on_the_entry_they_were_typed_in():
    # Entry 0 left blank is left out: the bad document typed in entry 1 is content
    # entry 0; its error goes back to entry 1's field.
    raw = {
        "names[0].family": "DOE",
        "identity_documents[0].doc_type": None,
        "identity_documents[0].number": "",
        "identity_documents[1].doc_type": "passport",
        "identity_documents[1].number": "E1",
        "identity_documents[1].issuing_state": "china",
        "aliases[0]": "",
        "aliases[1]": "",
        "aliases[2]": "x" * 201,
    }
    collected = collect(PersonIdentity, raw)
    assert collected.content["identity_documents"] == [
        {"doc_type": "passport", "number": "E1", "issuing_state": "china"}
    ]
    errors = validate(PersonIdentity, collected.content)
    assert isinstance(errors, dict)
    assert set(errors) == {"identity_documents[0].issuing_state", "aliases[0]"}
    known = set(paths(expand(PersonIdentity, counts_from(raw))))
    placed = {place(collected.form_path(p), known) for p in errors}
    assert placed == {"identity_documents[1].issuing_state", "aliases[2]"}
    # A missing required field of an entry is on that entry's field; a list too short
    # (every name left blank) is on the list.
    partial = collect(PersonIdentity, {"names[0].family": "", "names[1].given": "Jane"})
    errors = validate(PersonIdentity, partial.content)
    assert isinstance(errors, dict) and list(errors) == ["names[0].family"]
    assert partial.form_path("names[0].family") == "names[1].family"
    empty = validate(PersonIdentity, collect(PersonIdentity, {"names[0].family": ""}).content)
    assert isinstance(empty, dict) and place("names", known) == "names" and "names" in empty


def test_form_path_takes_nested_renumbering_back():
    from tui.forms import Collected

    collected = Collected({}, {"a[0]": "a[2]", "a[0].b[1]": "a[2].b[3]"})
    assert collected.form_path("a[0].b[1].c") == "a[2].b[3].c"
    assert collected.form_path("a[0].d") == "a[2].d"
    assert collected.form_path("a[0]") == "a[2]"
    assert collected.form_path("a[1].d") == "a[1].d"
    assert collected.form_path("a[0]x") == "a[0]x"


def test_prefill_of_lists_from_content_or_paths():
    event = PersonIdentity(
        names=(PersonName(family="DOE"), PersonName(family="DOUGH", given="J")),
        aliases=("JD", "Jay"),
        identity_documents=(IdentityDocument(doc_type=DocumentType.PASSPORT, number="E1"),),
    )
    flat = flatten(PersonIdentity, event.to_dict())
    assert flat == {
        "names[0].family": "DOE",
        "names[1].family": "DOUGH",
        "names[1].given": "J",
        "aliases[0]": "JD",
        "aliases[1]": "Jay",
        "identity_documents[0].doc_type": "passport",
        "identity_documents[0].number": "E1",
    }
    assert validate(PersonIdentity, collect(PersonIdentity, flat).content) == event
    # Paths stay as given; a list of choices stays one value.
    assert flatten(
        RequirementsAnswer, {"channels": ["diplomatic"], "languages": ["fr"], "names[1].x": 1}
    ) == {"channels": ["diplomatic"], "languages[0]": "fr", "names[1].x": 1}
    assert isinstance(spec_at(PersonIdentity, "names[1].family"), Text)
    assert spec_at(PersonIdentity, "names.family") is None
    assert spec_at(PersonIdentity, "nowhere[0]") is None
