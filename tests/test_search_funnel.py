"""Funnel promotion bars, fair ranking across stages, and the hall of fame."""

import math

from symopt.search.funnel import Promoter, promoted, selection_score
from symopt.search.halloffame import HallOfFame

STAGES = ("A", "B", "C")


def test_ratio_rank_uses_the_highest_stage_reached():
    assert selection_score({"A": 0.8}, STAGES) < selection_score({"A": 0.7, "B": 0.9}, STAGES)
    # same value: the candidate measured on the higher stage wins
    assert selection_score({"A": 0.5, "B": 0.9}, STAGES) < selection_score({"A": 0.9}, STAGES)
    assert selection_score({"A": None}, STAGES) == (math.inf, 0)


def test_stage_rank_prefers_the_stage_reached():
    assert selection_score({"A": 0.5, "B": 2.0}, STAGES, "stage") < selection_score({"A": 0.1}, STAGES, "stage")


def test_promotion_bar_is_beating_the_seed_within_the_top_fraction():
    p = Promoter(STAGES, {"A": 0.25, "B": 0.5, "C": 1.0}, window=8)
    p.seed({"A": 1.0, "B": 1.0, "C": 1.0})
    assert p.thresholds() == {"A": 1.0, "B": 1.0}  # nothing seen: beat the seed
    for v in (0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, None):
        p.record({"A": v})
    bars = p.thresholds()
    assert bars["A"] == 0.3             # many beat the seed: only the best quarter (inf counts as worst)
    assert promoted(0.3, bars["A"]) and not promoted(0.35, bars["A"]) and not promoted(None, bars["A"])
    for v in [3.0] * 8:                 # the window slides: all worse than the seed
        p.record({"A": v})
    assert p.thresholds()["A"] == 1.0   # the top quarter is no reason to promote: beat the seed
    m = Promoter(STAGES, {"A": 0.25, "B": 0.5, "C": 1.0}, window=8, margin=0.01)
    m.seed({"A": 1.0, "B": 1.0, "C": 1.0})
    assert m.thresholds()["A"] == 0.99 and not promoted(0.995, m.thresholds()["A"])  # noise-sized gains stay


def test_promoter_state_roundtrip():
    p = Promoter(STAGES, {"A": 0.5, "B": 0.5, "C": 1.0}, window=4)
    p.record({"A": math.inf, "B": 2.0})
    q = Promoter(STAGES, {"A": 0.5, "B": 0.5, "C": 1.0}, window=4)
    q.restore(p.state())
    assert list(q.recent["A"]) == [math.inf] and list(q.recent["B"]) == [2.0]


def test_hall_of_fame_keeps_best_unique_hashes():
    h = HallOfFame(2, STAGES)

    def rec(i, h_, f):
        return {"hash": h_, "program": "p", "fitness": f, "eval_id": i, "parent": None}

    assert h.add(rec(0, "x", {"A": 1.0}))
    assert h.add(rec(1, "y", {"A": 0.5}))
    assert not h.add(rec(2, "x", {"A": 1.5}))      # worse copy of x
    assert not h.add(rec(3, "z", {"A": 2.0}))      # full, worse than the last
    assert h.add(rec(4, "z", {"A": 0.7, "B": 0.6}))
    assert [e["hash"] for e in h.entries()] == ["z", "y"]     # promoted to B: ahead of any A-only entry
    h.set_scores("y", 0.9, None)
    assert h.get("y")["meta"] == 0.9 and "meta" not in h.best()


def test_hall_of_fame_never_ranks_an_unpromoted_program_above_a_promoted_one():
    """A stage A ratio far below any B ratio (a program overfitting stage A's task) stays behind."""
    h = HallOfFame(3, ("A", "B"))
    for i, (name, fit) in enumerate([("lion", {"A": 0.27, "B": 0.50}), ("overfit", {"A": 0.14}),
                                     ("adam", {"A": 0.9, "B": 0.95}), ("worse", {"A": 0.3})]):
        h.add({"hash": name, "program": "p", "fitness": fit, "eval_id": i, "parent": None})
    assert [e["hash"] for e in h.entries()] == ["lion", "adam", "overfit"]
    # the search's selection still compares ratios across stages (funnel.rank = "ratio")
    assert selection_score({"A": 0.14}, ("A", "B")) < selection_score({"A": 0.27, "B": 0.5}, ("A", "B"))
