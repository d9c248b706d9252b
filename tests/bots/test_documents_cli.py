"""``coopnet documents`` and the export bundle on the real network: Switzerland sends a
warrant and a corrected version from the command line, Mexico a translation; Mexico's bot
certifies; the list, a fetch and the export bundle show the versions and the translation
linked to their original, and verify-export checks every document against its hash."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import sys
from pathlib import Path

import pytest

from bots.consultation.runner import records_path
from coopnet.network import Network
from tests.bots.helpers import open_ch_mx_consultation
from tests.harness import wait_async, wait_for
from tests.integration.test_document_transfer import write_file

pytestmark = pytest.mark.integration


async def coopnet(*args: str) -> tuple[int, str, str]:
    """Run the ``coopnet`` command without blocking the loop the bot runs in."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "coopnet",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])},
    )
    out, err = await proc.communicate()
    return proc.returncode or 0, out.decode(), err.decode()


async def test_documents_from_the_command_line_and_the_export_bundle(
    network: Network, open_client, start_bot, tmp_path: Path
) -> None:
    mx_bot = await start_bot("mx")
    ch_user = network.authority("ch").officers()[0].user_id
    mx_user = network.authority("mx").officers()[0].user_id
    ch, _ = await open_client(ch_user)
    mx, _ = await open_client(mx_user)
    room, case_ref = await open_ch_mx_consultation(ch, mx, mx_bot.user_id, "DOCCLI")
    await wait_for(lambda: mx_bot.user_id in ch.joined(room), "the mx bot to join")
    await ch.close()  # the command line uses the same devices from here on
    await mx.close()
    as_ch = ["--network", str(network.directory), "--account", ch_user, "--json"]
    as_mx = ["--network", str(network.directory), "--account", mx_user, "--json"]

    # Refused before anything is sent: a missing file, an oversize one (sparse: only its
    # size is read), an unknown version to replace.
    code, _, err = await coopnet(
        "documents", "send", case_ref, str(tmp_path / "nope.pdf"), "--kind", "evidence", *as_ch
    )
    assert code == 2 and "no such file" in err
    huge = tmp_path / "huge.bin"
    with huge.open("wb") as handle:
        handle.truncate(network.max_document_bytes + 1)
    code, _, err = await coopnet(
        "documents", "send", case_ref, str(huge), "--kind", "other", *as_ch
    )
    assert code == 2 and "more than this network's limit" in err, err
    v1 = write_file(tmp_path / "warrant.pdf", 300_000)
    code, _, err = await coopnet(
        "documents", "send", case_ref, str(v1), "--kind", "arrest_warrant", "--replaces", "$x",
        *as_ch,
    )  # fmt: skip
    assert code == 2 and "unknown_document" not in err and "replaces $x" in err, err

    # Version 1, certified by Mexico's bot.
    code, out, err = await coopnet(
        "documents", "send", case_ref, str(v1), "--kind", "arrest_warrant", "--lang", "fr",
        "--title", "Mandat d'arrêt", "--wait", "120", *as_ch,
    )  # fmt: skip
    assert code == 0, err
    sent1 = json.loads(out)
    assert sent1["receipt"]["receiver"] == mx_bot.user_id
    digest1 = hashlib.sha256(v1.read_bytes()).hexdigest()
    assert sent1["receipt"]["document_sha256"] == digest1
    assert sent1["receipt"]["signature_valid"] is True

    # Version 2 replaces it; Mexico sends a Spanish translation of version 2.
    v2 = write_file(tmp_path / "warrant-v2.pdf", 310_000)
    code, out, err = await coopnet(
        "documents", "send", case_ref, str(v2), "--kind", "arrest_warrant", "--lang", "fr",
        "--replaces", sent1["event_id"], "--wait", "120", *as_ch,
    )  # fmt: skip
    assert code == 0, err
    sent2 = json.loads(out)
    translation = write_file(tmp_path / "orden.pdf", 200_000)
    code, out, err = await coopnet(
        "documents", "send", case_ref, str(translation), "--kind", "translation", "--lang",
        "es", "--translation-of", sent2["event_id"], *as_mx,
    )  # fmt: skip
    assert code == 0, err
    sent3 = json.loads(out)

    # The list, as the Swiss officer sees it.
    async def listed() -> list[dict]:
        code, out, err = await coopnet("documents", "list", case_ref, *as_ch)
        assert code == 0, err
        return json.loads(out)

    rows: list[dict] = []

    async def all_three() -> bool:  # the translation may not have reached ch's server yet
        nonlocal rows
        rows = await listed()
        return len(rows) == 3

    await wait_async(all_three, "the three documents in the Swiss officer's list")
    by_id = {r["event_id"]: r for r in rows}
    assert by_id[sent1["event_id"]]["replaced_by"] == sent2["event_id"]
    assert by_id[sent2["event_id"]]["replaces"] == sent1["event_id"]
    assert by_id[sent2["event_id"]]["translations"] == [sent3["event_id"]]
    assert by_id[sent3["event_id"]]["translation_of"] == sent2["event_id"]
    assert by_id[sent1["event_id"]]["state"] == "certified"
    assert by_id[sent1["event_id"]]["certified_by"] == [mx_bot.user_id]
    assert by_id[sent3["event_id"]]["state"] == "pending"  # no Swiss bot in this room

    # Fetch version 2 from Mexico's side: identical, 0600.
    code, out, err = await coopnet(
        "documents", "fetch", case_ref, sent2["event_id"], "--out", str(tmp_path / "got"), *as_mx
    )
    assert code == 0, err
    fetched = json.loads(out)
    assert Path(fetched["path"]).read_bytes() == v2.read_bytes()
    assert Path(fetched["path"]).stat().st_mode & 0o777 == 0o600

    # The receipt in Mexico's record certifies exactly this file, verified offline.
    db = records_path(network.authority("mx"))
    net = ["--network", str(network.directory)]
    verify = ["receipts", "verify", "--db", str(db), "--event-id", sent1["event_id"], *net]
    code, out, err = await coopnet(*verify, "--document", str(v1))
    assert code == 0 and "VALID" in out and f"received document sha256 {digest1}" in out, out
    code, out, err = await coopnet(*verify, "--document", str(v2))
    assert code == 1 and "INVALID" in out and "the receipt certifies" in out, out + err

    # The export bundle from Mexico's bot, verified offline against the directory.
    bundle = tmp_path / "bundle"
    code, _, err = await coopnet(
        "records", "export", "--db", str(db), "--case", case_ref, "--with-documents", str(bundle)
    )
    assert code == 0, err
    assert bundle.stat().st_mode & 0o777 == 0o700
    listing = {d["event_id"]: d for d in json.loads((bundle / "documents.json").read_text())}
    assert listing[sent1["event_id"]]["replaced_by"] == sent2["event_id"]
    assert listing[sent2["event_id"]]["translations"] == [sent3["event_id"]]
    assert listing[sent3["event_id"]]["translation_of"] == sent2["event_id"]
    saved = bundle / listing[sent2["event_id"]]["file"]
    assert saved.read_bytes() == v2.read_bytes()
    code, out, err = await coopnet(
        "records", "verify-export", str(bundle), "--network", str(network.directory)
    )
    assert code == 0, out + err
    assert f"ok {sent2['event_id']}" in out and f"replaces {sent1['event_id']}" in out
    assert f"translation of {sent2['event_id']}" in out

    # One altered byte in one document: named, exit 1.
    data = bytearray(saved.read_bytes())
    data[10] ^= 1
    saved.write_bytes(bytes(data))
    code, out, err = await coopnet(
        "records", "verify-export", str(bundle), "--network", str(network.directory)
    )
    assert code == 1 and f"ALTERED {sent2['event_id']}" in out, out + err
