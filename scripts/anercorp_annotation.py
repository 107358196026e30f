"""Hand annotation of ANERcorp's training part: drafts, checks, agreement and the corpus build.

The annotation is kept as compact ``.ann`` files of token indices (no corpus text), one block per
sentence, so annotators write little and every span maps back to ANERcorp's token lines:

    @0012
    E: 0 GPE | 5-7 ORG | 10-11 TIME
    V: 4 Contact:Meet | Entity 5-7 | Place 0 | Time 10-11
    V: 20-21 Life:Die | Victim 15

``E:`` lists the entities (``a`` or ``a-b`` inclusive token indices, then a type); each ``V:`` line
is one event: trigger indices and event type, then ``Role a-b`` arguments. A block with an empty
``E:`` and no ``V:`` line is a sentence read and found to hold nothing.

    python scripts/anercorp_annotation.py drafts OUT_DIR      # per-part drafts for annotators
    python scripts/anercorp_annotation.py check FILE.ann       # syntax, schema, overlaps, coverage
    python scripts/anercorp_annotation.py show FILE.ann [FROM-TO]   # the spans as words, to review
    python scripts/anercorp_annotation.py freeze               # before adjudication: keep both passes
    python scripts/anercorp_annotation.py agreement            # F1 between the two passes per layer
    python scripts/anercorp_annotation.py build                # data/anercorp/{train,dev}.jsonl (parts + adjudication)

Run it with the project's environment (``.venv/bin/python``): the schema is the package's
``GUIDELINES_SCHEMA``, kept in one place.
"""
from __future__ import annotations

import argparse
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from arabic_ie.data.validate import GUIDELINES_SCHEMA

ROOT = Path(__file__).resolve().parent.parent
ANN_DIR = ROOT / "data" / "anercorp" / "annotation"
DOUBLE_DIR = ANN_DIR / "double"  # the blind double annotation, frozen before adjudication
SHARED = Path(os.environ.get("ARABIC_IE_SHARED_DATA", ROOT.parent / "shared" / "data"))
SOURCE = SHARED / "ANERcorp" / "ANERCorp_CAMeLrecon_train.txt"
N_PARTS = 6
DEV_SIZE = 396  # the last 396 sentences: the dev carve-out that scripts/eval_anercorp.py uses

ENTITY_TYPES = tuple(GUIDELINES_SCHEMA.entity_types)
EVENT_ROLES = {etype: tuple(roles) for etype, roles in GUIDELINES_SCHEMA.allowed_roles.items()}
ANERCORP_TYPE = {"PERS": "PER", "ORG": "ORG", "LOC": "GPE"}  # MISC is left to the annotator


# --- the source --------------------------------------------------------------------------------

def read_source(path: Path = SOURCE) -> list[list[tuple[str, str]]]:
    """ANERcorp's sentences as (token, tag) lists, in file order."""
    sentences: list[list[tuple[str, str]]] = []
    current: list[tuple[str, str]] = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line.strip():
                if current:
                    sentences.append(current)
                    current = []
                continue
            token, tag = line.rsplit(" ", 1)
            current.append((token, tag))
    if current:
        sentences.append(current)
    return sentences


def source_spans(sentence: list[tuple[str, str]]) -> list[tuple[int, int, str]]:
    """ANERcorp's own BIO tags as inclusive token spans (an ``I-`` after another type starts one)."""
    spans: list[tuple[int, int, str]] = []
    for i, (_, tag) in enumerate(sentence):
        if tag == "O":
            continue
        prefix, label = tag.split("-", 1)
        if prefix == "I" and spans and spans[-1][1] == i - 1 and spans[-1][2] == label:
            spans[-1] = (spans[-1][0], i, label)
        else:
            spans.append((i, i, label))
    return spans


def part_bounds(sentences: list[list[tuple[str, str]]], n_parts: int = N_PARTS) -> list[tuple[int, int]]:
    """Contiguous parts of about equal token counts: [(first, last+1), ...]."""
    total = sum(map(len, sentences))
    bounds, start, acc = [], 0, 0
    for i, s in enumerate(sentences):
        acc += len(s)
        if acc >= total * (len(bounds) + 1) / n_parts and len(bounds) < n_parts - 1:
            bounds.append((start, i + 1))
            start = i + 1
    bounds.append((start, len(sentences)))
    return bounds


def double_set(n_sentences: int) -> list[int]:
    """The sentences annotated twice: every tenth, spread over the whole file (>= 10%)."""
    return list(range(0, n_sentences, 10))


def fmt_range(a: int, b: int) -> str:
    return str(a) if a == b else f"{a}-{b}"


