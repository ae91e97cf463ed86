"""The German catalogue is complete and compiled, so German users never meet English."""

from __future__ import annotations

import gettext
import re
from pathlib import Path

CATALOGUE = Path(__file__).resolve().parents[2] / "helpdesk" / "locale" / "de" / "LC_MESSAGES"


def _text(match: re.Match[str]) -> str:
    """The string a msgid/msgstr spells, its continuation lines joined and escapes undone."""
    raw = match.group(1) + "".join(re.findall(r'^"(.*)"$', match.group(2), re.M))
    return raw.replace('\\"', '"').replace("\\n", "\n").replace("\\t", "\t")


def po_entries() -> list[tuple[str, str, bool]]:
    text = (CATALOGUE / "django.po").read_text()
    entries = []
    for block in text.split("\n\n"):
        msgid = re.search(r'^msgid "(.*)"\n((?:".*"\n)*)', block + "\n", re.M)
        msgstr = re.search(r'^msgstr(?:\[0\])? "(.*)"\n((?:".*"\n)*)', block + "\n", re.M)
        if not msgid or not msgstr:
            continue
        entries.append((_text(msgid), _text(msgstr), "#, fuzzy" in block))
    return [entry for entry in entries if entry[0]]


def test_every_german_message_is_translated_and_none_is_fuzzy():
    missing = [msgid for msgid, msgstr, fuzzy in po_entries() if not msgstr or fuzzy]
    assert missing == []


def test_the_compiled_german_catalogue_matches_its_source():
    with (CATALOGUE / "django.mo").open("rb") as compiled:
        catalogue = gettext.GNUTranslations(compiled)
    stale = [
        msgid
        for msgid, _msgstr, _fuzzy in po_entries()
        if msgid not in catalogue._catalog and (msgid, 0) not in catalogue._catalog
    ]
    assert stale == [], "run `manage.py compilemessages -l de`"
