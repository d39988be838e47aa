"""The functional cache: hash keys, FEC fingerprints, stats, JSON round trip."""

from __future__ import annotations

import json
import math

from search_space.parser import parse
from search_space.seeds import load_seed
from symopt.cache import FunctionalCache

H = "def train(w, g, m, v, lr):\n"
R = "    return update, m, v\n"


def test_hits_misses_and_rate():
    c = FunctionalCache()
    k = c.key(load_seed("lion"))
    assert c.get(k, "A") is None
    c.put(k, "A", 0.5)
    assert c.get(k, "A") == 0.5 and c.get(k, "B") is None
    assert (c.hits, c.misses, c.hit_rate) == (1, 2, 1 / 3)


def test_renamed_and_dead_code_programs_share_a_key():
    a = parse(H + "    t = sign(g)\n    update = t * lr\n" + R)
    b = parse(H + "    dead = exp(w)\n    s = sign(g)\n    update = lr * s\n" + R)
    assert FunctionalCache().key(a) == FunctionalCache().key(b)


def test_fingerprint_merges_algebraic_equivalents_only_when_asked():
    a = parse(H + "    update = g + g\n" + R)
    b = parse(H + "    update = g * 2.0\n" + R)
    c = parse(H + "    update = g * 3.0\n" + R)
    plain, fec = FunctionalCache(), FunctionalCache(fingerprint=True)
    assert plain.key(a) != plain.key(b)
    assert fec.key(a) == fec.key(b) != fec.key(c)


def test_json_round_trip_keeps_inf():
    c = FunctionalCache()
    c.put("k1", "A", math.inf)
    c.put("k2", "A", 0.25)
    c.get("k1", "A")
    d = FunctionalCache.from_json(json.loads(json.dumps(c.to_json())))
    assert d.get("k1", "A") == math.inf and d.get("k2", "A") == 0.25
    assert d.hits == 3 and d.misses == 0
