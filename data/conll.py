"""CoNLL-style token/tag files (ANERcorp, Wojood): one ``TOKEN TAG [TAG ...]`` line per token,
a blank line between sentences, ``-DOCSTART-`` lines between documents.

Each sentence becomes one :class:`Record` whose text is its tokens joined by single spaces and
whose entities are character spans over that text; ``events`` is ``None`` because CoNLL has no
event layer.

Several tag columns hold nested entities (Wojood): a token carries one tag per entity that
covers it, and the columns are *not* aligned by nesting level, so spans are rebuilt per type by
counting tags, whatever column they sit in. ``nested`` then chooses which spans to keep:

* ``"outermost"`` (default): the longest spans that do not overlap, longest first; a span
  nested in (or crossing) a kept one is dropped. This gives flat NER over the widest names.
* ``"innermost"``: the same, shortest first.
* ``"all"``: every span (overlapping entities in the record).

Tokens ``$#$`` (a segment separator in Wojood's source, always tagged ``O``) are dropped with
their tags before spans are rebuilt, so they appear neither in the text nor in the token counts.

Schemes: ``BIO`` (= IOB2; strict: an ``I-X`` must continue a ``B-X``/``I-X``), ``IOB1`` (``I-X``
may start a span; ``B-X`` separates two adjacent spans of one type, and is read as a start
wherever it is) and ``BIOES`` (``BILOU``
and ``IOBES`` are accepted as spellings of it). ``repair=True`` reads a strict-scheme slip as
what it most likely meant: an ``I-X`` with no ``B-X`` before it starts a span (ANERcorp has 12 of
these, at sentence starts where the sentence splitter cut a dotted abbreviation such as
``سي . أس .``), and a BIOES span with no ``E-X`` ends where its tags end. Repaired slips are
still reported: to ``problems`` when a list is given (validation), else as a warning naming
file and line on stderr (``convert``, ``train``).
"""
from __future__ import annotations

import logging
import re
from bisect import bisect_right
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

from .errors import CorpusError, Problem
from .fileio import atomic_open, iter_lines
from .records import Record, Span
from .text import split_words

logger = logging.getLogger(__name__)
DOCSTART = "-DOCSTART-"
SEGMENT_SEPARATORS = frozenset({"$#$"})
NESTED_POLICIES = ("outermost", "innermost", "all")

_SCHEME_ALIASES = {"BIO": "BIO", "IOB2": "BIO", "IOB1": "IOB1",
                   "BIOES": "BIOES", "IOBES": "BIOES", "BILOU": "BIOES"}
_PREFIXES = {"BIO": "BI", "IOB1": "BI", "BIOES": "BIESLU"}
_TAG = re.compile(r"^(?:O|([A-Z])-(\S+))$")


@dataclass
class _Issue:
    """A problem found in a sentence; repairable ones are scheme slips ``repair=True`` fixes."""

    line: int
    message: str
    repairable: bool


@dataclass
class _Sentence:
    """The raw lines of one sentence: tokens, their tags and where they came from."""

    tokens: list[str] = field(default_factory=list)
    tags: list[list[str]] = field(default_factory=list)
    token_lines: list[int] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)  # every line, dropped ones included
    issues: list[_Issue] = field(default_factory=list)


def canonical_scheme(scheme: str) -> str:
    """``BIO`` / ``IOB1`` / ``BIOES`` for any accepted spelling; ``ValueError`` otherwise."""
    name = _SCHEME_ALIASES.get(scheme.upper())
    if name is None:
        raise ValueError(f"unknown tagging scheme {scheme!r}; use one of {', '.join(_SCHEME_ALIASES)}")
    return name


def _parse_tag(tag: str, scheme: str) -> tuple[str, str] | None:
    """``(prefix, type)`` of a tag, with BILOU's L/U read as E/S; ``None`` for ``O``.
    Raises ``ValueError`` for a tag that is not of the scheme's shape."""
    m = _TAG.match(tag)
    if m is None or (m.group(1) and m.group(1) not in _PREFIXES[scheme]):
        shapes = "O, " + ", ".join(f"{p}-X" for p in _PREFIXES[scheme])
        raise ValueError(f"unknown tag {tag!r}: the {scheme} scheme uses {shapes}")
    if m.group(1) is None:
        return None
    return {"L": "E", "U": "S"}.get(m.group(1), m.group(1)), m.group(2)


