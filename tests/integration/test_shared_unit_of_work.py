"""`complaints run` shares one unit of work between web threads and the worker thread."""

import threading

import engine


def test_threads_sharing_one_unit_of_work_keep_their_own_transactions(scenario):
    cases = [scenario.start().case_id for _ in range(3)]
    errors, barrier = [], threading.Barrier(4)

    def read_and_write(number):
        try:
            barrier.wait(timeout=10)
            for _ in range(30):
                assert engine.show_case(cases[number % 3], uow=scenario.uow).case.id == cases[number % 3]
                engine.fire_due_timers(uow=scenario.uow, clock=scenario.clock, policy=scenario.policy)
        except Exception as error:  # noqa: BLE001 - collected and reported by the test
            errors.append(repr(error))

    threads = [threading.Thread(target=read_and_write, args=(n,), daemon=True) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "threads hung: they shared one transaction"
    assert errors == []
