"""Tasks sent from services never fail the caller; a bulk load holds them and sends
each distinct one once."""

from kit.tasks import safe_delay, tasks_held


class FakeTask:
    """A task as ``safe_delay`` sees it: a name and ``delay``."""

    def __init__(self, name, fails=False):
        self.name, self.fails, self.calls = name, fails, []

    def delay(self, *args, **kwargs):
        if self.fails:
            raise ConnectionError("broker down")
        self.calls.append((args, kwargs))


def test_a_task_the_broker_refuses_does_not_fail_the_caller():
    assert safe_delay(FakeTask("x", fails=True), 1) is False


def test_held_tasks_are_sent_once_each_at_the_end_of_the_block():
    recompute, stats = FakeTask("recompute"), FakeTask("stats")

    with tasks_held():
        for _ in range(100):
            assert safe_delay(recompute) is True
        safe_delay(stats, [1, 2])
        safe_delay(stats, [3])
        safe_delay(stats, [1, 2])
        assert recompute.calls == []
        assert stats.calls == []

    assert recompute.calls == [((), {})]
    assert stats.calls == [(([1, 2],), {}), (([3],), {})]


def test_tasks_named_to_drop_are_not_sent_and_others_outside_the_block_are():
    mail, recompute = FakeTask("notify"), FakeTask("recompute")

    with tasks_held(drop=("notify",)):
        safe_delay(mail, 7)
        safe_delay(recompute)
    safe_delay(mail, 8)

    assert mail.calls == [((8,), {})]
    assert recompute.calls == [((), {})]
