"""`parallel.Forked`: a call run in a forked process while the caller goes on; `map_chunks`."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time

import pytest

from digestgen.util.parallel import WORKER_GC_THRESHOLDS, Forked

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="forks on Linux only")


def _gone(pid: int, within: float = 10.0) -> bool:
    """Whether the process `pid` has ended (or is a zombie no one waits for) within `within`
    seconds."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
                if stat.read().rsplit(")", 1)[1].split()[0] == "Z":
                    return True
        except FileNotFoundError:
            return True
        time.sleep(0.05)
    return False


def run_fresh(script: str) -> str:
    """Run a script in a fresh interpreter, where no thread of another test runs (`Forked` does
    not fork while one does); what it printed."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(script)], env=env,
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_call_runs_in_another_process_and_its_result_comes_back():
    shown = run_fresh("""
        import json, os
        from digestgen.util.parallel import Forked
        with Forked(2, lambda extra: (os.getpid(), [1, 2, extra]), "three") as call:
            pid, value = call.result()
        print(json.dumps([os.getpid(), pid, value]))
    """)
    parent, child, value = json.loads(shown)
    assert child != parent
    assert value == [1, 2, "three"]


def test_an_exception_in_the_call_is_raised_by_result():
    shown = run_fresh("""
        import os
        from digestgen.util.parallel import Forked
        class Refused(Exception):
            pass
        def refuse(message):
            raise Refused(f"{message} (in {os.getpid()})")
        try:
            with Forked(2, refuse, "no index for you") as call:
                call.result()
        except Refused as exc:
            print(exc, os.getpid())
    """)
    said, here = shown.rsplit(" ", 1)
    assert said.startswith("no index for you (in ")
    assert said != f"no index for you (in {here.strip()})"  # raised in the child


def test_a_caller_can_tell_an_answered_call_from_one_still_working_and_stop_it():
    shown = run_fresh("""
        import json, os, time
        from digestgen.util.parallel import Forked
        with Forked(2, time.sleep, 30) as slow, Forked(2, os.getpid) as quick:
            time.sleep(0.5)
            said = [slow.answered(), quick.answered(), quick.result()]
            pid, started = slow._child, time.monotonic()
            slow.stop()  # killed now, not after its 30 seconds
            said += [slow._child != 0, time.monotonic() - started < 5, pid]
        print(json.dumps(said))
    """)
    slow_answered, quick_answered, quick_pid, forked, prompt, slow_pid = json.loads(shown)
    assert (slow_answered, quick_answered, forked, prompt) == (False, True, False, True)
    assert quick_pid != slow_pid and _gone(slow_pid)


def test_with_one_worker_the_call_runs_here_when_asked_for():
    calls = []
    with Forked(1, lambda: calls.append(os.getpid()) or len(calls)) as call:
        assert calls == []
        assert call.result() == 1
    assert calls == [os.getpid()]


def test_while_another_thread_runs_the_call_runs_here():
    # A forked copy of a process with threads could deadlock on a lock one of them held.
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        with Forked(2, os.getpid) as call:
            assert call.result() == os.getpid()
    finally:
        stop.set()
        other.join()


def test_leaving_unanswered_kills_the_child_and_the_programs_it_started(tmp_path):
    started = tmp_path / "sleeper.pid"
    run_fresh(f"""
        import os, subprocess, time
        from digestgen.util.parallel import Forked
        def start_a_program():
            sleeper = subprocess.Popen(["sleep", "60"])
            open({str(started)!r}, "w").write(str(sleeper.pid))
            sleeper.wait()
        with Forked(2, start_a_program):
            deadline = time.monotonic() + 30
            while not os.path.exists({str(started)!r}) or not open({str(started)!r}).read():
                assert time.monotonic() < deadline, "the forked call never started its program"
                time.sleep(0.02)
    """)
    assert _gone(int(started.read_text()))


def test_a_child_dies_with_its_parent_even_when_the_parent_is_killed_outright(tmp_path):
    # A build killed with SIGKILL runs no clean-up: the kernel must end its forked child, which
    # would otherwise go on writing the files of a site no one will commit.
    child_pid = tmp_path / "child.pid"
    script = textwrap.dedent(f"""
        import os, signal, time
        from digestgen.util.parallel import Forked
        def wait_forever():
            open({str(child_pid)!r}, "w").write(str(os.getpid()))
            time.sleep(60)
        with Forked(2, wait_forever):
            while not os.path.exists({str(child_pid)!r}) or not open({str(child_pid)!r}).read():
                time.sleep(0.02)
            os.kill(os.getpid(), signal.SIGKILL)
    """)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    done = subprocess.run([sys.executable, "-c", script], env=env, timeout=60)
    assert done.returncode == -signal.SIGKILL
    assert _gone(int(child_pid.read_text()))


def test_a_held_call_waits_for_its_release_and_a_stopped_one_never_runs(tmp_path):
    ran = tmp_path / "ran"
    shown = run_fresh(f"""
        import json, os, time
        from digestgen.util.parallel import Forked
        def mark(name):
            open(os.path.join({str(ran)!r} + "-" + name), "w").write(str(os.getpid()))
            return name
        with Forked(2, mark, "released", held=True) as released, \\
                Forked(2, mark, "stopped", held=True) as stopped:
            time.sleep(0.5)
            said = [released.answered(), os.path.exists({str(ran)!r} + "-released")]
            released.release()
            said += [released.result(), os.getpid()]
            stopped_pid = stopped._child
            stopped.stop()
        print(json.dumps(said + [stopped_pid]))
    """)
    answered, ran_before, result, parent, stopped_pid = json.loads(shown)
    assert (answered, ran_before, result) == (False, False, "released")
    assert int((tmp_path / "ran-released").read_text()) != parent  # in the child, once released
    assert _gone(stopped_pid)
    assert not (tmp_path / "ran-stopped").exists()


def test_a_held_call_gets_what_its_release_gives_though_a_later_one_holds_its_pipe_too():
    # The second child, forked while the first still waited, holds the first one's pipe open:
    # the first must read what its release sent, not wait for the pipe's end.
    shown = run_fresh("""
        import json, os
        from digestgen.util.parallel import Forked
        def joined(made_with, given):
            return [made_with, len(given), given[:3], os.getpid()]
        given = "abc" * 400_000  # more than a pipe holds at once
        with Forked(2, joined, "early", held=True) as early, \\
                Forked(2, joined, "later", held=True) as later:
            early.release(given)
            print(json.dumps([*early.result(), os.getpid()]))
        with Forked(1, joined, "here", held=True) as here:  # not forked: called here
            here.release(given)
            print(json.dumps([*here.result(), os.getpid()]))
    """)
    early, here = (json.loads(line) for line in shown.splitlines())
    assert early[:3] == ["early", 1_200_000, "abc"] and early[3] != early[4]
    assert here[:3] == ["here", 1_200_000, "abc"] and here[3] == here[4]


def test_a_held_call_asked_for_is_released_by_result():
    shown = run_fresh("""
        import os
        from digestgen.util.parallel import Forked
        with Forked(2, os.getpid, held=True) as call:
            print(call.result() != os.getpid())
    """)
    assert shown.strip() == "True"


def test_a_held_call_prepares_in_its_child_before_its_release(tmp_path):
    prepared = tmp_path / "prepared"
    shown = run_fresh(f"""
        import json, os, time
        from digestgen.util.parallel import Forked
        def prepare():
            open({str(prepared)!r}, "w").write(str(os.getpid()))
        def call():
            return open({str(prepared)!r}).read()
        with Forked(2, call, held=True, prepare=prepare) as held:
            for _ in range(100):  # the child prepares while the caller goes on
                if os.path.exists({str(prepared)!r}):
                    break
                time.sleep(0.05)
            said = [os.path.exists({str(prepared)!r}), held.answered()]
            held.release()
            print(json.dumps(said + [held.result(), os.getpid()]))
    """)
    before_release, answered, prepared_in, parent = json.loads(shown)
    assert (before_release, answered) == (True, False)
    assert int(prepared_in) != parent  # in the child


# `map_chunks`: each chunk's work, in worker processes when there are enough items.
_MAP = """
    import json, multiprocessing, os, signal, time
    from digestgen.util.parallel import map_chunks
    PARENT = os.getpid()
    def work(context, chunk):
        time.sleep(0.02)  # a chunk takes a while: one worker cannot take them all
        if os.getpid() != PARENT and {fault!r} in ("kill", "raise") and 500 in chunk:
            if {fault!r} == "kill":
                os.kill(os.getpid(), signal.SIGKILL)
            raise OSError(28, "No space left on device")
        return [(item * context, os.getpid()) for item in chunk]
    sizes = []
    try:
        found = map_chunks(work, 3, range(1000), 2, lambda size, total: sizes.append([size, total]))
    except OSError as exc:
        found = str(exc)
    left = [child.pid for child in multiprocessing.active_children()]
    print(json.dumps([PARENT, found, sizes, left]))
