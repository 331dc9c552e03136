"""The progress interface (enrollment_migrate.progress): a run's fraction done from its steps'
weights, and the terminal's display of the file's read and the steps."""

import io
import threading

import pytest
from rich.console import Console

from enrollment_migrate import progress
from enrollment_migrate.engine import drivers
from enrollment_migrate import file_parts, runs


class Recorded(progress.Sink):
    def __init__(self):
        self.events, self.fractions = [], []

    def started(self, step):
        self.events.append(("started", step.name))

    def finished(self, step):
        self.events.append(("finished", step.name))

    def moved(self, fraction, ended):
        self.fractions.append((round(fraction, 6), ended.name if ended else None))


def test_the_fraction_is_the_steps_weights_times_their_own_fractions():
    seen = Recorded()
    tracker = progress.Tracker({"read": 3, "check": 1}, [seen])
    with tracker.step("read", total=1000, unit="bytes") as done:
        done(250, 1000)
        done(500, 1000)
    assert tracker.fraction == pytest.approx(0.75)
    tracker.start("check")
    tracker.advance("check", 1, 4)
    tracker.finish("check")
    assert seen.fractions == [(0.1875, None), (0.375, None), (0.75, "read"), (0.8125, None), (1.0, "check")]
    assert seen.events == [("started", "read"), ("finished", "read"), ("started", "check"), ("finished", "check")]


def test_steps_side_by_side_add_up_and_a_failed_step_stays_unfinished():
    tracker = progress.Tracker({"split": 1, "apply": 1})
    tracker.start("split")
    with pytest.raises(RuntimeError), tracker.step("apply"):
        raise RuntimeError("disk full")
    tracker.finish("split")
    assert tracker.fraction == 0.5
    assert not tracker.steps["apply"].finished


def test_a_step_the_flow_did_not_declare_and_no_flow_at_all_report_nothing():
    tracker = progress.Tracker({"read": 1})
    tracker.start("apply")
    tracker.advance("apply", 1, 2)
    tracker.finish("apply")
    assert tracker.fraction == 0
    assert progress.current() is progress.NOT_TRACKED
    with progress.NOT_TRACKED.step("read", total=10) as done:
        done(5, 10)
    assert progress.NOT_TRACKED.fraction == 0


def test_the_tracker_and_observers_are_held_in_the_context_and_threads_given_it():
    import contextvars

    tracker, sink = progress.Tracker({"read": 1}), progress.Sink()
    with progress.observed(sink), progress.tracking(tracker):
        found = {}
        context = contextvars.copy_context()  # as Prefect's thread pool hands it on
        worker = threading.Thread(target=context.run, args=(lambda: found.update(
            tracker=progress.current(), observers=progress.observers()),))
        worker.start()
        worker.join()
        assert found == {"tracker": tracker, "observers": (sink,)}
    assert progress.current() is progress.NOT_TRACKED and progress.observers() == ()


def test_the_engine_reports_the_files_bytes_per_block_and_per_part(tmp_path, portal_db):
    from conftest import IMPORT_DATE, row, write_template
    from enrollment_migrate.engine import RunOptions
    from enrollment_migrate.workdir import WorkDir

    path = write_template(tmp_path / "m.csv", [row() for _ in range(200)])
    size = path.stat().st_size
    hashed = []
    runs.file_sha256(path, lambda so_far, of: hashed.append((so_far, of)))
    assert hashed == [(size, size)]  # one block of a MiB

    cut = file_parts.cut(path, part_bytes=2000)
    assert len(cut.parts) > 3
    work = WorkDir(tmp_path / "work")
    drivers.save_portal(portal_db, work, with_store=False)
    read, checked = [], []
    drivers.check_parts(cut, work, RunOptions(IMPORT_DATE), lambda so_far, of: read.append((so_far, of)))
    drivers.check_buckets(work, portal_db, RunOptions(IMPORT_DATE), lambda n, of: checked.append((n, of)))
    assert [of for _, of in read] == [size] * len(cut.parts)
    assert [so_far for so_far, _ in read] == sorted(so_far for so_far, _ in read) and read[-1][0] == size
    assert sum(cut.bytes_of(part) for part in cut.parts) == size
    assert checked == [(n, len(cut.parts)) for n in range(1, len(cut.parts) + 1)]


class Terminal(io.StringIO):
    def isatty(self):
        return True


def terminal_console() -> tuple[Console, io.StringIO]:
    screen = Terminal()
    return Console(file=screen, force_terminal=True, width=120, color_system=None), screen


def test_the_terminal_shows_the_files_read_in_bytes_then_each_step_as_it_starts():
    console, screen = terminal_console()
    tracker = progress.Tracker({"hash": 1, "read": 1, "check": 1, "split": 1, "report": 1})
    with progress.terminal(console) as shown:
        tracker.sinks.extend(progress.observers())
        with tracker.step("hash", "Fingerprinting big.csv", total=90_883_200, unit="bytes") as done:
            done(90_883_200, 90_883_200)
        with tracker.step("read", "Reading big.csv", total=90_883_200, unit="bytes") as done:
            done(45_000_000, 90_883_200)
            shown._display.refresh()
            middle = screen.getvalue()
            done(90_883_200, 90_883_200)
        with tracker.step("check", "Checking learners and courses") as done:
            done(3, 9)
        with tracker.step("split", "Splitting live and archived"):
            pass
        tracker.start("report", "Writing the report")
    text = screen.getvalue()
    assert "Reading big.csv" in middle and "45.0/90.9 MB" in middle and "left" in middle
    last = text[text.rindex("Reading big.csv"):]
    # One line for the file's two reads; the steps below it, in order; the unfinished one stopped.
    assert "Fingerprinting" not in last and "90.9/90.9 MB" in last
    assert last.index("Checking") < last.index("Splitting") < last.index("Writing the report")
    assert "✓ Splitting live and archived" in last and "✗ Writing the report" in last


def test_the_terminal_shows_a_files_name_as_text(tmp_path):
    console, screen = terminal_console()
    tracker = progress.Tracker({"read": 1})
    with progress.terminal(console):
        tracker.sinks.extend(progress.observers())
        tracker.start("read", "Reading [bold]x\x1b[2J.csv", total=10, unit="bytes")
    assert "Reading [bold]x⟨U+001B⟩[2J.csv" in screen.getvalue()


def test_the_progress_interface_and_the_engine_import_no_prefect_and_no_rich_display():
    import subprocess
    import sys

    code = ("import sys; import enrollment_migrate.progress, enrollment_migrate.engine.drivers, enrollment_migrate.runs; "
            "print(sorted(m for m in ('prefect', 'rich.progress', 'rich.live') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
