"""GlitchTip's free-text issue search: PostgreSQL full-text search (`english`), approximated in Python.

GlitchTip keeps a search vector per issue built from each event's title, culprit, request URL (scheme,
host and path) and the file names of the last frames (`get_search_vector` in
`apps/event_ingest/process_event.py`), and matches `plainto_tsquery(text)` against it: every word of
the text, lower-cased, stemmed (Snowball English) and without English stop words, must be a lexeme of the
vector; a text of stop words only matches nothing. URLs, host names and dotted file names are single
lexemes, as PostgreSQL's parser makes them (plus the host and the path of a URL); hyphenated words give
the whole and its parts. The parser's rarer token kinds are not reproduced.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from urllib.parse import urlsplit

STOP_WORDS = frozenset(  # PostgreSQL's english.stop
    """i me my myself we our ours ourselves you your yours yourself yourselves he him his himself she her hers
    herself it its itself they them their theirs themselves what which who whom this that these those am is are
    was were be been being have has had having do does did doing a an the and but if or because as until while of
    at by for with about against between into through during before after above below to from up down in out on
    off over under again further then once here there when where why how all any both each few more most other
    some such no nor not only own same so than too very s t can will just don should now""".split()  # noqa: SIM905
)
_URL = re.compile(r"[a-z][a-z0-9+.-]*://[^\s/]+\S*", re.IGNORECASE)
_DOTTED = re.compile(r"[\w-]*\w\.[\w.-]*\w")
_WORD = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
MAX_FRAMES_PER_STACKTRACE = 3
MAX_STACKTRACES = 2
MAX_FILENAMES = 5

# -- Snowball English (Porter2) ---------------------------------------------------------------------

_VOWELS = "aeiouy"
_DOUBLES = ("bb", "dd", "ff", "gg", "mm", "nn", "pp", "rr", "tt")
_LI_ENDINGS = "cdeghkmnrt"
_STEP2 = (
    ("ization", "ize"), ("ational", "ate"), ("fulness", "ful"), ("ousness", "ous"), ("iveness", "ive"),
    ("tional", "tion"), ("biliti", "ble"), ("lessli", "less"), ("entli", "ent"), ("ation", "ate"),
    ("alism", "al"), ("aliti", "al"), ("ousli", "ous"), ("iviti", "ive"), ("fulli", "ful"), ("enci", "ence"),
    ("anci", "ance"), ("abli", "able"), ("izer", "ize"), ("ator", "ate"), ("alli", "al"), ("bli", "ble"),
    ("ogi", "og"), ("li", ""),
)  # fmt: skip
_STEP3 = (
    ("ational", "ate"), ("tional", "tion"), ("alize", "al"), ("icate", "ic"), ("iciti", "ic"),
    ("ative", ""), ("ical", "ic"), ("ness", ""), ("ful", ""),
)  # fmt: skip
_STEP4 = (
    "ement", "ance", "ence", "able", "ible", "ment", "ant", "ent", "ism", "ate", "iti", "ous", "ive", "ize", "ion",
    "al", "er", "ic",
)  # fmt: skip


def _is_vowel(word: str, index: int) -> bool:
    return word[index] in _VOWELS


def _region_after(word: str, start: int) -> int:
    for index in range(start + 1, len(word)):
        if not _is_vowel(word, index) and _is_vowel(word, index - 1):
            return index + 1
    return len(word)


def _short_syllable_at_end(word: str) -> bool:
    if len(word) == 2:
        return _is_vowel(word, 0) and not _is_vowel(word, 1)
    return (
        len(word) >= 3
        and not _is_vowel(word, -3)
        and _is_vowel(word, -2)
        and not _is_vowel(word, -1)
        and word[-1] not in "wxY"
    )


def stem(word: str) -> str:
    """The Snowball English stem of a lower-case word (without its list of exceptional words)."""
    if len(word) <= 2:
        return word
    word = word.lstrip("'")
    if word.startswith("y"):
        word = "Y" + word[1:]
    word = re.sub(r"(?<=[aeiouy])y", "Y", word)
    r1 = next((len(p) for p in ("gener", "commun", "arsen") if word.startswith(p)), _region_after(word, 0))
    r2 = _region_after(word, r1)
    for suffix in ("'s'", "'s", "'"):
        if word.endswith(suffix):
            word = word[: -len(suffix)]
            break
    if word.endswith("sses"):
        word = word[:-2]
    elif word.endswith(("ied", "ies")):
        word = word[:-2] if len(word) > 4 else word[:-1]
    elif word.endswith("s") and not word.endswith(("us", "ss")) and any(c in _VOWELS for c in word[:-2]):
        word = word[:-1]
    for suffix in ("eedly", "eed"):
        if word.endswith(suffix):
            if len(word) - len(suffix) >= r1:
                word = word[: -len(suffix)] + "ee"
            break
    else:
        for suffix in ("ingly", "edly", "ing", "ed"):
            if word.endswith(suffix) and any(c in _VOWELS for c in word[: -len(suffix)]):
                word = word[: -len(suffix)]
                if word.endswith(("at", "bl", "iz")):
                    word += "e"
                elif word.endswith(_DOUBLES):
                    word = word[:-1]
                elif r1 >= len(word) and _short_syllable_at_end(word):
                    word += "e"
                break
    if len(word) > 2 and word[-1] in "yY" and not _is_vowel(word, -2):
        word = word[:-1] + "i"
    for suffix, replacement in _STEP2:
        if word.endswith(suffix):
            if len(word) - len(suffix) >= r1 and (
                (suffix != "ogi" or word.endswith("logi")) and (suffix != "li" or word[-3:-2] in _LI_ENDINGS)
            ):
                word = word[: -len(suffix)] + replacement
            break
    for suffix, replacement in _STEP3:
        if word.endswith(suffix):
            if len(word) - len(suffix) >= r1 and (suffix != "ative" or len(word) - len(suffix) >= r2):
                word = word[: -len(suffix)] + replacement
            break
    for suffix in _STEP4:
        if word.endswith(suffix):
            if len(word) - len(suffix) >= r2 and (suffix != "ion" or word[-4:-3] in ("s", "t")):
                word = word[: -len(suffix)]
            break
    ends_e = word.endswith("e") and (
        len(word) - 1 >= r2 or (len(word) - 1 >= r1 and not _short_syllable_at_end(word[:-1]))
    )
    if ends_e or (word.endswith("ll") and len(word) - 1 >= r2):
        word = word[:-1]
    return word.replace("Y", "y")


# -- parsing text into lexemes ----------------------------------------------------------------------


def _words(text: str) -> Iterable[str]:
    for match in _WORD.finditer(text):
        token = match.group()
        parts = token.split("-")
        if len(parts) > 1 and all(p.isalpha() for p in parts):
            yield token
        yield from parts


def lexemes(text: str) -> set[str]:
    """The lexemes PostgreSQL's `to_tsvector('english', text)` makes of `text` (approximately)."""
    found: set[str] = set()
    rest = text.lower()
    for match in _URL.finditer(rest):
        parts = urlsplit(match.group())
        found.update(p for p in (parts.netloc + parts.path, parts.netloc, parts.path) if p)
    rest = _URL.sub(" ", rest)
    found.update(m.group() for m in _DOTTED.finditer(rest))
    for word in _words(_DOTTED.sub(" ", rest)):
        if word not in STOP_WORDS:
            found.add(stem(word) if word.isalpha() else word)
    return found