"""


def test_map_chunks_works_in_two_processes_and_keeps_the_items_order():
    parent, found, sizes, left = json.loads(run_fresh(_MAP.format(fault="none")))
    assert [value for value, _ in found] == [item * 3 for item in range(1000)]
    assert parent not in {pid for _, pid in found}
    assert len({pid for _, pid in found}) == 2
    assert sum(size for size, _ in sizes) == 1000 and {total for _, total in sizes} == {1000}
    # The last chunks are smaller, so that neither worker is left with a large one at the end.
    chunks = [size for size, _ in sizes]
    assert chunks[-1] <= chunks[0] // 4 and chunks[:-1] == sorted(chunks[:-1], reverse=True)
    assert left == []


def test_map_chunks_raises_a_workers_exception_and_leaves_no_worker():
    _, found, _, left = json.loads(run_fresh(_MAP.format(fault="raise")))
    assert found == "[Errno 28] No space left on device"
    assert left == []


def test_map_chunks_works_here_the_chunks_of_a_worker_that_died():
    """multiprocessing's Pool waited forever for the chunk of a worker killed outright."""
    parent, found, sizes, left = json.loads(run_fresh(_MAP.format(fault="kill")))
    assert [value for value, _ in found] == [item * 3 for item in range(1000)]
    assert next(pid for value, pid in found if value == 500 * 3) == parent
    assert sum(size for size, _ in sizes) == 1000
    assert left == []


