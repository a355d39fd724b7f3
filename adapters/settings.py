"""What a session runs with, merged from every place a user can say it.

Precedence, highest first: the command line (and a launch.json configuration), godbg-tui's
``config.toml``, dlv's own ``config.yml``, then our defaults. Substitute-path rules are
merged in that order too (the first rule for a given ``from`` wins, as in Delve); load
limits of 0 in config.toml mean "not set here". :func:`effective_settings` is pure so it can
be tested without an app; :meth:`Settings.apply` hands the result to a CommandInterpreter.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .commands import CommandInterpreter, find_command
from .dlv.client import LONG_LOAD, DelveError
from .dlv.types import LoadConfig
from .dlvconfig import DlvConfig
from .pathmap import Rule, auto_map, describe_guess, merge_rules
from .store import Config

if TYPE_CHECKING:
    from .session import DebugSession

DEFAULT_SOURCE_LIST_LINES = 5
# Modes where the program's sources were built elsewhere, so the paths in the binary may
# not exist here: the first stop guesses substitute-path rules when sources are unreadable.
GUESS_PATH_MODES = frozenset({"connect", "ssh"})


@dataclass(frozen=True)
class Settings:
    """The merged settings of one session. ``warnings`` are for the console at start."""

    max_string_len: int = LONG_LOAD.MaxStringLen
    max_array_values: int = LONG_LOAD.MaxArrayValues
    max_variable_recurse: int = LONG_LOAD.MaxVariableRecurse
    source_list_line_count: int = DEFAULT_SOURCE_LIST_LINES
    aliases: Mapping[str, str] = field(default_factory=dict)
    substitute_path: tuple[Rule, ...] = ()
    auto_resume_after: float | None = None
    gctrace: bool = False
    guess_paths: bool = False
    source_root: str = ""
    pprof_url: str | None = None
    warnings: tuple[str, ...] = ()

    def load_config(self) -> LoadConfig:
        """The LoadConfig for values the user asked to see in full (print, value viewer)."""
        return LoadConfig(
            FollowPointers=LONG_LOAD.FollowPointers,
            MaxVariableRecurse=self.max_variable_recurse,
            MaxStringLen=self.max_string_len,
            MaxArrayValues=self.max_array_values,
            MaxStructFields=LONG_LOAD.MaxStructFields,
        )

    def apply(self, interp: CommandInterpreter) -> None:
        """Give the interpreter these limits and aliases (``config`` can change them later)."""
        interp.max_string_len = self.max_string_len
        interp.max_array_values = self.max_array_values
        interp.max_variable_recurse = self.max_variable_recurse
        interp.source_list_line_count = self.source_list_line_count
        interp.aliases = {**self.aliases, **interp.aliases}


def _limit(ours: int, dlv: int | None, default: int) -> int:
    if ours:
        return ours
    return default if dlv is None else dlv


def effective_settings(
    config: Config,
    dlv_config: DlvConfig,
    *,
    mode: str | None = None,
    user_rules: Sequence[Rule] = (),
    source_root: str | None = None,
    pprof_url: str | None = None,
) -> Settings:
    """Merge the command line (``user_rules``, ``pprof_url``, ``source_root``), config.toml
    and dlv's config.yml into one Settings. ``mode`` is the launch mode ("ssh" for
    ``godbg-tui ssh``); remote modes guess path mapping at the first stop."""
    aliases, warnings = dlv_config.usable_aliases(lambda name: find_command(name) is not None)
    rules = merge_rules(
        user_rules,
        ((r.from_, r.to) for r in config.substitute_path),
        dlv_config.substitute_path,
    )
    return Settings(
        max_string_len=_limit(config.max_string_len, dlv_config.max_string_len, LONG_LOAD.MaxStringLen),
        max_array_values=_limit(config.max_array_values, dlv_config.max_array_values, LONG_LOAD.MaxArrayValues),
        max_variable_recurse=_limit(0, dlv_config.max_variable_recurse, LONG_LOAD.MaxVariableRecurse),
        source_list_line_count=_limit(0, dlv_config.source_list_line_count, DEFAULT_SOURCE_LIST_LINES),
        aliases=aliases,
        substitute_path=tuple(rules),
        auto_resume_after=config.auto_resume_after or None,
        gctrace=config.gctrace,
        guess_paths=mode in GUESS_PATH_MODES,
        source_root=os.path.abspath(source_root or os.getcwd()),
        pprof_url=pprof_url,
        warnings=tuple(warnings),
    )


async def map_sources_at_first_stop(session: DebugSession, settings: Settings) -> str | None:
    """In remote modes, guess substitute-path rules when some of the program's sources are
    not readable here (appended after the user's). Returns the line for the console, or
    None when nothing was needed. The session must be stopped."""
    if not settings.guess_paths:
        return None
    try:
        guess = await auto_map(session, settings.source_root)
    except DelveError as exc:
        return f"could not guess substitute-path rules: {exc}; set them with config substitute-path <from> <to>"
    return None if guess is None else describe_guess(guess)
