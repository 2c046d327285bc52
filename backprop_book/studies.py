"""One registry of the book's studies: every run that redoes a report's table or figure.

A part of the book registers a study where it defines it, with the :func:`study`
decorator (or :func:`register` for a variant built with :func:`functools.partial`)::

    @study("part4/a_cnn_studies")
    def a_cnn_studies(profile=None, checkpoint_dir=None, seed=0): ...

The id is ``<part>/<name>``: the part of the book (``part2`` ... ``part4``) and the
name its recorded result carries (``docs/results/part4/a_cnn_studies``).  A
study is a function of the profile (passed as a value) that returns a mapping of
plain data with at least ``device`` and ``data_source`` (its record keeps them in
the provenance only, and a run row keeps its own ``device``); it may also accept
``seed`` (a training seed, so that the runner can repeat it over seeds),
``checkpoint_dir`` (where it checkpoints and resumes), ``progress`` and ``hooks``
(a :class:`StudyHooks`: a study of several runs takes the runs its record already
holds instead of training them again, and reports each run as it finishes, so that
the runner records the study as it goes).

The module sits on the bottom floor of the package: it imports nothing of
``backprop_book`` (the import contracts in ``pyproject.toml`` hold it there), so a
part that registers its studies loads neither another part nor Part V.  The runner
(:func:`backprop_book.experiments.load_studies`) imports the parts' study modules
when their studies are needed.
"""

from __future__ import annotations

import difflib
import inspect
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

__all__ = [
    "REGISTRY",
    "Registry",
    "Study",
    "StudyHooks",
    "UnknownStudyError",
    "get_study",
    "register",
    "study",
]

F = TypeVar("F", bound=Callable[..., Mapping[str, Any]])

_ID_RE = re.compile(r"^part[0-9]+/[A-Za-z0-9_.-]+$")


class UnknownStudyError(ValueError):
    """An id that names no registered study; the message lists the nearest ids."""


@dataclass
class StudyHooks:
    """What the runner hands a study of several runs, so that a long study records as it goes.

    ``recorded`` holds the rows of the runs that the study's record already has (for
    this seed and profile, on the same data and library versions), by run name; the
    study takes such a row instead of training the run again when ``same`` says that
    its settings are the run's (:meth:`take`).  ``refresh``, when given, reads those
    rows again from the record on disk, so that a run which another process recorded
    meanwhile is taken too (two processes can then share one study: see ``only``).
    ``on_run`` is called with the study's data so far after every run (those still to
    run listed under ``pending_runs``).  ``taken`` lists the runs
    taken from the record.

    ``only``, when given, names the runs this call may train: the study takes every
    other run from the record or leaves it pending (:meth:`trains`).  ``fresh`` trains
    those runs again even where the record holds them.

    ``subset``, when given, names the runs this seed holds at all (a seed beyond the
    first, recorded with ``seed_runs``: a costly study gets more seeds for only the
    runs behind a close finding): the others are neither trained, nor taken, nor
    pending in this seed (:meth:`holds`).

    Examples
    --------
    >>> hooks = StudyHooks({"a": {"name": "a", "config": {"lr": 0.1}}})
    >>> hooks.take("a", lambda row: row["config"]["lr"] == 0.1)["name"], hooks.taken
    ('a', ['a'])
    >>> hooks.take("a", lambda row: False) is None  # other settings: train it again
    True
    >>> StudyHooks(only=frozenset({"b"})).trains("a"), StudyHooks().trains("a")
    (False, True)
    >>> StudyHooks(subset=frozenset({"b"})).holds("a"), StudyHooks().holds("a")
    (False, True)
    """

    recorded: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    on_run: Callable[[dict[str, Any]], None] | None = None
    taken: list[str] = field(default_factory=list)
    refresh: Callable[[], Mapping[str, Mapping[str, Any]]] | None = None
    only: frozenset[str] | None = None
    fresh: bool = False
    subset: frozenset[str] | None = None

    def trains(self, name: str) -> bool:
        """Whether this call may train run ``name`` (``only`` is unset or names it)."""
        return self.holds(name) and (self.only is None or name in self.only)

    def holds(self, name: str) -> bool:
        """Whether this seed holds run ``name`` at all (``subset`` is unset or names it)."""
        return self.subset is None or name in self.subset

    def check_names(self, names: Sequence[str]) -> None:
        """Raise ``ValueError`` if ``only`` or ``subset`` names a run not among the study's ``names``.

        >>> StudyHooks(only=frozenset({"a", "z"})).check_names(["a", "b"])
        Traceback (most recent call last):
        ...
        ValueError: expected run names of this study (a, b), got unknown run(s): z
        """
        unknown = sorted((set(self.only or ()) | set(self.subset or ())) - set(names))
        if unknown:
            raise ValueError(
                f"expected run names of this study ({', '.join(names)}), "
                f"got unknown run(s): {', '.join(unknown)}"
            )

    def take(self, name: str, same: Callable[[Mapping[str, Any]], bool]) -> dict[str, Any] | None:
        """The recorded row of run ``name`` if ``same(row)``, else ``None`` (then train it).

        With ``fresh``, a run this call trains is never taken.
        """
        if self.fresh and self.trains(name):
            return None
        if self.refresh is not None:
            self.recorded = self.refresh()
        row = self.recorded.get(name)
        if row is None or not same(row):
            return None
        if name not in self.taken:
            self.taken.append(name)
        return dict(row)

    def finished(self, data: dict[str, Any]) -> None:
        """Report the study's data so far (after a run finished) to ``on_run``."""
        if self.on_run is not None:
            self.on_run(data)


