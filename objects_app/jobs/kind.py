"""What a job kind declares, and the explicit results its steps return to the engine.

A kind is one module (or package) under objects_app/jobs/kinds/ with a `Kind` subclass and its
own Celery task. It declares its typed parameters, its phases, whether its plan needs the
user's confirmation, and how its progress looks (a `ProgressView` of display data that the
shared templates render without knowing the kind). The engine (engine.py) does the rest:
claiming, heartbeats, slices, retries, cancel, the sweep, plan expiry and the audit trail.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Self

from django.utils.functional import Promise
from django.utils.translation import gettext as _

if TYPE_CHECKING:
    from celery import Task

    from objects_app.jobs.engine import JobRun
    from objects_app.jobs.items import Item, ItemResult
    from objects_app.models import Job


class ParamsError(ValueError):
    """Stored or given parameters do not match the kind's declaration."""


@dataclass(frozen=True)
class JobParams:
    """Base of a kind's typed parameters: a frozen dataclass of plain JSON values."""

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Self:
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = set(data) - names
        if unknown:
            raise ParamsError(f"{cls.__name__}: unknown parameters {sorted(unknown)}")
        params = cls(**data)
        hints = typing.get_type_hints(cls)
        for f in dataclasses.fields(cls):
            if not _is_instance(getattr(params, f.name), hints[f.name]):
                raise ParamsError(f"{cls.__name__}.{f.name}: {getattr(params, f.name)!r}")
        return params


def _is_instance(value: Any, hint: Any) -> bool:
    origin = typing.get_origin(hint)
    if origin in (types.UnionType, typing.Union):
        return any(_is_instance(value, arg) for arg in typing.get_args(hint))
    if origin is list:
        (item,) = typing.get_args(hint)
        return isinstance(value, list) and all(_is_instance(v, item) for v in value)
    if hint is type(None):
        return value is None
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, hint)


@dataclass(frozen=True)
class Phase:
    name: str
    label: str | Promise


# --- what a step returns (the engine applies it with one conditional UPDATE) --------------------


@dataclass(frozen=True)
class Continue:
    """The slice is over and there is more to do: hand the job back and queue the next slice.

    `after` (seconds): nothing can be done before then (a kind that waits on COS, such as a
    restore campaign between two HEADs), so the next slice is queued that much later, and the
    sweep leaves the job alone until then.
    """

    after: float = 0.0


@dataclass(frozen=True)
class NextPhase:
    """This phase is done; queue the job again in `phase`."""

    phase: str


@dataclass(frozen=True)
class PlanReady:
    """The dry run is done: wait for the user's confirmation (the plan expires)."""

    plan: dict[str, Any]


@dataclass(frozen=True)
class AwaitInput:
    """Nothing to do until the user sends more (the next input queues the job again).

    `guard`, called inside the hand-back's transaction, returns False when input arrived
    meanwhile (the job then goes on instead of waiting for input that is already there).
    """

    guard: Callable[[], bool] | None = None


@dataclass(frozen=True)
class Finished:
    """The job is over. `state` None means: succeeded, or partially failed / failed by counts."""

    result: dict[str, Any] = field(default_factory=dict)
    state: str | None = None
    message: str = ""
    fields: dict[str, Any] = field(default_factory=dict)  # final counters (total, bytes_total)


@dataclass(frozen=True)
class Stopped:
    """The job is no longer this run's (cancelled, or taken over): do nothing more."""


StepResult = Continue | NextPhase | PlanReady | AwaitInput | Finished | Stopped


# --- display data -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Action:
    """A button on the job's progress panel: POST `url` with `fields`."""

    url: str
    label: str
    fields: tuple[tuple[str, str], ...] = ()
    danger: bool = False
    disabled: bool = False
    name: str = ""  # a CSS class the page and tests can find it by
    role: str = "operator"  # the least role that may use it (roles.py)
    swap: str = "outerHTML"  # where the answer goes: replace the panel, or "afterend" (a new job)
    # Destruction beyond undo (a whole bucket, every version): the user types this text first
    # (the engine checks it again on the server, Kind.confirm_text).
    confirm_text: str = ""

    @property
    def choice(self) -> tuple[str, str] | None:
        """The first field travels on the button itself (name and value: the option chosen)."""
        return self.fields[0] if self.fields else None

    @property
    def hidden_fields(self) -> tuple[tuple[str, str], ...]:
        return self.fields[1:]