# --- reading -------------------------------------------------------------------------------------

def _read_sentences(path: str | Path, scheme: str, problems: list[Problem] | None
                    ) -> Iterator[tuple[_Sentence, int | None]]:
    """Group lines into sentences, with the number of the document each belongs to (``None``
    before the first ``-DOCSTART-``). Shape problems are attached to the sentence as issues."""
    sentence, document = _Sentence(), None
    for number, line in iter_lines(path, problems):
        columns = line.split()
        if not columns:
            if sentence.lines:
                yield sentence, document
            sentence = _Sentence()
            continue
        if columns[0] == DOCSTART:
            if sentence.lines:
                yield sentence, document
            sentence, document = _Sentence(), (document or 0) + 1
            continue
        sentence.lines.append(number)
        if len(columns) < 2:
            sentence.issues.append(_Issue(number, f"one column only ({line.strip()!r}): "
                                                  "expected a token and at least one tag", False))
            continue
        if columns[0] in SEGMENT_SEPARATORS:
            continue
        for tag in columns[1:]:
            try:
                _parse_tag(tag, scheme)
            except ValueError as err:
                sentence.issues.append(_Issue(number, str(err), False))
        sentence.tokens.append(columns[0])
        sentence.tags.append(columns[1:])
        sentence.token_lines.append(number)
    if sentence.lines:
        yield sentence, document


def _decode(sentence: _Sentence, scheme: str) -> list[tuple[int, int, str]]:
    """Token spans ``(start, end, type)`` rebuilt per type by counting tags on each token.

    For each type a stack holds the starts of its open spans, innermost on top: a token's
    continuing tags (``I-``, ``E-``) say how many stay open, the rest close here, and its ``B-``
    tags open new ones. Strict-scheme slips are recorded on the sentence and repaired.
    """
    spans: list[tuple[int, int, str]] = []
    open_spans: dict[str, list[int]] = {}
    n = len(sentence.tokens)
    for i in range(n + 1):
        counts: Counter[tuple[str, str]] = Counter()
        for tag in sentence.tags[i] if i < n else []:
            try:
                parsed = _parse_tag(tag, scheme)
            except ValueError:
                continue  # already reported by _read_sentences
            if parsed:
                counts[parsed] += 1
        types = {t for _, t in counts} | {t for t, s in open_spans.items() if s}
        for label in sorted(types):
            stack = open_spans.setdefault(label, [])
            spans.extend(_step(stack, i, label, counts, scheme, sentence, at_end=i == n))
    return spans


def _step(stack: list[int], i: int, label: str, counts: Counter[tuple[str, str]], scheme: str,
          sentence: _Sentence, at_end: bool) -> list[tuple[int, int, str]]:
    """Advance one type's open spans over token ``i`` (or past the last token when ``at_end``)."""
    done: list[tuple[int, int, str]] = []
    line = sentence.token_lines[-1] if at_end else sentence.token_lines[i]
    n_b, n_i = counts[("B", label)], counts[("I", label)]
    n_e, n_s = counts[("E", label)], counts[("S", label)]
    if scheme == "IOB1":
        continuing = min(n_i, len(stack))
        n_b += n_i - continuing
    else:
        continuing = n_i + n_e
    if len(stack) < continuing:
        missing = continuing - len(stack)
        tag = f"I-{label}" if n_i else f"E-{label}"
        sentence.issues.append(_Issue(line, f"{tag} with no B-{label} before it (read as B-{label})", True))
        stack.extend([i] * missing)
    if len(stack) > continuing and scheme == "BIOES":
        where = "before the end of the sentence" if at_end else "before this token"
        sentence.issues.append(_Issue(line, f"B-{label} span not closed with E-{label} {where} "
                                            "(closed there)", True))
    while len(stack) > continuing:
        done.append((stack.pop(), i, label))
    for _ in range(n_e):
        done.append((stack.pop(), i + 1, label))
    stack.extend([i] * n_b)
    done.extend((i, i + 1, label) for _ in range(n_s))
    return done


