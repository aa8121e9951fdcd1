"""The chaos run's schedule comes from its seed alone (crash_sim/chaos.py)."""

from crash_sim.chaos import HA_LINKS, LINKS, schedule


def labels(seed, ha=False, count=40):
    return [(pause, [fault.label for fault in faults]) for pause, faults in schedule(seed, ha, count)]


def test_a_seed_draws_the_same_schedule_every_time():
    assert labels(7) == labels(7)
    assert labels(7) != labels(8)


def test_faults_drawn_together_act_on_different_things():
    for _, faults in schedule(7, False, 200):
        assert len({fault.target for fault in faults}) == len(faults)


def test_toxics_act_on_the_links_of_the_stack_they_run_on():
    for ha, links in ((False, LINKS), (True, HA_LINKS)):
        targets = {fault.target for _, faults in schedule(7, ha, 200) for fault in faults if fault.kind == "toxic"}
        assert targets == set(links)  # every link is drawn, and no other stack's
