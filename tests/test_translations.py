"""Dutch and Danish users read every page in their language: the catalogues are complete and
the compiled files match them (a string added without a translation fails here)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

LOCALE = Path(settings.BASE_DIR) / "locale"
ENTRY = re.compile(r"\n\n(?=#|msgid|msgctxt)")


def _text(lines: list[str], key: str) -> str | None:
    """The concatenated string of `key` ("msgid", "msgstr", "msgstr[0]"...) in one entry."""
    parts, inside = [], False
    for line in lines:
        if line.startswith(key + " "):
            inside = True
            parts.append(ast.literal_eval(line[len(key) + 1 :]))
        elif inside and line.startswith('"'):
            parts.append(ast.literal_eval(line))
        else:
            inside = False if parts else inside
    return "".join(parts) if parts else None


def entries(language: str) -> list[dict]:
    text = (LOCALE / language / "LC_MESSAGES" / "django.po").read_text(encoding="utf-8")
    found = []
    for block in ENTRY.split(text):
        lines = [line for line in block.splitlines() if not line.startswith("#~")]
        msgid = _text(lines, "msgid")
        if not msgid:  # the header
            continue
        found.append(
            {
                "msgid": msgid,
                "context": _text(lines, "msgctxt"),
                "plural": _text(lines, "msgid_plural"),
                "msgstr": _text(lines, "msgstr"),
                "plurals": [_text(lines, f"msgstr[{i}]") for i in range(2)],
                "fuzzy": any(line.startswith("#,") and "fuzzy" in line for line in lines),
            }
        )
    return found


@pytest.mark.parametrize("language", ["nl", "da"])
def test_every_message_is_translated_and_none_is_fuzzy(language):
    catalogue = entries(language)
    assert len(catalogue) > 500
    missing = [
        e["msgid"]
        for e in catalogue
        if (e["plural"] and not all(e["plurals"])) or (not e["plural"] and not e["msgstr"])
    ]
    fuzzy = [e["msgid"] for e in catalogue if e["fuzzy"]]
    assert not missing, f"{language}: {len(missing)} untranslated, e.g. {missing[:5]}"
    assert not fuzzy, f"{language}: {len(fuzzy)} fuzzy, e.g. {fuzzy[:5]}"


@pytest.mark.parametrize("language", ["nl", "da"])
def test_the_compiled_catalogue_matches_the_po_file(language):
    stale = []
    with translation.override(language):
        for e in entries(language):
            if e["plural"] or e["context"]:
                continue
            if translation.gettext(e["msgid"]) != e["msgstr"]:
                stale.append(e["msgid"])
    assert not stale, f"run compilemessages: {len(stale)} differ, e.g. {stale[:5]}"