def select_spans(spans: Iterable[tuple[int, int, str]], nested: str) -> list[tuple[int, int, str]]:
    """Apply the nesting policy (see the module docstring); result sorted by start, longest first."""
    unique = sorted(set(spans), key=lambda s: (s[0], -s[1], s[2]))
    if nested == "all":
        return unique
    longest_first = nested == "outermost"
    order = sorted(unique, key=lambda s: ((s[0] - s[1]) if longest_first else (s[1] - s[0]), s[0]))
    kept: list[tuple[int, int, str]] = []
    for span in order:
        if all(span[1] <= k[0] or k[1] <= span[0] for k in kept):
            kept.append(span)
    return sorted(kept, key=lambda s: (s[0], -s[1], s[2]))


def _to_record(sentence: _Sentence, spans: list[tuple[int, int, str]], record_id: str,
               metadata: dict) -> Record:
    """Join tokens with single spaces and turn token spans into character spans."""
    starts, position = [], 0
    for token in sentence.tokens:
        starts.append(position)
        position += len(token) + 1
    text = " ".join(sentence.tokens)
    entities = [Span(starts[s], starts[e - 1] + len(sentence.tokens[e - 1]), label) for s, e, label in spans]
    return Record(record_id, text, entities, None, metadata)


def read_conll(path: str | Path, problems: list[Problem] | None = None, scheme: str = "BIO",
               nested: str = "outermost", repair: bool = False) -> Iterator[Record]:
    """Stream one record per sentence (see the module docstring for nesting and ``$#$``).

    A bad sentence raises :class:`CorpusError` naming the file and line; with ``problems`` it is
    reported and skipped instead. With ``repair``, scheme slips are fixed (and still reported).
    Record ids are ``<file stem>-<n>``, n counting sentences from 1; metadata holds the
    sentence's number in its document and, after a ``-DOCSTART-``, the document's number.
    """
    scheme = canonical_scheme(scheme)  # checked now, not at the first record
    if nested not in NESTED_POLICIES:
        raise ValueError(f"unknown nested policy {nested!r}; use one of {', '.join(NESTED_POLICIES)}")
    return _iter_records(path, problems, scheme, nested, repair)


def _iter_records(path: str | Path, problems: list[Problem] | None, scheme: str, nested: str,
                  repair: bool) -> Iterator[Record]:
    stem = Path(path).stem if str(path) != "-" else "stdin"
    count, previous_document, in_document = 0, None, 0
    for sentence, document in _read_sentences(path, scheme, problems):
        if not sentence.tokens and not sentence.issues:
            continue  # nothing but $#$ separators
        count += 1
        in_document = in_document + 1 if document == previous_document else 1
        previous_document = document
        spans = _decode(sentence, scheme)
        if sentence.issues and not _accept(sentence.issues, path, problems, repair):
            continue
        metadata = {"sentence": in_document} if document is None else {"document": document, "sentence": in_document}
        yield _to_record(sentence, select_spans(spans, nested), f"{stem}-{count}", metadata)


def _accept(issues: list[_Issue], path: str | Path, problems: list[Problem] | None, repair: bool) -> bool:
    """Raise, report or silently repair a sentence's issues; whether to keep the sentence."""
    fixable = repair and all(x.repairable for x in issues)
    if problems is None:
        if fixable:  # repaired, but never silently: a slip may be a real annotation error
            for issue in sorted(issues, key=lambda x: x.line):
                logger.warning("%s:%d: %s (repaired)", path, issue.line, issue.message)
            return True
        first = min(issues, key=lambda x: x.line)
        raise CorpusError(path, first.line, first.message)
    problems.extend(Problem(str(path), x.line, x.message) for x in sorted(issues, key=lambda x: x.line))
    return fixable


# --- writing -------------------------------------------------------------------------------------

def _tokens(text: str, tokenize: str) -> list[tuple[int, int]]:
    if tokenize == "words":
        return [(w.start, w.end) for w in split_words(text)]
    if tokenize == "whitespace":
        return [(m.start(), m.end()) for m in re.finditer(r"\S+", text)]
    raise ValueError(f"unknown tokenize {tokenize!r}; use 'words' or 'whitespace'")


