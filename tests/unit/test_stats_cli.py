"""``coopnet stats`` and ``coopnet review observations`` on a laid-out local network (no
homeserver: records are local files): the real SQLite record of Switzerland's bot, the
signed directory that says whose keys are whose (issue 18, parts 5 and 6)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from coopnet.cli import main
from coopnet.keys import load_signing_key
from coopnet.network import Network, botproc, lifecycle, load_network, network_roster
from coopnet.network import trust as network_trust
from coopnet.stats.observations import SUMMARY_LIMIT, count_words
from tests.unit.stats_seed import EXPECTED, FROM, TO, seed
from tests.unit.test_records_support import attacker_connection

BASE_ADDRESS = "127.0.0.41"


@pytest.fixture(scope="module")
def net(tmp_path_factory: pytest.TempPathFactory) -> Network:
    directory = tmp_path_factory.mktemp("stats") / "net"
    options = lifecycle.NetworkOptions(authorities=["ch", "mx", "cn"], base_address=BASE_ADDRESS)
    network = lifecycle.create_network(directory, options)
    for authority in network.members():
        botproc.prepare(authority)
    network_trust.ensure_directory(network, [], lambda _m: None)
    network = load_network(directory)
    keys = {a.id: load_signing_key(botproc.signing_key_file(a)) for a in network.members()}
    seed(botproc.records_db(network.authority("ch")), network_roster(network), keys["ch"], keys)
    return network


def run(capsys: pytest.CaptureFixture[str], *argv: Any) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def stats(net: Network, capsys: pytest.CaptureFixture[str], *argv: Any) -> tuple[int, str, str]:
    return run(
        capsys,
        "stats",
        "--network",
        net.directory,
        "--authority",
        "ch",
        "--from",
        FROM,
        "--to",
        TO,
        *argv,
    )


def test_stats_json_gives_the_figures_worked_out_by_hand(net: Network, capsys) -> None:
    code, out, err = stats(net, capsys, "--json")
    assert code == 0, err
    document = json.loads(out)
    assert document["authority"] == "ch"
    for section, expected in EXPECTED.items():
        assert document[section] == expected, section


def test_stats_markdown_and_csv(net: Network, capsys) -> None:
    code, out, _ = stats(net, capsys, "--md", "--lang", "es")
    assert code == 0 and "| Total | 3 | 4 | 1 | 0 | 0 |" in out and "Plazos" in out
    code, out, _ = stats(net, capsys, "--csv")
    assert code == 0 and "refusals,by_ground:nationality,count,1" in out.splitlines()


def test_shared_figures_verify_against_the_signed_directory(
    net: Network, tmp_path: Path, capsys
) -> None:
    shared = tmp_path / "shared.json"
    code, _, err = stats(net, capsys, "--share", "--threshold", "2", "--out", shared)
    assert code == 0, err
    document = json.loads(shared.read_text())
    assert document["format"] == "coopnet.stats.shared/1"
    assert document["bot"] == net.authority("ch").bot().user_id  # type: ignore[union-attr]
    code, out, _ = run(capsys, "stats", "verify", shared, "--network", net.directory)
    assert code == 0 and "OK: figures of ch" in out and "signed directory" in out
    document["consultations"]["total"] = 30
    shared.write_text(json.dumps(document))
    code, out, _ = run(capsys, "stats", "verify", shared, "--network", net.directory)
    assert code == 1 and "does not match the document" in out
    shared.write_text("{not json")
    code, _, err = run(capsys, "stats", "verify", shared, "--network", net.directory)
    assert code == 2 and "not JSON" in err


def test_bad_options_get_a_clear_error(net: Network, capsys) -> None:
    code, _, err = stats(net, capsys, "--lang", "de")
    assert code == 2 and "--lang de: one of ar, zh, en, fr, ru, es" in err
    code, _, err = stats(net, capsys, "--share", "--csv")
    assert code == 2 and "--share writes signed JSON" in err
    code, _, err = run(
        capsys, "stats", "--network", net.directory, "--authority", "ch", "--from", "01/01/2026"
    )
    assert code == 2 and "--from '01/01/2026': expected a date YYYY-MM-DD" in err
    code, _, err = run(capsys, "stats", "--network", net.directory, "--authority", "xx")
    assert code == 2 and "--authority xx: not an authority" in err
    code, _, err = run(
        capsys, "stats", "--network", net.directory, "--authority", "ch", "--from", TO, "--to", FROM
    )
    assert code == 1 and "is after --to" in err
    review = ("review", "observations", "--network", net.directory, "--authority", "ch")
    code, _, err = run(capsys, *review, "--out", "observations.json")
    assert code == 2 and "--out: observations.json: the Markdown draft cannot end in .json" in err


def summary(words: int) -> str:
    text = " ".join(f"word{i}" for i in range(words))
    assert count_words(text) == words
    return text


def sections(summary_text: str) -> str:
    return (
        f"## Summary {{#summary}}\n\n{summary_text}\n\n"
        "## Gaps {#gaps_and_challenges}\n\nTranslations arrive late.\n\n"
        "## Good {#good_practices}\n\nConsulting on the draft request before sending it.\n\n"
        "## Needs {#technical_assistance}\n\n"
    )


def test_review_observations_template_limit_and_signed_draft(
    net: Network, tmp_path: Path, capsys
) -> None:
    out = tmp_path / "observations.md"
    base = ("review", "observations", "--network", net.directory, "--authority", "ch")
    base += ("--from", FROM, "--to", TO, "--out", out)
    # The first run writes the template for the officer, and drafts nothing.
    code, _, err = run(capsys, *base)
    template = tmp_path / "observations.sections.md"
    assert code == 1 and "wrote the sections to fill in" in err and template.exists()
    assert "{#gaps_and_challenges}" in template.read_text() and not out.exists()
    # The template as written has an empty summary: refused.
    code, _, err = run(capsys, *base)
    assert code == 1 and "{#summary}: empty" in err
    # 1,501 words: refused, with the count; nothing written.
    template.write_text(sections(summary(SUMMARY_LIMIT + 1)))
    code, _, err = run(capsys, *base)
    assert code == 1 and "1,501 words, over the limit of 1,500 by 1" in err and not out.exists()
    # 1,500 words: drafted as Markdown and as a signed JSON document.
    template.write_text(sections(summary(SUMMARY_LIMIT)))
    code, _, err = run(capsys, *base)
    assert code == 0, err
    markdown = out.read_text()
    assert "## ملخص · 摘要 · Summary · Résumé · Резюме · Resumen" in markdown
    assert "· Technical assistance needs · Besoins d'assistance technique ·" in markdown
    assert "| Consultation before the request | 3 | 2 | 5 |" in markdown
    assert "Words in the summary: 1,500 / 1,500" in markdown
    signed = out.with_suffix(".json")
    document = json.loads(signed.read_text())
    assert [s["key"] for s in document["sections"]] == [
        "summary",
        "figures",
        "gaps_and_challenges",
        "good_practices",
        "technical_assistance",
    ]
    assert document["summary_words"] == 1500 and document["state"] == "Switzerland"
    code, text, _ = run(capsys, "review", "verify", signed, "--network", net.directory)
    assert code == 0 and "OK: observations of ch" in text
    document["sections"][0]["text"] += " one more"
    signed.write_text(json.dumps(document))
    code, text, _ = run(capsys, "review", "verify", signed, "--network", net.directory)
    assert code == 1 and "INVALID" in text


def test_unknown_or_repeated_sections_are_named(net: Network, tmp_path: Path, capsys) -> None:
    out, template = tmp_path / "o.md", tmp_path / "s.md"
    base = ("review", "observations", "--network", net.directory, "--authority", "ch")
    base += ("--out", out, "--sections", template)
    template.write_text(
        "<!-- a hint\non two lines -->\n" + sections("A short summary.") + "## Other {#annex}\n"
    )
    code, _, err = run(capsys, *base)
    assert code == 1 and "line 17: unknown section {#annex}" in err
    template.write_text(sections("A summary.") + "## Again {#summary}\n")
    code, _, err = run(capsys, *base)
    assert code == 1 and "line 15: section {#summary} again" in err
    template.write_text(
        sections("A short summary.").replace("## Needs {#technical_assistance}\n", "")
    )
    code, _, err = run(capsys, *base)
    assert code == 1 and "technical_assistance missing" in err


def test_a_tampered_record_gives_no_statistics(net: Network, tmp_path: Path, capsys) -> None:
    db = tmp_path / "copy.db"
    db.write_bytes(botproc.records_db(net.authority("ch")).read_bytes())
    conn = attacker_connection(db)
    conn.execute("DELETE FROM entries WHERE seq = 5")
    conn.close()
    code, out, err = stats(net, capsys, "--db", db, "--json")
    assert code == 1 and out == ""
    assert (
        "the record does not verify" in err
        and "statistics come only from a record that verifies" in err
    )
    draft = ("review", "observations", "--network", net.directory, "--authority", "ch")
    draft += ("--db", db, "--out", tmp_path / "o.md", "--sections", tmp_path / "absent.md")
    code, _, err = run(capsys, *draft)
    assert code == 1  # the template first; then the record is refused as well
    (tmp_path / "absent.md").write_text(sections("A short summary."))
    code, _, err = run(capsys, *draft)
    assert code == 1 and "does not verify" in err and not (tmp_path / "o.md").exists()


def test_with_the_signed_directory_the_record_says_whose_it_is(net: Network, capsys) -> None:
    assert net.directory_file is not None and net.steward_key is not None
    db = botproc.records_db(net.authority("ch"))
    trust = ("--directory", net.directory_file, "--steward-key", net.steward_key)
    code, out, err = run(capsys, "stats", "--db", db, *trust, "--from", FROM, "--to", TO, "--json")
    assert code == 0, err
    assert json.loads(out)["authority"] == "ch"  # the bot whose key signs the record
    code, _, err = run(capsys, "stats", "--db", db, *trust, "--authority", "mx")
    assert code == 1 and "--authority mx: the record is ch's" in err
    code, _, err = run(capsys, "stats", "--network", net.directory)
    assert code == 2 and "--authority ID or --db FILE" in err


def test_the_client_signs_the_observations_with_its_authoritys_bot_key(net: Network) -> None:
    from coopnet.cli.tui import review_signer
    from coopnet.keys import key_id

    ch = net.authority("ch")
    signer = review_signer(net, ch)()
    party = network_roster(net).party("ch")
    assert party is not None
    assert (signer.authority, signer.state, signer.bot) == ("ch", party.state, party.bot)
    assert key_id(signer.key) == key_id(load_signing_key(botproc.signing_key_file(ch)))