def event_search_text(title: str, culprit: str, payload: dict[str, object]) -> str:
    """What GlitchTip puts in an issue's search vector for one event."""
    parts = {title, culprit}
    request = payload.get("request")
    url = request.get("url") if isinstance(request, dict) else None
    if isinstance(url, str) and url:
        split = urlsplit(url)
        parts.add((f"{split.scheme}://{split.netloc}" if split.scheme and split.netloc else split.netloc) + split.path)
    exception = payload.get("exception")
    values = exception.get("values") if isinstance(exception, dict) else exception
    names: list[str] = []
    traced = 0
    for value in values if isinstance(values, list) else []:
        stacktrace = value.get("stacktrace") if isinstance(value, dict) else None
        frames = stacktrace.get("frames") if isinstance(stacktrace, dict) else None
        if traced >= MAX_STACKTRACES or not isinstance(frames, list):
            continue
        taken = [os.path.basename(str(f["filename"])) for f in reversed(frames) if f.get("filename")]
        names += taken[:MAX_FRAMES_PER_STACKTRACE]
        traced += bool(taken)
    parts.update(names[:MAX_FILENAMES])
    return " ".join(sorted(p for p in parts if p))


def matches(query: str, vector: set[str]) -> bool:
    """`search_vector @@ plainto_tsquery(query)`: every lexeme of the query is in the vector."""
    wanted = lexemes(query)
    return bool(wanted) and wanted <= vector