@dataclass
class ProgressView:
    """What the shared job templates render: no template branches on the kind."""

    status: str
    percent: int | None = None  # None: no bar (the total is not known yet)
    lines: list[str] = field(default_factory=list)
    actions: list[Action] = field(default_factory=list)
    poll_seconds: int | None = None  # None: stop polling
    note: str = ""  # the plan or result in words (above the actions)
    links: list[tuple[str, str]] = field(default_factory=list)  # (url, label): the kind's pages


# --- the kind ---------------------------------------------------------------------------------


class Kind:
    """Base class of job kinds; see docs/jobs.md for adding one."""

    name: ClassVar[str]
    label: ClassVar[str | Promise]
    Params: ClassVar[type[JobParams]]
    phases: ClassVar[tuple[Phase, ...]]  # a new job starts in the first
    run_phase: ClassVar[str] = ""  # for kinds with a plan: where the confirm moves the job
    confirm: ClassVar[bool] = False  # the first phase is a dry run the user must confirm
    # At most this many jobs of the kind run at once (others wait queued); None: no limit.
    max_running: ClassVar[int | None] = None
    # A user may have at most this many unfinished jobs of the kind; None: no limit.
    max_live_per_user: ClassVar[int | None] = None
    # Its end changes what the object browser lists (the listing reloads itself then).
    changes_objects: ClassVar[bool] = False
    task: ClassVar[Task]

    def params(self, job: Job) -> Any:
        return self.Params.from_json(job.params)

    def phase_label(self, phase: str) -> str | Promise:
        return next((p.label for p in self.phases if p.name == phase), phase)

    def step(self, run: JobRun) -> StepResult:
        """One step of the current phase: calls `step_<phase>` (plan, run, ...)."""
        method = getattr(self, f"step_{run.job.phase}", None)
        if method is None:
            raise ParamsError(f"{self.name} has no phase {run.job.phase!r}")
        return typing.cast(StepResult, method(run))

    def subject(self, job: Job) -> str:
        """What the job works on, in a few words (a prefix, a key); shown in lists and audit."""
        return ""

    def progress(self, job: Job) -> ProgressView:
        raise NotImplementedError

    def confirm_plan(self, job: Job, choice: str) -> dict[str, Any]:
        """Check the user's choice of plan option; return the job fields the run starts with.

        Called inside the confirm's transaction, before the job is queued.
        """
        raise NotImplementedError

    def confirm_text(self, job: Job, choice: str) -> str:
        """The text the user must type to confirm `choice` ("" for none): kinds ask for it where
        the run cannot be undone at a scale a slip of the mouse should not reach."""
        return ""

    def reconcile(self, run: JobRun, items: list[Item]) -> dict[int, ItemResult]:
        """Items a dead run left "started": {seq: outcome} for those already settled; the rest
        are acted on again. Only kinds whose step is not safe to repeat need to look (the
        default: every step is)."""
        return {}

    def notice(self, job: Job) -> str:
        """One line telling the user, on the page they work on, that the job ended."""
        from objects_app.jobs import display

        subject = self.subject(job)
        text = _("%(kind)s %(state)s.") % {
            "kind": self.label,
            "state": display.state_label(job).lower(),
        }
        if subject:
            text = _("%(kind)s of %(subject)s %(state)s.") % {
                "kind": self.label,
                "subject": subject,
                "state": display.state_label(job).lower(),
            }
        return text

    def on_end(self, job: Job) -> None:
        """Clean up after the job ended (any terminal state); must be safe to repeat."""

    def housekeeping(self) -> None:
        """Run by the sweep: the kind's own tidying (expire abandoned input, stray files)."""