def _token_spans(record: Record, tokens: list[tuple[int, int]], widen: bool = False) -> list[tuple[int, int, str]]:
    """Entity spans in token indices. A span must cover whole tokens, except with ``widen``
    (whitespace tokens), where a span that leaves out punctuation glued to a token, such as
    ``د`` in the token ``(د``, takes the whole token: CoNLL cannot mark part of one."""
    starts = [s for s, _ in tokens]
    out = []
    for span in record.entities:
        first = bisect_right(starts, span.start) - 1
        last = bisect_right(starts, span.end - 1) - 1
        whole = first >= 0 and tokens[first][0] == span.start and tokens[last][1] == span.end
        glued = first >= 0 and span.end <= tokens[last][1] and not any(
            ch.isalnum() for ch in record.text[tokens[first][0]:span.start] + record.text[span.end:tokens[last][1]])
        if not (whole or (widen and glued)):
            raise ValueError(f"record {record.id!r}: entity {span.text_in(record.text)!r} "
                             f"[{span.start}, {span.end}) does not cover whole words")
        out.append((first, last + 1, span.label))
    return out


def _layers(spans: list[tuple[int, int, str]]) -> list[list[tuple[int, int, str]]]:
    """Put overlapping spans in separate tag columns, outer spans in the first."""
    layers: list[list[tuple[int, int, str]]] = []
    for span in sorted(set(spans), key=lambda s: (s[0], -s[1], s[2])):
        for layer in layers:
            if layer[-1][1] <= span[0]:
                layer.append(span)
                break
        else:
            layers.append([span])
    return layers or [[]]


def _layer_tags(layer: list[tuple[int, int, str]], n: int, scheme: str, bilou: bool) -> list[str]:
    tags = ["O"] * n
    previous_end, previous_label = -1, None
    for start, end, label in layer:
        if scheme == "BIOES" and end - start == 1:
            tags[start] = f"{'U' if bilou else 'S'}-{label}"
        else:
            for i in range(start, end):
                tags[i] = f"I-{label}"
            if scheme != "IOB1" or (previous_end == start and previous_label == label):
                tags[start] = f"B-{label}"
            if scheme == "BIOES":
                tags[end - 1] = f"{'L' if bilou else 'E'}-{label}"
        previous_end, previous_label = end, label
    return tags


def write_conll(records: Iterable[Record], path: str | Path, scheme: str = "BIO",
                tokenize: str = "words") -> int:
    """Write records as ``TOKEN TAG`` lines (more tag columns where entities overlap); returns
    how many were written. ``tokenize="words"`` splits text with :func:`split_words` (punctuation
    off, as the guidelines define words); ``"whitespace"`` keeps CoNLL tokens such as ``ق.م.``
    whole, so a CoNLL file read and written again keeps its tokens. Events are not written.
    A ``document`` number in metadata that changes writes a ``-DOCSTART-`` line.
    """
    canonical_scheme(scheme)  # a bad scheme fails before anything is written
    count, document = 0, None
    with atomic_open(path) as out:
        for record in records:
            if record.metadata.get("document") not in (None, document):
                document = record.metadata["document"]
                out.write(f"{DOCSTART} O\n\n")
            out.write(record_to_conll(record, scheme, tokenize) or "\n")
            count += 1
    return count


def record_to_conll(record: Record, scheme: str = "BIO", tokenize: str = "words") -> str | None:
    """One record as ``TOKEN TAG...`` lines ending with a blank line, or None when it has no
    token (CoNLL cannot hold an empty sentence)."""
    bilou = scheme.upper() == "BILOU"
    scheme = canonical_scheme(scheme)
    tokens = _tokens(record.text, tokenize)
    if not tokens:
        return None
    spans = _token_spans(record, tokens, widen=tokenize == "whitespace")
    columns = [_layer_tags(layer, len(tokens), scheme, bilou) for layer in _layers(spans)]
    rows = [" ".join([record.text[start:end], *(c[i] for c in columns)]) for i, (start, end) in enumerate(tokens)]
    return "\n".join(rows) + "\n\n"