def test_map_chunks_hands_each_chunks_results_over_in_order_while_the_workers_go_on():
    shown = run_fresh("""
        import json, os, time
        from digestgen.util.parallel import map_chunks
        def work(context, chunk):
            time.sleep(0.02)  # a chunk takes a while: one worker cannot take them all
            return [(item + context, time.time()) for item in chunk]
        taken = []
        found = map_chunks(work, 1, range(400), 2, each=lambda part: taken.append(
            [time.time(), [value for value, _ in part]]))
        here = []
        map_chunks(work, 1, range(3), 2, each=lambda part: here.append(part))
        print(json.dumps([found, taken, here]))
    """)
    found, taken, here = json.loads(shown)
    assert [value for part in taken for value in part[1]] == list(range(1, 401))
    assert len(taken) > 2 and [value for value, _ in found] == list(range(1, 401))
    # The first chunk was handed over before the workers had finished the last.
    assert taken[0][0] < max(finished for _, finished in found)
    assert [[value for value, _ in part] for part in here] == [[1], [2], [3]]


def test_map_chunks_forks_for_few_items_when_each_is_worth_a_worker():
    """`per_worker`: a worker for every item of a few long ones (search shards), where by
    default so few items are worked here."""
    shown = run_fresh("""
        import json, os, time
        from digestgen.util.parallel import map_chunks
        def work(context, chunk):
            time.sleep(0.2)  # long items: one worker cannot take them all
            return [(item + context, os.getpid()) for item in chunk]
        spread = map_chunks(work, 10, range(4), 2, per_worker=1)
        here = map_chunks(work, 10, range(4), 2)
        print(json.dumps([os.getpid(), spread, here]))
    """)
    parent, spread, here = json.loads(shown)
    assert [value for value, _ in spread] == [10, 11, 12, 13]
    assert parent not in {pid for _, pid in spread} and len({pid for _, pid in spread}) == 2
    assert [value for value, _ in here] == [10, 11, 12, 13]
    assert {pid for _, pid in here} == {parent}


def test_map_chunks_workers_collect_garbage_seldom_and_never_what_they_inherited():
    """A worker's collector is on (the parent's may be off) with WORKER_GC_THRESHOLDS, and the
    objects it inherited are frozen, out of every collection's walk."""
    shown = run_fresh("""
        import gc, json, os
        from digestgen.util.parallel import map_chunks
        gc.disable()  # as a build's own process runs
        def work(context, chunk):
            return [(os.getpid(), gc.isenabled(), gc.get_threshold(), gc.get_freeze_count() > 0)
                    for _ in chunk]
        print(json.dumps([os.getpid(), map_chunks(work, None, range(2), 2, per_worker=1)]))
    """)
    parent, found = json.loads(shown)
    assert parent not in {pid for pid, *_ in found}
    assert {(enabled, tuple(limits), frozen) for _, enabled, limits, frozen in found} == {
        (True, WORKER_GC_THRESHOLDS, True)
    }
    assert WORKER_GC_THRESHOLDS[0] > 700  # Python's own: a collection every 700 allocations


def test_map_chunks_items_reach_the_workers_through_fork_never_pickled():
    """Only where each chunk starts and stops is sent: a clean build's search shards, sent as
    they were, were 37 MB of stories pickled by the build's process while Pagefind ran."""
    shown = run_fresh("""
        import json, os, time
        from digestgen.util.parallel import map_chunks
        class Item:
            def __init__(self, number):
                self.number = number
            def __reduce__(self):
                raise TypeError("an item was pickled")
        def work(context, chunk):
            time.sleep(0.05)  # long items: one worker cannot take them all
            return [(item.number * context, os.getpid()) for item in chunk]
        found = map_chunks(work, 2, [Item(n) for n in range(6)], 2, per_worker=1)
        print(json.dumps([os.getpid(), found]))
    """)
    parent, found = json.loads(shown)
    assert [value for value, _ in found] == [0, 2, 4, 6, 8, 10]
    assert parent not in {pid for _, pid in found} and len({pid for _, pid in found}) == 2