def draft_block(index: int, sentence: list[tuple[str, str]]) -> str:
    words = " ".join(f"{i}:{tok}" for i, (tok, _) in enumerate(sentence))
    spans = source_spans(sentence)
    original = " | ".join(f"{fmt_range(a, b)} {t}" for a, b, t in spans)
    prefill = " | ".join(f"{fmt_range(a, b)} {ANERCORP_TYPE[t]}" for a, b, t in spans if t in ANERCORP_TYPE)
    return f"@{index:04d}\nW: {words}\nA: {original}\nE: {prefill}\n"


def cmd_drafts(out_dir: str) -> None:
    sentences = read_source()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    bounds = part_bounds(sentences)
    owner = {}
    for p, (a, b) in enumerate(bounds):
        owner.update({i: p for i in range(a, b)})
        (out / f"part{p + 1}.draft").write_text("".join(draft_block(i, sentences[i]) for i in range(a, b)), encoding="utf-8")
        print(f"part{p + 1}: sentences {a}-{b - 1} ({b - a} sentences, {sum(len(sentences[i]) for i in range(a, b))} tokens)")
    second: dict[int, list[int]] = {p: [] for p in range(len(bounds))}
    for i in double_set(len(sentences)):
        second[(owner[i] + 1) % len(bounds)].append(i)
    for p, indices in second.items():
        (out / f"second{p + 1}.draft").write_text("".join(draft_block(i, sentences[i]) for i in indices), encoding="utf-8")
        print(f"second{p + 1}: {len(indices)} sentences from other parts")


# --- the .ann format ---------------------------------------------------------------------------

@dataclass
class Block:
    index: int
    line: int
    entities: list[tuple[int, int, str]] = field(default_factory=list)
    events: list[tuple[tuple[int, int], str, list[tuple[str, int, int]]]] = field(default_factory=list)


_RANGE = re.compile(r"^(\d+)(?:-(\d+))?$")


def _range(text: str, n: int, where: str) -> tuple[int, int]:
    m = _RANGE.match(text.strip())
    if not m:
        raise ValueError(f"{where}: {text.strip()!r} is not a token index or range a-b")
    a = int(m.group(1))
    b = int(m.group(2)) if m.group(2) else a
    if not 0 <= a <= b < n:
        raise ValueError(f"{where}: range {text.strip()} is outside the sentence (tokens 0-{n - 1})")
    return a, b


def parse_ann(path: Path, sentences: list[list[tuple[str, str]]]) -> tuple[dict[int, Block], list[str]]:
    """Blocks by sentence index, and every problem found (file:line: what)."""
    blocks: dict[int, Block] = {}
    problems: list[str] = []
    block: Block | None = None
    for lineno, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        where = f"{path.name}:{lineno}"
        if not line or line.startswith("#") or line.startswith("W:") or line.startswith("A:"):
            continue
        try:
            if line.startswith("@"):
                index = int(line[1:])
                if not 0 <= index < len(sentences):
                    raise ValueError(f"{where}: no sentence {index}")
                if index in blocks:
                    raise ValueError(f"{where}: sentence @{index:04d} appears twice")
                block = blocks[index] = Block(index, lineno)
                continue
            if block is None:
                raise ValueError(f"{where}: a line before the first @ block")
            n = len(sentences[block.index])
            if line.startswith("E:"):
                for item in filter(None, (x.strip() for x in line[2:].split("|"))):
                    parts = item.split()
                    if len(parts) != 2 or parts[1] not in ENTITY_TYPES:
                        raise ValueError(f"{where}: entity {item!r} must be 'a-b TYPE' with TYPE in {', '.join(ENTITY_TYPES)}")
                    block.entities.append((*_range(parts[0], n, where), parts[1]))
            elif line.startswith("V:"):
                head, *args = [x.strip() for x in line[2:].split("|")]
                parts = head.split()
                if len(parts) != 2 or parts[1] not in EVENT_ROLES:
                    raise ValueError(f"{where}: event {head!r} must be 'a-b Type' with a type of the guidelines")
                trigger = _range(parts[0], n, where)
                arguments = []
                for item in filter(None, args):
                    role, _, rng = item.partition(" ")
                    if role not in EVENT_ROLES[parts[1]]:
                        raise ValueError(f"{where}: {parts[1]} has no role {role!r} (roles: {', '.join(EVENT_ROLES[parts[1]])})")
                    arguments.append((role, *_range(rng, n, where)))
                block.events.append((trigger, parts[1], arguments))
            else:
                raise ValueError(f"{where}: unknown line {line[:40]!r} (expected @NNNN, E:, V:)")
        except ValueError as e:
            problems.append(str(e))
    for b in blocks.values():
        problems.extend(f"{path.name}:{b.line}: @{b.index:04d} {p}" for p in _overlaps(b))
    return blocks, problems


