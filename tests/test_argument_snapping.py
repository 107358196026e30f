"""Arguments as the guidelines draw them: "an argument that is a named entity is exactly that
entity's span". The argument head stops a word short or runs a word long; decoding snaps an
argument to the one predicted entity it overlaps."""
from __future__ import annotations

from arabic_ie.data.records import Span
from arabic_ie.model.decoding import snap_to_entities
from arabic_ie.model.tagger import JointTagger

# قوات الجيش السوري دخلت مدينة حلب
TEXT = "قوات الجيش السوري دخلت مدينة حلب"
ARMY = Span(5, 17, "ORG", 0.9)  # الجيش السوري
ALEPPO = Span(29, 32, "GPE", 0.9)  # حلب


def test_an_argument_inside_an_entity_or_across_its_edge_takes_its_span():
    one_word_short = Span(5, 10, "Attacker", 0.6)  # الجيش
    across = Span(11, 22, "Attacker", 0.6)  # السوري دخلت
    assert snap_to_entities([one_word_short], [ARMY, ALEPPO]) == [Span(5, 17, "Attacker", 0.6)]
    assert snap_to_entities([across], [ARMY, ALEPPO]) == [Span(5, 17, "Attacker", 0.6)]
    assert TEXT[5:17] == "الجيش السوري" and TEXT[29:32] == "حلب"


def test_an_argument_holding_an_entity_and_more_or_over_no_entity_or_several_is_kept():
    descriptor_and_name = Span(0, 17, "Attacker", 0.7)  # قوات الجيش السوري
    nothing = Span(18, 22, "Time", 0.5)  # دخلت: no entity there
    both = Span(0, 32, "Attacker", 0.5)  # the whole sentence: two entities, no one span to take
    assert snap_to_entities([descriptor_and_name, nothing], [ARMY, ALEPPO]) == [descriptor_and_name, nothing]
    assert snap_to_entities([both], [ARMY, ALEPPO]) == [both]


def test_two_arguments_that_land_on_one_span_leave_the_higher_scored():
    first, second = Span(5, 10, "Attacker", 0.4), Span(11, 17, "Target", 0.8)
    assert snap_to_entities([first, second], [ARMY]) == [Span(5, 17, "Target", 0.8)]


def test_snapping_never_makes_two_arguments_overlap():
    """A random model's arguments (the Label Studio loop's pre-annotations) came to overlap after
    snapping, and validate flagged the accepted export: an argument crossing an entity's edge
    grew over a neighbour that holds the entity."""
    holds_it = Span(0, 17, "Attacker", 0.5)  # قوات الجيش السوري
    across_the_end = Span(11, 22, "Target", 0.9)  # السوري دخلت
    assert snap_to_entities([holds_it, across_the_end], [ARMY, ALEPPO]) == [Span(5, 17, "Target", 0.9)]
    holds_it = Span(0, 17, "Attacker", 0.95)  # better scored: it stays, the other is left out
    assert snap_to_entities([holds_it, across_the_end], [ARMY, ALEPPO]) == [holds_it]
    before = Span(23, 28, "Place", 0.6)  # مدينة: kept beside an entity span that does not reach it
    snapped = snap_to_entities([before, Span(29, 32, "Place", 0.7)], [ALEPPO])
    assert all(x.end <= y.start for x, y in zip(snapped, snapped[1:])) and len(snapped) == 2


def test_the_tagger_snaps_unless_the_model_says_not_to(trained_model_dir, sample_records):
    tagger = JointTagger.from_pretrained(trained_model_dir, device="cpu")
    texts = [r.text for r in sample_records["train"][:64]]  # what the model learnt: arguments to check
    snapped = tagger.predict(texts)
    checked = 0
    for record in snapped:
        for event in record.events:
            for argument in event.arguments:
                overlapping = [e for e in record.entities if e.start < argument.end and argument.start < e.end]
                if len(overlapping) == 1:
                    entity = overlapping[0]
                    holds_it = argument.start <= entity.start and entity.end <= argument.end
                    assert holds_it  # equal to it, or a descriptor with the name: never a piece of it
                    checked += 1
    assert checked > 5
    tagger.model.config.snap_arguments_to_entities = False
    raw = tagger.predict(texts)
    assert [r.entities for r in raw] == [r.entities for r in snapped]  # entities and triggers untouched
    assert [[e.trigger for e in r.events] for r in raw] == [[e.trigger for e in r.events] for r in snapped]
