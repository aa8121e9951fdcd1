"""The chaos run's schedule comes from its seed alone (crash_sim/chaos.py)."""

from crash_sim.chaos import schedule


def labels(seed, ha=False, count=40):
    return [(pause, [fault.label for fault in faults]) for pause, faults in schedule(seed, ha, count)]


def test_a_seed_draws_the_same_schedule_every_time():
    assert labels(7) == labels(7)
    assert labels(7) != labels(8)


def test_faults_drawn_together_act_on_different_things():
    for _, faults in schedule(7, False, 200):
        assert len({fault.target for fault in faults}) == len(faults)


def test_the_ha_stack_draws_no_toxic():
    # The HA stack has no proxies: a toxic there would fail, not test anything.
    assert all(fault.kind != "toxic" for _, faults in schedule(7, True, 200) for fault in faults)
    assert any(fault.kind == "toxic" for _, faults in schedule(7, False, 200) for fault in faults)