def _overlaps(b: Block) -> list[str]:
    out = []
    ents = sorted(b.entities)
    for (a1, b1, t1), (a2, b2, t2) in zip(ents, ents[1:]):
        if a2 <= b1:
            out.append(f"entities {fmt_range(a1, b1)} {t1} and {fmt_range(a2, b2)} {t2} overlap")
    trig = sorted(ev[0] for ev in b.events)
    for (a1, b1), (a2, b2) in zip(trig, trig[1:]):
        if a2 <= b1:
            out.append(f"triggers {fmt_range(a1, b1)} and {fmt_range(a2, b2)} overlap")
    for (ta, tb), etype, args in b.events:
        spans = sorted((a, c, r) for r, a, c in args)
        for (a1, b1, r1), (a2, b2, r2) in zip(spans, spans[1:]):
            if a2 <= b1:
                out.append(f"{etype} at {fmt_range(ta, tb)}: arguments {r1} {fmt_range(a1, b1)} and {r2} {fmt_range(a2, b2)} overlap")
    return out


def _words(sentence: list[tuple[str, str]], a: int, b: int) -> str:
    return " ".join(tok for tok, _ in sentence[a:b + 1])


def cmd_check(path: str, expect: str | None) -> int:
    sentences = read_source()
    blocks, problems = parse_ann(Path(path), sentences)
    for p in problems:
        print(p)
    if expect:
        wanted = [int(m) for m in re.findall(r"^@(\d+)$", Path(expect).read_text(encoding="utf-8"), re.M)]
        missing = [i for i in wanted if i not in blocks]
        extra = sorted(set(blocks) - set(wanted))
        print(f"{len(wanted) - len(missing)}/{len(wanted)} sentences of {Path(expect).name} done"
              + (f"; next missing @{missing[0]:04d}" if missing else "")
              + (f"; {len(extra)} blocks not in the draft: {extra[:5]}" if extra else ""))
    print(f"{len(problems)} problems; {len(blocks)} blocks, "
          f"{sum(len(b.entities) for b in blocks.values())} entities, {sum(len(b.events) for b in blocks.values())} events")
    return 1 if problems else 0


def cmd_show(path: str, rng: str | None) -> None:
    sentences = read_source()
    blocks, _ = parse_ann(Path(path), sentences)
    lo, hi = (int(x) for x in rng.split("-")) if rng else (0, len(sentences))
    for i in sorted(blocks):
        if not lo <= i <= hi:
            continue
        s, b = sentences[i], blocks[i]
        print(f"@{i:04d} " + " | ".join(f"{_words(s, a, c)}={t}" for a, c, t in sorted(b.entities)))
        for (ta, tb), etype, args in b.events:
            print(f"   {etype} [{_words(s, ta, tb)}] " + " | ".join(f"{r}={_words(s, a, c)}" for r, a, c in args))


# --- agreement and the build -------------------------------------------------------------------

def _layers(b: Block) -> dict[str, set]:
    return {
        "entities": {(a, c, t) for a, c, t in b.entities},
        "triggers": {(tr, et) for tr, et, _ in b.events},
        "arguments": {(et, r, a, c) for tr, et, args in b.events for r, a, c in args},
    }


def load_all(kind: str) -> dict[int, Block]:
    sentences = read_source()
    blocks: dict[int, Block] = {}
    for path in sorted(ANN_DIR.glob(f"{kind}*.ann")):
        got, problems = parse_ann(path, sentences)
        if problems:
            raise SystemExit("\n".join(problems[:20]) + f"\n{path}: {len(problems)} problems")
        blocks.update(got)
    return blocks


def agreement(first: dict[int, Block], second: dict[int, Block]) -> dict[str, tuple[int, int, int]]:
    """Per layer: (in both, only first, only second) over the sentences both passes annotated.

    Arguments count as matching when event type, role and span agree (trigger position aside),
    the argument-classification criterion the metrics use.
    """
    out = {k: [0, 0, 0] for k in ("entities", "triggers", "arguments")}
    for i in sorted(set(first) & set(second)):
        l1, l2 = _layers(first[i]), _layers(second[i])
        for k in out:
            out[k][0] += len(l1[k] & l2[k])
            out[k][1] += len(l1[k] - l2[k])
            out[k][2] += len(l2[k] - l1[k])
    return {k: tuple(v) for k, v in out.items()}


def cmd_agreement(diffs: str | None) -> None:
    """Agreement of the blind double annotation, as frozen before adjudication in double/."""
    sentences = read_source()
    first, _ = parse_ann(DOUBLE_DIR / "first.ann", sentences)
    second: dict[int, Block] = {}
    for path in sorted(DOUBLE_DIR.glob("second*.ann")):
        second.update(parse_ann(path, sentences)[0])
    shared = sorted(set(first) & set(second))
    print(f"{len(shared)} sentences annotated twice, blind, by two different annotators")
    print("| layer | F1 | in both | first pass only | second pass only |\n|---|---|---|---|---|")
    for layer, (both, only1, only2) in agreement(first, second).items():
        f1 = 2 * both / (2 * both + only1 + only2) if both else 0.0
        print(f"| {layer} | {f1:.3f} | {both} | {only1} | {only2} |")
    if diffs:
        with open(diffs, "w", encoding="utf-8") as f:
            for i in shared:
                if _layers(first[i]) != _layers(second[i]):
                    f.write(draft_block(i, sentences[i]).split("\nA:")[0] + "\n")
                    for name, b in (("FIRST", first[i]), ("SECOND", second[i])):
                        f.write(f"# {name}\n" + block_text(b, sentences[i]) + "\n")
        print(f"differences written to {diffs}")