@dataclass(frozen=True)
class Study:
    """A registered study: its id, the function that runs it and a one-line description.

    Examples
    --------
    >>> s = Study("part9/demo", lambda profile, seed=0: {"seed": seed}, "a demo")
    >>> s.part, s.name, s.takes_seed, s.takes_checkpoints
    ('part9', 'demo', True, False)
    >>> s.run("quick", seed=3)
    {'seed': 3}
    """

    id: str
    func: Callable[..., Mapping[str, Any]]
    description: str

    @property
    def part(self) -> str:
        """The part of the book, e.g. ``"part4"``."""
        return self.id.split("/", 1)[0]

    @property
    def name(self) -> str:
        """The study's name within its part, e.g. ``"a_cnn_studies"``."""
        return self.id.split("/", 1)[1]

    def _params(self) -> Mapping[str, inspect.Parameter]:
        return inspect.signature(self.func).parameters

    @property
    def takes_seed(self) -> bool:
        """Whether the study accepts a training ``seed`` (and so can run over several)."""
        return "seed" in self._params()

    @property
    def takes_checkpoints(self) -> bool:
        """Whether the study checkpoints to a ``checkpoint_dir`` and resumes from it."""
        return "checkpoint_dir" in self._params()

    @property
    def takes_hooks(self) -> bool:
        """Whether the study takes :class:`StudyHooks` (records as it goes, reuses runs)."""
        return "hooks" in self._params()

    def run(
        self,
        profile: Any,
        *,
        seed: int = 0,
        checkpoint_dir: str | Path | None = None,
        progress: bool = False,
        hooks: StudyHooks | None = None,
    ) -> Mapping[str, Any]:
        """Call the study with the arguments it accepts; return its data.

        Raises
        ------
        ValueError
            If ``seed`` is not 0 and the study takes no seed.
        """
        params = self._params()
        kwargs: dict[str, Any] = {}
        if "seed" in params:
            kwargs["seed"] = seed
        elif seed != 0:
            raise ValueError(f"study {self.id!r} takes no seed; it runs with its own seed only")
        if "checkpoint_dir" in params:
            kwargs["checkpoint_dir"] = checkpoint_dir
        if "progress" in params:
            kwargs["progress"] = progress
        if "hooks" in params and hooks is not None:
            kwargs["hooks"] = hooks
        out = self.func(profile, **kwargs)
        if not isinstance(out, Mapping):
            raise TypeError(
                f"study {self.id!r} must return a mapping of data, got {type(out).__name__}"
            )
        return out


