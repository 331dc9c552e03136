"""How far a validate or a run has got: one small interface the steps report to, and the sinks
that show it.

The flow makes a `Tracker` of its steps, each with its share of the run's time (a weight), and
holds it as the current one while it runs (`tracking`; the tasks find it with `current`). A step
says when it starts, how far it has got (`Tracker.reporter`: bytes of the file, learner buckets;
the engine is handed that plain callback, `done(so_far, out_of)`, per block or per part, never per
row) and when it ends. The run's fraction done is the steps' weights times their own fractions,
so that steps running side by side (the split beside the apply) add up.

Two sinks show it:
- the terminal (`Terminal`, Rich, on standard error): only for the flows the command line runs in
  its own process, registered by it through a context variable (`observed`), never a flow
  parameter, when standard error is a terminal and --json is not given;
- the Prefect progress artifact (flows.tasks.ArtifactProgress): every run, served ones too.

Nothing here imports Prefect; Rich only once a terminal is shown.
"""

from __future__ import annotations

import contextlib
import contextvars
import io
import logging
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

# What the engine is handed: called with how much is done so far, out of how much.
Reporter = Callable[[int, int], None]


@dataclass
class Step:
    name: str
    weight: float  # its share of the run, the weights summing to 1
    label: str = ""  # what the terminal calls it
    unit: str | None = None  # "bytes" for the file's reads
    total: float | None = None  # None: nothing is measured within the step
    done: float = 0.0
    started: bool = False
    finished: bool = False

    @property
    def fraction(self) -> float:
        if self.finished:
            return 1.0
        if not self.total:
            return 0.0
        return min(self.done / self.total, 1.0)


class Sink:
    """What a display of the progress is told (under the tracker's lock, so one call at a time);
    a sink overrides what it shows."""

    def started(self, step: Step) -> None:
        pass

    def advanced(self, step: Step) -> None:
        pass

    def finished(self, step: Step) -> None:
        pass

    def moved(self, fraction: float, ended: Step | None) -> None:
        """The run's fraction done (0 to 1), after a step advanced or, `ended`, finished."""


class Tracker:
    """The steps of one flow run and the sinks that show them. Steps it does not know (a task
    run by another flow, or outside any) are ignored: reporting never fails a step."""

    def __init__(self, steps: Mapping[str, float], sinks: Iterable[Sink] = ()):
        whole = sum(steps.values()) or 1.0
        self.steps = {name: Step(name, weight / whole) for name, weight in steps.items()}
        self.sinks = list(sinks)
        self._lock = threading.Lock()

    @property
    def fraction(self) -> float:
        return sum(step.weight * step.fraction for step in self.steps.values())

    def start(self, name: str, label: str | None = None, *, total: float | None = None, unit: str | None = None) -> None:
        with self._lock:
            if (step := self.steps.get(name)) is None:
                return
            step.label, step.unit, step.total = label or name, unit, total
            step.done, step.started, step.finished = 0.0, True, False
            for sink in self.sinks:
                sink.started(step)

    def advance(self, name: str, done: float, total: float | None = None) -> None:
        """The step has `done` of `total` (the total it started with when not given)."""
        with self._lock:
            if (step := self.steps.get(name)) is None or step.finished:
                return
            step.done = done
            step.total = step.total if total is None else total
            for sink in self.sinks:
                sink.advanced(step)
            fraction = self.fraction
            for sink in self.sinks:
                sink.moved(fraction, None)

    def finish(self, name: str) -> None:
        with self._lock:
            if (step := self.steps.get(name)) is None or step.finished:
                return
            step.finished = True
            step.done = step.total if step.total is not None else step.done
            for sink in self.sinks:
                sink.finished(step)
            fraction = self.fraction
            for sink in self.sinks:
                sink.moved(fraction, step)

    def reporter(self, name: str) -> Reporter:
        """The callback the engine is given for this step: done so far, out of how much."""
        return lambda done, total: self.advance(name, done, total)

    @contextlib.contextmanager
    def step(self, name: str, label: str | None = None, *, total: float | None = None,
             unit: str | None = None) -> Iterator[Reporter]:
        """The step, started here and finished when the block ends without an error (a failed
        step stays unfinished: the terminal shows it stopped)."""
        self.start(name, label, total=total, unit=unit)
        yield self.reporter(name)
        self.finish(name)