def cmd_freeze() -> None:
    """Before adjudication: copy the first pass of the double set and the second passes to double/."""
    sentences = read_source()
    first = load_all("part")
    DOUBLE_DIR.mkdir(exist_ok=True)
    wanted = double_set(len(sentences))
    (DOUBLE_DIR / "first.ann").write_text(
        "".join(f"@{i:04d}\n{block_text(first[i], sentences[i])}\n" for i in wanted if i in first), encoding="utf-8")
    for path in sorted(ANN_DIR.glob("second*.ann")):
        path.rename(DOUBLE_DIR / path.name)
    print(f"froze {sum(i in first for i in wanted)} first-pass blocks and the second passes in {DOUBLE_DIR}")


def block_text(b: Block, sentence: list[tuple[str, str]]) -> str:
    lines = ["E: " + " | ".join(f"{fmt_range(a, c)} {t}" for a, c, t in sorted(b.entities))]
    lines += [f"V: {fmt_range(*tr)} {et}" + "".join(f" | {r} {fmt_range(a, c)}" for r, a, c in args)
              for tr, et, args in b.events]
    return "\n".join(lines)


def build_records(blocks: dict[int, Block], sentences: list[list[tuple[str, str]]]):
    """Native records: text is the tokens joined by single spaces; spans trim edge punctuation."""
    from arabic_ie.data.records import Event, Record, Span
    from arabic_ie.data.text import is_latin_run, is_word_char

    records = []
    for i, sentence in enumerate(sentences):
        if i not in blocks:
            raise SystemExit(f"sentence @{i:04d} has no annotation block")
        tokens = [tok for tok, _ in sentence]
        starts, pos = [], 0
        for tok in tokens:
            starts.append(pos)
            pos += len(tok) + 1
        text = " ".join(tokens)

        def span(a: int, c: int, label: str = "") -> Span:
            start, end = starts[a], starts[c] + len(tokens[c])
            while start < end and not is_word_char(text[start]):
                start += 1
            while end > start and not is_word_char(text[end - 1]):
                end -= 1
            return Span(start, end, label)

        def named(a: int, c: int) -> bool:
            """Not an English gloss or term: spans made only of Latin-script words are left out
            (the guidelines' decision; the tagger never predicts them)."""
            return not is_latin_run(tokens[a:c + 1])

        b = blocks[i]
        events = [Event(et, span(*tr), [span(a, c, r) for r, a, c in args if named(a, c)]) for tr, et, args in b.events]
        records.append(Record(f"anercorp-{i:04d}", text, sorted((span(a, c, t) for a, c, t in b.entities if named(a, c)),
                                                               key=lambda s: s.start), events))
    return records


def cmd_build(out_dir: str) -> None:
    from arabic_ie.data.jsonl import write_jsonl

    sentences = read_source()
    blocks = load_all("part")
    blocks.update(load_all("adjudicated"))  # the double set's differences, as adjudicated
    records = build_records(blocks, sentences)
    out = Path(out_dir)
    write_jsonl(records[:-DEV_SIZE], out / "train.jsonl")
    write_jsonl(records[-DEV_SIZE:], out / "dev.jsonl")
    print(f"{out}/train.jsonl: {len(records) - DEV_SIZE} records; {out}/dev.jsonl: {DEV_SIZE} records")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("drafts").add_argument("out_dir")
    p = sub.add_parser("check")
    p.add_argument("file")
    p.add_argument("--draft", help="the draft the file answers: report which sentences are still missing")
    p = sub.add_parser("show")
    p.add_argument("file")
    p.add_argument("range", nargs="?")
    sub.add_parser("agreement").add_argument("--diffs")
    sub.add_parser("freeze")
    sub.add_parser("build").add_argument("--out", default=str(ROOT / "data" / "anercorp"))
    args = parser.parse_args(argv)
    if args.command == "drafts":
        cmd_drafts(args.out_dir)
    elif args.command == "check":
        return cmd_check(args.file, args.draft)
    elif args.command == "show":
        cmd_show(args.file, args.range)
    elif args.command == "freeze":
        cmd_freeze()
    elif args.command == "agreement":
        cmd_agreement(args.diffs)
    else:
        cmd_build(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
