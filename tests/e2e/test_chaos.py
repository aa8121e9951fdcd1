"""The seeded chaos run (crash_sim/chaos.py), two minutes of it: the promise held under a
nemesis that really struck, and struck what the seed drew."""

from collections import Counter

from crash_sim.chaos import Chaos, schedule

SEED = 7


def test_two_minutes_of_chaos_hold(config):
    verdict = Chaos(config, minutes=2, seed=SEED, say=lambda line: None).run()
    assert verdict.broken == [], list(verdict.lines())
    assert verdict.products >= 4 and verdict.units > 0  # sales went on, and sold, under the faults
    injected = [fault.label for _, _, fault in verdict.injected]
    assert len(injected) >= 5
    drawn = [fault.label for _, faults in schedule(SEED, config.ha, len(injected)) for fault in faults]
    # Two faults drawn together start together, in either order; the run may end mid-pair.
    assert Counter(injected) <= Counter(drawn)