NOT_TRACKED = Tracker({})
_current: contextvars.ContextVar[Tracker] = contextvars.ContextVar("enrollment_migrate_progress", default=NOT_TRACKED)
_observers: contextvars.ContextVar[tuple[Sink, ...]] = contextvars.ContextVar(
    "enrollment_migrate_progress_observers", default=()
)


def current() -> Tracker:
    """The tracker of the flow run this code runs in (one that shows nothing outside a flow, and
    on a Dask worker: the flow reports for the parts it hands out)."""
    return _current.get()


@contextlib.contextmanager
def tracking(tracker: Tracker) -> Iterator[Tracker]:
    token = _current.set(tracker)
    try:
        yield tracker
    finally:
        _current.reset(token)


@contextlib.contextmanager
def observed(*sinks: Sink) -> Iterator[None]:
    """Show the progress of the flows run in this context (this process, this thread and the
    threads Prefect copies its context to) on these sinks too."""
    token = _observers.set(_observers.get() + sinks)
    try:
        yield
    finally:
        _observers.reset(token)


def observers() -> tuple[Sink, ...]:
    return _observers.get()


# --- the terminal ---------------------------------------------------------------------------------

class Terminal(Sink):
    """A Rich progress display on a console (standard error): the file's reads as bytes, with
    their rate and the time left, then a line per step as it starts, with its time. The display
    starts at the first step and stays on screen when it ends (`close`), so that the summary
    follows the times the steps took. Log lines written meanwhile go above it."""

    # The fingerprint and the read are the file's two passes: one line, its description changing.
    ROWS = {"hash": "file", "read": "file"}

    def __init__(self, console: Any):
        self.console = console
        self._display: Any = None
        self._rows: dict[str, Any] = {}
        self._held = contextlib.ExitStack()

    def _shown(self) -> Any:
        if self._display is None:
            self._display = _progress_display(self.console)
            self._display.start()
            self._held.callback(self._display.stop)
            self._held.enter_context(_logs_above(self.console))
        return self._display

    def started(self, step: Step) -> None:
        from enrollment_migrate.visible import visible

        display, row = self._shown(), self.ROWS.get(step.name, step.name)
        label = visible(step.label)  # a file's name may hold a terminal's controls
        fields = {"unit": step.unit, "measured": step.total is not None, "stopped": False}
        if row in self._rows:
            display.reset(self._rows[row], total=step.total, completed=0, description=label, **fields)
        else:
            self._rows[row] = display.add_task(label, total=step.total, **fields)

    def advanced(self, step: Step) -> None:
        if (row := self._rows.get(self.ROWS.get(step.name, step.name))) is not None:
            self._display.update(row, completed=step.done, total=step.total, measured=step.total is not None)

    def finished(self, step: Step) -> None:
        if (row := self._rows.get(self.ROWS.get(step.name, step.name))) is not None:
            whole = step.total if step.total else 1
            self._display.update(row, completed=whole, total=whole)

    def close(self) -> None:
        """Stop the display where it is: a step that did not finish is marked stopped."""
        if self._display is not None:
            for row in self._rows.values():
                if not self._display.tasks[row].finished:
                    self._display.update(row, stopped=True)
        self._held.close()
        self._display = None


@contextlib.contextmanager
def terminal(console: Any) -> Iterator[Terminal]:
    """The progress of the flows run within, shown on `console` (the command line's stderr)."""
    shown = Terminal(console)
    try:
        with observed(shown):
            yield shown
    finally:
        shown.close()


