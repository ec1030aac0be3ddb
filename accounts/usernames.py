"""The rules for a username people choose: its one normal form, and one script per name.

A name is stored NFKC-normalised (full-width ``ｐ`` is ``p``, the ligature ``ﬁ`` is ``fi``,
``e`` + U+0301 is ``é``), and every check runs on that form. Names are unique ignoring case,
by the database's ``lower()`` (models.py); here is what needs no database.
"""

from __future__ import annotations

import unicodedata

from confusable_homoglyphs import categories
from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible

# Characters of no script of their own: digits, "._@+-", combining marks.
SCRIPT_NEUTRAL = frozenset({"COMMON", "INHERITED"})
# How Japanese, Chinese (Bopomofo) and Korean are written: several scripts, one name.
SCRIPT_MIXES_ALLOWED = (
    frozenset({"HAN", "HIRAGANA", "KATAKANA"}),
    frozenset({"HAN", "BOPOMOFO"}),
    frozenset({"HAN", "HANGUL"}),
)
MIXED_SCRIPTS_MESSAGE = "Use letters of one script only (Latin, Cyrillic, Greek, ...), not a mix."


def username_normalize(*, username: str) -> str:
    """The form a username is stored, compared and checked in: Unicode NFKC (as Django's)."""
    return unicodedata.normalize("NFKC", username)


def username_scripts(*, username: str) -> frozenset[str]:
    """The Unicode scripts of a username's letters, e.g. ``{"LATIN", "CYRILLIC"}`` for ``аccstaff``."""
    return frozenset(categories.alias(char) for char in username) - SCRIPT_NEUTRAL


def username_mixes_scripts(*, username: str) -> bool:
    """Whether a username mixes scripts (Latin with a Cyrillic ``а``), the look-alike trick.

    One script is fine (``carol``, ``иван``, ``Ελένη``); so are the mixes a language is written
    in (``田中さくら``). Pass the normalised form: NFKC already maps some look-alikes to Latin.
    """
    scripts = username_scripts(username=username)
    return len(scripts) > 1 and not any(scripts <= allowed for allowed in SCRIPT_MIXES_ALLOWED)


@deconstructible
class UsernameScriptValidator:
    """The model field's validator, so that the admin and ``createsuperuser`` apply the rule too."""

    code = "invalid"

    def __call__(self, value: str) -> None:
        if username_mixes_scripts(username=username_normalize(username=value)):
            raise ValidationError(MIXED_SCRIPTS_MESSAGE, code=self.code)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, UsernameScriptValidator)

    def __hash__(self) -> int:
        return hash(type(self))