class Registry:
    """Studies by id; an id can be registered once.

    Examples
    --------
    >>> reg = Registry()
    >>> @reg.study("part9/demo", description="a demo")
    ... def demo(profile, seed=0):
    ...     return {"device": "cpu", "data_source": "synthetic", "seed": seed}
    >>> reg.ids(), reg.get("part9/demo").description
    (['part9/demo'], 'a demo')
    >>> reg.get("part9/dem")
    Traceback (most recent call last):
    ...
    backprop_book.studies.UnknownStudyError: unknown study 'part9/dem'; did you mean part9/demo?
    """

    def __init__(self) -> None:
        self._studies: dict[str, Study] = {}

    def register(
        self, id: str, func: Callable[..., Mapping[str, Any]], *, description: str | None = None
    ) -> Study:
        """Register ``func`` under ``id`` (``"<part>/<name>"``) and return the :class:`Study`.

        Raises
        ------
        ValueError
            If ``id`` is not ``partN/name`` or is registered already.
        TypeError
            If ``func`` is not callable.
        """
        if not isinstance(id, str) or not _ID_RE.match(id):
            raise ValueError(
                f"a study id is 'partN/name' (name of letters, digits, '_', '.', '-'), got {id!r}"
            )
        if not callable(func):
            raise TypeError(f"study {id!r}: expected a callable, got {type(func).__name__}")
        if id in self._studies:
            old = self._studies[id].func
            raise ValueError(
                f"study {id!r} is registered twice: by {_where(old)} and by {_where(func)}"
            )
        if description is None:
            doc = inspect.getdoc(func) or ""
            description = doc.strip().splitlines()[0] if doc.strip() else id
        s = Study(id, func, description)
        self._studies[id] = s
        return s

    def study(self, id: str, *, description: str | None = None) -> Callable[[F], F]:
        """Decorator form of :meth:`register`; returns the function unchanged."""

        def decorate(func: F) -> F:
            self.register(id, func, description=description)
            return func

        return decorate

    def get(self, id: str) -> Study:
        """The study ``id``.

        Raises
        ------
        UnknownStudyError
            If no study has that id; the message names the nearest ids.
        """
        try:
            return self._studies[id]
        except (KeyError, TypeError):
            raise UnknownStudyError(unknown_message(id, self.ids())) from None

    def ids(self, part: str | None = None) -> list[str]:
        """Registered ids in registration order, optionally only one part's."""
        return [k for k in self._studies if part is None or k.split("/", 1)[0] == part]

    def __contains__(self, id: object) -> bool:
        return id in self._studies

    def __iter__(self) -> Iterator[Study]:
        return iter(list(self._studies.values()))

    def __len__(self) -> int:
        return len(self._studies)


def _where(func: Callable[..., Any]) -> str:
    inner = getattr(func, "func", func)  # functools.partial
    return f"{getattr(inner, '__module__', '?')}.{getattr(inner, '__qualname__', repr(inner))}"


def unknown_message(id: object, known: list[str], what: str = "study") -> str:
    """One line for an unknown id: the nearest known ids, or how to list them.

    >>> unknown_message("part4/a_cnn", ["part4/a_cnn_studies", "part3/relu2", "part2/best"])
    "unknown study 'part4/a_cnn'; did you mean part4/a_cnn_studies?"
    >>> unknown_message("zzz", ["part2/best"])
    "unknown study 'zzz'; 1 known (backprop-book reproduce --list shows them)"
    """
    text = str(id)
    names = {k: k.split("/", 1)[-1] for k in known}
    near = difflib.get_close_matches(text, known, n=3, cutoff=0.6)
    near += [
        k
        for k in known
        if k not in near
        and (
            difflib.get_close_matches(text.split("/")[-1], [names[k]], n=1, cutoff=0.6)
            or (len(text) >= 3 and text.split("/")[-1] in names[k])
        )
    ]
    near = near[:3]
    if near:
        return f"unknown {what} {text!r}; did you mean {', '.join(near)}?"
    return (
        f"unknown {what} {text!r}; {len(known)} known (backprop-book reproduce --list shows them)"
    )


#: The book's registry; the parts register into it when they are imported.
REGISTRY = Registry()
study = REGISTRY.study
register = REGISTRY.register
get_study = REGISTRY.get