@contextlib.contextmanager
def _logs_above(console: Any) -> Iterator[None]:
    """Log handlers writing to the terminal (Prefect's console handler, which prints with a Rich
    console of its own; a plain stream handler) write through the display meanwhile, so that a
    log line goes above it instead of through it. Called once the display has started: then
    sys.stderr is Rich's proxy, which prints above it."""
    import sys

    real, above = console.file, _Through(sys.stderr)
    swapped: list[tuple[Any, str, Any]] = []
    loggers = [logging.getLogger()] + [logger for logger in logging.Logger.manager.loggerDict.values()
                                       if isinstance(logger, logging.Logger)]
    for handler in {handler for logger in loggers for handler in logger.handlers}:
        inner = getattr(handler, "console", None)
        if inner is not None and getattr(inner, "file", None) is real:
            swapped.append((inner, "file", real))
            inner.file = above
        elif isinstance(handler, logging.StreamHandler) and handler.stream is real:
            swapped.append((handler, "stream", real))
            handler.stream = above
    try:
        yield
    finally:
        for holder, attribute, value in swapped:
            setattr(holder, attribute, value)


class _Through(io.TextIOBase):
    """Writes to Rich's proxy of stderr; unlike the proxy itself, a Rich console given this as
    its file does not unwrap it to the terminal beneath."""

    def __init__(self, proxy: Any):
        self._proxy = proxy

    def write(self, text: str) -> int:
        return self._proxy.write(text)

    def flush(self) -> None:
        self._proxy.flush()

    def isatty(self) -> bool:
        return self._proxy.isatty()


def _progress_display(console: Any) -> Any:
    """The Rich display: status, description, bar, bytes, rate, time (left while the file is
    read, else taken); the bytes and the rate only for the file's reads, a bar only where the
    step is measured (the file's bytes, the learner buckets)."""
    from rich import filesize, progress as rich
    from rich.table import Column
    from rich.text import Text

    blank = Text("")

    class Status(rich.SpinnerColumn):
        def render(self, task: Any) -> Any:
            if task.fields.get("stopped"):
                return Text("✗", style="bold red")
            return Text("✓", style="green") if task.finished else super().render(task)

    class Bar(rich.BarColumn):
        def render(self, task: Any) -> Any:
            return super().render(task) if task.fields.get("measured") else blank

    class Size(rich.DownloadColumn):
        def render(self, task: Any) -> Any:
            return super().render(task) if task.fields.get("unit") == "bytes" else blank

    class Rate(rich.TransferSpeedColumn):
        def render(self, task: Any) -> Any:
            if task.fields.get("unit") != "bytes":
                return blank
            if task.finished and task.finished_time:  # the step's mean rate
                return Text(f"{filesize.decimal(int(task.completed / task.finished_time))}/s", style="progress.data.speed")
            return super().render(task)

    class Time(rich.TimeRemainingColumn):
        elapsed = rich.TimeElapsedColumn()

        def render(self, task: Any) -> Any:
            if task.fields.get("unit") == "bytes" and not task.finished and not task.fields.get("stopped"):
                return Text.assemble(super().render(task), (" left", "progress.remaining"))
            return self.elapsed.render(task)

    # On a narrow terminal the bar shortens, then the description is cut (…): the numbers never are.
    bar = max(5, min(30, console.width - 85))
    numbers = 2 + bar + 14 + 11 + 12 + 5  # status, bar, '999.9/999.9 MB', '999.9 MB/s', '0:00:00 left', gaps
    fixed = Column(no_wrap=True)
    return rich.Progress(
        # A description names the file: shown as text, never read as markup.
        Status(table_column=fixed),
        rich.TextColumn("{task.description}", markup=False, table_column=Column(
            no_wrap=True, overflow="ellipsis", max_width=max(12, console.width - numbers))),
        Bar(bar_width=bar, table_column=fixed), Size(table_column=fixed), Rate(table_column=fixed),
        Time(table_column=fixed), console=console, redirect_stdout=False, redirect_stderr=True,
    )
