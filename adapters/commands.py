"""dlv terminal syntax → DebugSession calls → dlv-style text.

One interpreter serves the ``:`` command line, key bindings, the command
palette and ``--init`` scripts, so every action has one implementation. Command
names, aliases, argument shapes and output follow the dlv terminal
(pkg/terminal/command.go); ``focus``, ``heap``, ``theme`` and ``halt`` are ours.
Results that concern the UI (move focus, switch theme, show a file) come back as
requests in ``CommandResult``; the interpreter itself never touches the UI.
"""

from __future__ import annotations

import base64
import difflib
import os
import re
import shlex
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field

from .dlv.client import LONG_LOAD, SHORT_LOAD, DelveError, RPCError
from .dlv.types import (
    FLAG_ARGUMENT,
    GOROUTINE_FIELD,
    KIND_CHAN,
    KIND_INTERFACE,
    KIND_PTR,
    FILTER_WAITING_ON_CHANNEL,
    Breakpoint,
    DebuggerState,
    Goroutine,
    ListGoroutinesFilter,
    LoadConfig,
    Location,
    Stackframe,
    Thread,
    Variable,
)
from .events import Event, Phase, SessionFailed, TraceHit
from .session import DebugSession, SessionError
from .values import FormatError, format_value, go_quote, go_sprintf, is_fake_address, is_shadowed, summary

FLAG_CPU_REGISTER = 128
MAX_LINE_BYTES = 64 * 1024
MAX_OUTPUT_LINES = 2000
MAX_GOROUTINE_LINES = 500
GOROUTINE_PAGE = 1000
MAX_CHANNEL_WAITERS = 100_000
MAX_EXAMINE_BYTES = 16 * 1024
MAX_COMPLETIONS = 50
PANES = ("source", "breakpoints", "stack", "goroutines", "variables", "watches", "console", "heap")
HIT_OPERATORS = (">=", "<=", "==", "!=", ">", "<", "%")
# Commands whose argument is a location: completion offers functions and files.
LOCATION_COMMANDS = frozenset({"break", "trace", "continue", "list", "clearall"})
CONFIG_PARAMETERS = ("-list", "substitute-path", "max-string-len", "max-array-values", "max-variable-recurse", "source-list-line-count")


class CommandError(Exception):
    """The line itself is wrong; the message says what and what to type instead."""


@dataclass
class CommandResult:
    """Text for the console plus requests for the UI.

    ``ui`` keys: ``theme`` (name), ``heap`` (True: open the heap view),
    ``source`` ((local path, line) to show), ``exit`` ("continue" or
    "detach" for ``exit -c`` / ``exit -d``).
    """

    output: str = ""
    quit: bool = False
    focus: str | None = None
    ui: dict | None = None


@dataclass(frozen=True)
class CommandSpec:
    """One command: its names, how to call it, what it does."""

    name: str
    aliases: tuple[str, ...]
    group: str
    usage: str
    help: str
    handler: str
    on_prefix: bool = False
    deferred_prefix: bool = False

    @property
    def summary(self) -> str:
        return self.help.split("\n", 1)[0]

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)


@dataclass(frozen=True)
class DisplayExpression:
    """An expression printed after every stop (``display -a``); ``number`` is what ``display -d`` takes."""

    number: int
    expr: str
    fmt: str = ""


@dataclass
class _Scope:
    """Where one command runs: dlv's ``goroutine N``/``frame N``/``deferred N`` prefixes, or ``on BP``."""

    goroutine: int | None = None
    frame: int | None = None
    deferred: int = 0
    breakpoint: Breakpoint | None = None
    changes: dict = field(default_factory=dict)

    @property
    def scoped(self) -> bool:
        return self.goroutine is not None or self.frame is not None


RUN = "Running the program"
BREAK = "Manipulating breakpoints"
DATA = "Viewing program variables and memory"
GOROUTINES = "Listing and switching between threads and goroutines"
STACK = "Viewing the call stack and selecting frames"
UI = "Panes and appearance"
OTHER = "Other commands"
GROUPS = (RUN, BREAK, DATA, GOROUTINES, STACK, UI, OTHER)


def _spec(name, aliases, group, usage, help, handler=None, **kw) -> CommandSpec:
    return CommandSpec(name, tuple(aliases), group, usage, help, handler or "_cmd_" + name.replace("-", "_"), **kw)


COMMANDS: tuple[CommandSpec, ...] = (
    _spec("break", ["b"], BREAK, "break [name] [locspec] [if <condition>]",
          "Sets a breakpoint.\n\nlocspec is file:line, line, +offset, -offset, function[:line], *address or /regex/; "
          "without one the breakpoint goes on the current line. A leading word names the breakpoint "
          "(break mybp main.go:10); `if` adds a condition (break main.go:55 if i == 5)."),
    _spec("trace", ["t"], BREAK, "trace [name] [locspec] [if <condition>]",
          "Sets a tracepoint.\n\nA tracepoint reports its hit (function and arguments) and lets the program run on.",
          on_prefix=True),
    _spec("watch", [], BREAK, "watch [-r|-w|-rw] <expr>",
          "Sets a watchpoint.\n\n-r stops when the memory is read, -w (default) when written, -rw on both. "
          "The expression names memory, like print's: watch -w counter, watch -w *(*int)(0xc000012345)."),
    _spec("condition", ["cond"], BREAK,
          "condition <bp> <expr> | condition -hitcount <bp> <op> <n> | condition -per-g-hitcount <bp> <op> <n> | condition -clear <bp>",
          "Sets a breakpoint condition.\n\nThe breakpoint stops only when the expression is true. -hitcount stops by hit "
          "count (op is one of > >= < <= == != %, `% n` stops on every n-th hit); -per-g-hitcount counts per goroutine; "
          "-clear removes the condition.", on_prefix=True),
    _spec("on", [], BREAK, "on <bp> print <expr> | stack <n> | goroutine | args [-v] | locals [-v] | trace | cond <expr>",
          "Executes a command when a breakpoint is hit.\n\nprint adds an expression reported at each hit; stack N a "
          "stack trace; goroutine the goroutine; args/locals the variables; trace turns it into a tracepoint; cond "
          "sets its condition."),
    _spec("clear", [], BREAK, "clear <breakpoint name or id>", "Deletes a breakpoint."),
    _spec("clearall", [], BREAK, "clearall [locspec]",
          "Deletes several breakpoints.\n\nWith a locspec only the breakpoints there; without, all of them."),
    _spec("toggle", [], BREAK, "toggle <breakpoint name or id>", "Disables an enabled breakpoint, enables a disabled one."),
    _spec("breakpoints", ["bp"], BREAK, "breakpoints [-a]", "Lists breakpoints.\n\n-a includes Delve's internal ones."),
    _spec("continue", ["c"], RUN, "continue [locspec]",
          "Runs until a breakpoint or the program's end.\n\nWith a locspec, runs until that location (a breakpoint "
          "on the way still stops it)."),
    _spec("next", ["n"], RUN, "next [count]",
          "Steps over to the next source line.\n\nA count repeats it; a breakpoint hit on the way stops the repetition."),
    _spec("step", ["s"], RUN, "step", "Single-steps, entering function calls."),
    _spec("stepout", ["so"], RUN, "stepout", "Runs until the current function returns."),
    _spec("step-instruction", ["si", "stepi"], RUN, "step-instruction", "Steps a single CPU instruction."),
    _spec("restart", ["r"], RUN, "restart [newargv...] | restart -noargs",
          "Restarts the program.\n\nWith arguments they replace the old ones; -noargs clears them."),
    _spec("rebuild", [], RUN, "rebuild",
          "Rebuilds the program and restarts it (debug and test modes: Delve built the binary)."),
    _spec("call", [], RUN, "call [-unsafe] <function call expression>",
          "Calls a function in the stopped program (experimental in Delve).\n\nThe program runs until the call "
          "returns; its return values are printed. -unsafe allows calls Delve considers dangerous."),
    _spec("halt", ["pause"], RUN, "halt", "Pauses the running program (ours: the dlv terminal uses Ctrl-C)."),
    _spec("print", ["p"], DATA, "[goroutine <n>] [frame <m>] print [%format] <expression>",
          "Evaluates an expression.\n\nAn optional Go format verb applies to every basic value: print %x v.",
          on_prefix=True, deferred_prefix=True),
    _spec("display", [], DATA, "display | display -a [%format] <expression> | display -d <number>",
          "Prints expressions every time the program stops.\n\n-a adds one, -d removes one by number, no "
          "argument prints them all now."),
    _spec("whatis", [], DATA, "whatis <expression>", "Prints the type of an expression."),
    _spec("set", [], DATA, "[goroutine <n>] [frame <m>] set <variable> = <value>",
          "Changes a variable.\n\nOnly numbers, booleans and pointers can be changed."),
    _spec("locals", [], DATA, "[goroutine <n>] [frame <m>] locals [-v] [<regex>]",
          "Prints local variables.\n\nShadowed variables appear in parentheses; -v prints them in full.",
          on_prefix=True, deferred_prefix=True),
    _spec("args", [], DATA, "[goroutine <n>] [frame <m>] args [-v] [<regex>]",
          "Prints the function arguments.\n\n-v prints them in full.", on_prefix=True, deferred_prefix=True),
    _spec("vars", [], DATA, "vars [-v] [<regex>]", "Prints package variables.\n\n-v prints them in full."),
    _spec("regs", [], DATA, "regs [-a]", "Prints CPU registers.\n\n-a includes floating point and vector registers."),
    _spec("examinemem", ["x"], DATA,
          "examinemem [-fmt hex|dec|oct|bin] [-count <n>] [-size <n>] <address> | examinemem [...] -x <expression>",
          "Examines raw memory.\n\nThe address can be a number or an expression (&v, a pointer); -size is the "
          "width of one value (1-8 bytes), -count how many."),
    _spec("goroutines", ["grs"], GOROUTINES,
          "goroutines [-u|-r|-g|-s] [-t [depth]] [-l] [-with|-without (userloc|curloc|goloc|startloc) <s> | label <k>[=<v>] "
          "| running | user] [-group (userloc|curloc|goloc|startloc|running|user|label <key>)] [-chan <expr>] [-exec <command>]",
          "Lists goroutines.\n\n-u shows the topmost user-code location (default), -r the topmost location, -g "
          "where the go statement was, -s the start function; -t adds stacks, -l labels. -with/-without filter, "
          "-group summarises by location or label, -chan lists goroutines waiting on a channel, -exec runs a "
          "command on each."),
    _spec("goroutine", ["gr"], GOROUTINES, "goroutine [<id> [<command>]]",
          "Shows or selects the current goroutine, or runs a command on another one.", on_prefix=True),
    _spec("threads", [], GOROUTINES, "threads", "Lists threads."),
    _spec("thread", ["tr"], GOROUTINES, "thread <id>", "Selects the goroutine running on a thread."),
    _spec("stack", ["bt"], STACK, "[goroutine <n>] [frame <m>] stack [<depth>] [-full] [-defer]",
          "Prints the stack trace.\n\n-full adds each frame's arguments and locals, -defer its deferred calls.",
          on_prefix=True),
    _spec("frame", [], STACK, "frame <n> [<command>]",
          "Selects a frame, or runs one command in it.\n\nThe selected frame is where print, locals, set… look."),
    _spec("up", [], STACK, "up [<n>] [<command>]", "Moves the selected frame n (default 1) toward the caller."),
    _spec("down", [], STACK, "down [<n>] [<command>]", "Moves the selected frame n (default 1) toward the callee."),
    _spec("deferred", [], STACK, "deferred <n> <command>",
          "Runs print, args or locals in the context of the n-th deferred call of the frame (see stack -defer)."),
    _spec("list", ["ls", "l"], OTHER, "[goroutine <n>] [frame <m>] list [<locspec>]",
          "Shows source code around the current location or a locspec."),
    _spec("disassemble", ["disass"], OTHER, "disassemble [-a <start> <end>] [-l <locspec>]",
          "Disassembles the current function, an address range, or the function at a locspec."),
    _spec("funcs", [], OTHER, "funcs [<regex>]", "Lists functions."),
    _spec("types", [], OTHER, "types [<regex>]", "Lists types."),
    _spec("sources", [], OTHER, "sources [<regex>]", "Lists source files."),
    _spec("config", [], OTHER,
          "config -list | config substitute-path <from> <to> | config substitute-path <from> | config substitute-path -clear "
          "| config max-string-len|max-array-values|max-variable-recurse|source-list-line-count <n>",
          "Changes configuration.\n\nsubstitute-path maps the paths in the binary to local ones (no <to>: drop the "
          "rule); the max-* limits say how much of a value print loads."),
    _spec("focus", [], UI, "focus <" + "|".join(PANES) + ">", "Moves the keyboard focus to a pane."),
    _spec("heap", [], UI, "heap", "Opens the heap view."),
    _spec("theme", [], UI, "theme <name>", "Switches the colour theme."),
    _spec("help", ["h"], OTHER, "help [<command>]", "Prints help for all commands or one."),
    _spec("exit", ["quit", "q"], OTHER, "exit [-c|-d]",
          "Leaves the debugger.\n\n-c lets a remote program continue, -d detaches and leaves it running."),
)

_BY_NAME = {n: c for c in COMMANDS for n in c.names}
_TRAILING_IF = re.compile(r"(?:^|\s)if\s")
_BP_NAME = re.compile(r"[^\W_]+")
# Words separated by blanks, except inside double quotes: -chan *(*"chan int")(0x…) is one word.
_QUOTED_WORDS = re.compile(r'(?:[^\s"]|"[^"]*")+')


def find_command(name: str) -> CommandSpec | None:
    """The command called ``name`` or aliased so (dlv's own aliases only)."""
    return _BY_NAME.get(name)


Handler = Callable[[_Scope, str], Awaitable["CommandResult | str"]]


class CommandInterpreter:
    """Executes dlv command lines against one DebugSession.

    ``cwd`` is the directory paths are shown relative to (dlv prints ``./main.go``).
    With ``echo_events`` (the default) a run command's output includes the
    tracepoint hits and session failure that happened during it, as dlv prints
    them; a UI that renders those events itself passes False.
    """

    COMMANDS = COMMANDS

    def __init__(
        self,
        session: DebugSession,
        *,
        aliases: dict[str, str] | None = None,
        cwd: str | None = None,
        echo_events: bool = True,
    ):
        self.session = session
        self.echo_events = echo_events
        self.aliases = self._check_aliases(aliases or {})
        self.cwd = os.path.abspath(cwd or os.getcwd())
        self.display_expressions: list[DisplayExpression] = []
        self.max_string_len = LONG_LOAD.MaxStringLen
        self.max_array_values = LONG_LOAD.MaxArrayValues
        self.max_variable_recurse = LONG_LOAD.MaxVariableRecurse
        self.source_list_line_count = 5
        self._functions: list[str] = []
        self._files: list[str] = []
        self._news: list[Event] | None = None
        session.subscribe(self._on_event)

    @staticmethod
    def _check_aliases(aliases: dict[str, str]) -> dict[str, str]:
        for alias, target in aliases.items():
            if target not in _BY_NAME:
                raise CommandError(f"alias {alias!r} points at unknown command {target!r}")
        return dict(aliases)

    def _on_event(self, event: Event) -> None:
        if self._news is not None and self.echo_events and isinstance(event, (TraceHit, SessionFailed)):
            self._news.append(event)

    @property
    def load_config(self) -> LoadConfig:
        """What ``print`` loads: dlv's long config with the ``config max-*`` limits."""
        return LoadConfig(
            FollowPointers=True,
            MaxVariableRecurse=self.max_variable_recurse,
            MaxStringLen=self.max_string_len,
            MaxArrayValues=self.max_array_values,
            MaxStructFields=-1,
        )

    # ----- dispatch -----

    async def execute(self, line: str) -> CommandResult:
        """Run one command line. Raises CommandError for a bad line, SessionError when the session refuses."""
        size = len(line.encode("utf-8", "surrogatepass"))
        if size > MAX_LINE_BYTES:
            raise CommandError(
                f"command line too long ({size} bytes; the limit is {MAX_LINE_BYTES}): was that a paste? "
                "Type one command per line"
            )
        if "\n" in line.strip() or "\r" in line.strip():
            raise CommandError("one command per line: run the lines one at a time (or put them in an --init file)")
        line = line.strip()
        if not line:
            return CommandResult()
        try:
            result = await self._dispatch(line, _Scope())
        except RPCError as exc:
            raise SessionError(exc.message) from exc
        except DelveError as exc:
            raise SessionError(str(exc)) from exc
        except FormatError as exc:
            raise CommandError(str(exc)) from exc
        return result if isinstance(result, CommandResult) else CommandResult(output=result)

    def resolve(self, name: str) -> CommandSpec | None:
        """The command a typed name means, user aliases first."""
        return _BY_NAME.get(self.aliases.get(name, name))

    async def _dispatch(self, line: str, ctx: _Scope) -> CommandResult | str:
        name, *rest = line.split(None, 1)
        args = rest[0].strip() if rest else ""
        spec = self.resolve(name)
        if spec is None:
            raise CommandError(self._unknown(name))
        if ctx.breakpoint is not None and not spec.on_prefix:
            raise CommandError(f"{spec.name} cannot follow on: use print, stack, goroutine, args, locals, trace or cond")
        if ctx.deferred and not spec.deferred_prefix:
            raise CommandError(f"{spec.name} cannot run in a deferred call: use print, args or locals")
        handler: Handler = getattr(self, spec.handler)
        return await handler(ctx, args)

    def _unknown(self, name: str) -> str:
        names = sorted({*self.aliases, *_BY_NAME})
        close = difflib.get_close_matches(name, names, n=3, cutoff=0.6)
        text = f'unknown command "{name}": type help for the list'
        if close:
            text += "; did you mean " + " or ".join(f'"{c}"' for c in close) + "?"
        return text

    def _usage(self, name: str, problem: str = "") -> CommandError:
        spec = _BY_NAME[name]
        lead = f"{spec.name}: {problem}; " if problem else f"{spec.name}: "
        return CommandError(f"{lead}usage: {spec.usage}")

    # ----- completion -----

    async def warm_completions(self) -> None:
        """Fetch function and file names for completion (needs a stopped target; quietly skips otherwise)."""
        try:
            self._functions = sorted(await self.session.functions())
            self._files = sorted(await self.session.sources())
        except (SessionError, DelveError):
            return

    def complete(self, text: str) -> list[str]:
        """Whole-line candidates for ``text``: command names, then per-command arguments."""
        head, space, rest = text.lstrip().partition(" ")
        if not space:
            names = sorted({*self.aliases, *_BY_NAME})
            return [n for n in names if n.startswith(head)][:MAX_COMPLETIONS]
        spec = self.resolve(head)
        if spec is None:
            return []
        words = rest.split(" ")
        word = words[-1]
        before = text[: len(text) - len(word)]
        if spec.name == "help" and len(words) == 1:
            options = [n for n in sorted(_BY_NAME) if n.startswith(word)]
        elif spec.name == "focus" and len(words) == 1:
            options = [p for p in PANES if p.startswith(word)]
        elif spec.name == "config" and len(words) == 1:
            options = [p for p in CONFIG_PARAMETERS if p.startswith(word)]
        elif spec.name in LOCATION_COMMANDS or (spec.name == "disassemble" and words[:1] == ["-l"]):
            options = self._location_candidates(word)
        else:
            return []
        return [before + o for o in options][:MAX_COMPLETIONS]

    def _location_candidates(self, word: str) -> list[str]:
        """Files (as ``name.go:``) and functions starting with ``word``; else functions whose last part does."""
        if not word:
            return []
        files = sorted({os.path.basename(f) + ":" for f in self._files if os.path.basename(f).startswith(word)})
        files += [f + ":" for f in self._files if f.startswith(word)]
        funcs = [f for f in self._functions if f.startswith(word)]
        if not funcs:
            by_name = [f for f in self._functions if f.rsplit(".", 1)[-1].startswith(word)]
            funcs = sorted(by_name, key=lambda f: (f.startswith("runtime."), f))
        return files + funcs

    # ----- formatting helpers -----

    def format_path(self, path: str) -> str:
        """A binary's path as the user knows it: substitute-path applied, the working directory as ``.``."""
        local = self.session.map_to_local(path)
        if local == self.cwd:
            return "."
        if local.startswith(self.cwd.rstrip("/") + "/"):
            return "./" + local[len(self.cwd.rstrip("/")) + 1 :]
        return local

    def _location(self, loc: Location) -> str:
        fn = loc.function.name if loc.function else ""
        return f"{self.format_path(loc.file)}:{loc.line} {fn} ({loc.pc:#x})"

    def _bp_location(self, bp: Breakpoint) -> str:
        addrs = bp.addrs or [bp.addr]
        text = ",".join(f"{a:#x}" for a in addrs)
        if not bp.WatchExpr:
            fn = f"{bp.functionName}() " if bp.functionName else ""
            text += f" for {fn}{self.format_path(bp.file)}:{bp.line}"
        return text

    def _goroutine_line(self, g: Goroutine, which: str) -> str:
        if g.unreadable:
            return f"(unreadable {g.unreadable})"
        name, loc = {
            "r": ("Runtime", g.currentLoc),
            "u": ("User", g.userCurrentLoc),
            "g": ("Go", g.goStatementLoc),
            "s": ("Start", g.startLoc),
        }[which]
        text = f"{g.id} - {name}: {self._location(loc)}"
        if g.threadID:
            text += f" (thread {g.threadID})"
        if g.status in (3, 4) and g.waitReason:
            text += f" [{wait_reason(self.session.go_version, g.waitReason)}"
            text += f" {g.waitSince}]" if g.waitSince > 0 else "]"
        return text

    def _stack_text(self, frames: Sequence[Stackframe], indent: str = "", *, show_vars: bool = False) -> list[str]:
        """api.PrintStack: numbered frames, ``at file:line``, then defers and (``-full``) variables."""
        if not frames:
            return []
        digits = len(str(max(len(frames) - 1, 0)))
        pad = indent + " " * (digits + 2 + len(indent))
        blank = show_vars or any(f.Defers or f.Arguments or f.Locals for f in frames)
        out: list[str] = []
        for i, f in enumerate(frames):
            if f.Err:
                out.append(f"{pad}error: {f.Err}")
                continue
            fn = f.function.name if f.function else ""
            out.append(f"{indent}{i:>{digits}}  0x{f.pc:016x} in {fn}")
            out.append(f"{pad}at {self.format_path(f.file)}:{f.line}")
            for j, d in enumerate(f.Defers or [], 1):
                head = f"{pad}    defer {j}: "
                if d.Unreadable:
                    out.append(f"{head}(unreadable defer: {d.Unreadable})")
                    continue
                sub = " " * len(head)
                dfn = d.DeferredLoc.function.name if d.DeferredLoc.function else ""
                out.append(f"{head}{d.DeferredLoc.pc:#016x} in {dfn}")
                out.append(f"{sub}at {self.format_path(d.DeferredLoc.file)}:{d.DeferredLoc.line}")
                by = d.DeferLoc.function.name if d.DeferLoc.function else ""
                out.append(f"{sub}deferred by {by} at {self.format_path(d.DeferLoc.file)}:{d.DeferLoc.line}")
            for v in [*(f.Arguments or []), *(f.Locals or [])]:
                out.append(f"{pad}    {v.name} = {summary(v, width=0)}")
            if blank:
                out.append("")
        if not frames[-1].Bottom:
            out.append(f"{indent}(truncated)")
        return out

    def _stop_text(self, state: DebuggerState | None) -> list[str]:
        """printcontext: one line per thread at a breakpoint, then where the selected goroutine is."""
        session = self.session
        if session.phase == Phase.EXITED or state is None:
            if session.phase == Phase.EXITED:
                return [f"Process {session.target_pid} has exited with status {session.exit_status}"]
            return []
        out: list[str] = []
        current = state.currentThread
        for t in state.Threads or []:
            if t.breakPoint is not None and (current is None or t.id != current.id):
                out += self._thread_context(t)
        g = state.currentGoroutine
        thread: Thread | None = current
        if g is not None and not (current is not None and g.threadID == current.id):
            thread = next((t for t in state.Threads or [] if t.id == g.threadID and g.threadID), None)
            if thread is None:
                out.append(self._location_context(g.currentLoc))
                return out
        if thread is None:
            out.append("No current thread available")
            return out
        if not thread.file:
            out.append(f"Stopped at: {thread.pc:#x}")
            return out
        out += self._thread_context(thread)
        if state.NextInProgress:
            out.append("\tbreakpoint hit during the step: continue finishes it, another step command is refused")
        for w in state.WatchOutOfScope or []:
            out.append(f"{_bp_name(w, True)} went out of scope and was cleared")
        return out

    def _location_context(self, loc: Location) -> str:
        fn = loc.function.name if loc.function else ""
        text = f"> {fn}() {self.format_path(loc.file)}:{loc.line} (PC: {loc.pc:#x})"
        if loc.function and loc.function.optimized:
            text += "\nWarning: debugging optimized function"
        return text

    def _thread_context(self, t: Thread) -> list[str]:
        loc = Location(pc=t.pc, file=t.file, line=t.line, function=t.function)
        bp = t.breakPoint
        if bp is None:
            return [self._location_context(loc), *self._returned(t.ReturnValues)]
        if bp.tracepoint or bp.traceReturn:
            return self._trace_lines(t)
        fn = t.function.name if t.function else ""
        info = t.breakPointInfo
        args = ""
        if info is not None and bp.LoadArgs is not None and _is_short(bp.LoadArgs):
            args = ", ".join(summary(a, width=0) for a in info.arguments or [] if a.flags & FLAG_ARGUMENT)
        if bp.WatchExpr:
            name = f"watchpoint on [{bp.WatchExpr}] "
        elif bp.name:
            name = f"[{bp.name}] "
        else:
            name = f"[Breakpoint {bp.id}] "
        hits = (bp.hitCount or {}).get(str(t.goroutineID))
        counts = f"hits goroutine({t.goroutineID}):{hits} total:{bp.totalHitCount}" if hits is not None else f"hits total:{bp.totalHitCount}"
        out = [f"> {name}{fn}({args}) {self.format_path(t.file)}:{t.line} ({counts}) (PC: {t.pc:#x})"]
        if t.function and t.function.optimized:
            out.append("Warning: debugging optimized function")
        out += self._returned(t.ReturnValues)
        out += self._breakpoint_info(t)
        return out

    def _returned(self, values: Sequence[Variable] | None) -> list[str]:
        if not values:
            return []
        return ["Values returned:", *(f"\t{v.name}: {format_value(v, indent=chr(9))}" for v in values), ""]

    def _breakpoint_info(self, t: Thread) -> list[str]:
        info, bp = t.breakPointInfo, t.breakPoint
        if info is None or bp is None or bp.traceReturn:
            return []
        out: list[str] = []
        if info.goroutine is not None:
            out += self._goroutine_long(info.goroutine, "\t")
        for v in info.variables or []:
            out.append(f"\t{v.name}: {format_value(v, indent=chr(9))}")
        for v in info.locals or []:
            long = bp.LoadLocals is not None and not _is_short(bp.LoadLocals)
            out.append(f"\t{v.name}: {format_value(v, indent=chr(9)) if long else summary(v, width=0)}")
        if bp.LoadArgs is not None and not _is_short(bp.LoadArgs):
            out += [f"\t{v.name}: {format_value(v, indent=chr(9))}" for v in info.arguments or []]
        if info.stacktrace:
            out.append("\tStack:")
            out += self._stack_text(info.stacktrace, "\t\t")
        return out

    def _trace_lines(self, t: Thread) -> list[str]:
        bp = t.breakPoint
        assert bp is not None
        fn = t.function.name if t.function else ""
        name = f"[{bp.name}] " if bp.name else ""
        info = t.breakPointInfo
        out: list[str] = []
        if bp.tracepoint:
            params = [
                f"(unreadable {a.unreadable})" if a.unreadable else summary(a, width=0)
                for a in (info.arguments if info else None) or []
                if a.flags & FLAG_ARGUMENT
            ]
            out.append(f"> goroutine({t.goroutineID}): {name}{fn}({', '.join(params)})")
            out += self._breakpoint_info(t)
        if bp.traceReturn:
            rets = ",".join(summary(v, width=0) for v in t.ReturnValues or [])
            out.append(f">> goroutine({t.goroutineID}): {fn} => ({rets})")
        return out

    def _goroutine_long(self, g: Goroutine, prefix: str = "") -> list[str]:
        out = [
            f"{prefix}Goroutine {g.id}:",
            f"{prefix}\tRuntime: {self._location(g.currentLoc)}",
            f"{prefix}\tUser: {self._location(g.userCurrentLoc)}",
            f"{prefix}\tGo: {self._location(g.goStatementLoc)}",
            f"{prefix}\tStart: {self._location(g.startLoc)}",
        ]
        if g.labels:
            out.append(f"{prefix}\t{_labels(g.labels)}")
        return out

    async def render_displays(self) -> str:
        """Every ``display`` expression evaluated now, one ``N: expr = value`` line each (dlv's format)."""
        lines = []
        for d in self.display_expressions:
            try:
                v = await self.session.eval(d.expr, SHORT_LOAD, goroutine_id=-1, frame=0)
            except SessionError as exc:
                if self.session.phase == Phase.EXITED:
                    continue
                lines.append(f"{d.number}: {d.expr} = error {exc}")
                continue
            lines.append(f"{d.number}: {v.name or d.expr} = {summary(v, width=0, fmt=d.fmt)}")
        return "\n".join(lines)

    async def _after_run(self, run: Awaitable[object]) -> str:
        """Run a resuming call, then describe the stop: trace hits on the way, context, displays."""
        self._news = []
        try:
            await run
        finally:
            news, self._news = self._news, None
        out: list[str] = []
        for event in news:
            if isinstance(event, TraceHit):
                out += self._trace_lines(event.thread)
            elif isinstance(event, SessionFailed):
                out.append(event.error)
        if self.session.phase in (Phase.STOPPED, Phase.EXITED):
            out += self._stop_text(self.session.state)
        if self.display_expressions and self.session.phase == Phase.STOPPED:
            shown = await self.render_displays()
            if shown:
                out.append(shown)
        return "\n".join(out).rstrip("\n")

    def _need_frame_zero(self, ctx: _Scope, name: str) -> None:
        frame = self.session.frame if ctx.frame is None else ctx.frame
        if frame != 0:
            raise CommandError(f"{name} works on the topmost frame: `frame 0` first (frame {frame} is selected)")

    async def _scope_goroutine(self, ctx: _Scope) -> None:
        if ctx.goroutine is not None and ctx.goroutine != self.session.goroutine_id:
            await self.session.select_goroutine(ctx.goroutine)

    # ----- running -----

    async def _cmd_continue(self, ctx: _Scope, args: str) -> str:
        return await self._after_run(self.session.continue_(args or None))

    async def _cmd_next(self, ctx: _Scope, args: str) -> str:
        count = _count(args, "next", "count") if args else 1
        await self._scope_goroutine(ctx)
        self._need_frame_zero(ctx, "next")
        return await self._after_run(self._next_times(count))

    async def _next_times(self, count: int) -> None:
        """dlv's ``next N``, stopping early at a breakpoint, a pending interrupted step, or the end."""
        for _ in range(count):
            await self.session.next()
            state = self.session.state
            if self.session.phase != Phase.STOPPED or state is None or state.NextInProgress:
                return
            if any(t.breakPoint is not None for t in state.Threads or []):
                return

    async def _cmd_step(self, ctx: _Scope, args: str) -> str:
        _no_args("step", args)
        await self._scope_goroutine(ctx)
        return await self._after_run(self.session.step())

    async def _cmd_stepout(self, ctx: _Scope, args: str) -> str:
        _no_args("stepout", args)
        await self._scope_goroutine(ctx)
        self._need_frame_zero(ctx, "stepout")
        return await self._after_run(self.session.step_out())

    async def _cmd_step_instruction(self, ctx: _Scope, args: str) -> str:
        _no_args("step-instruction", args)
        await self._scope_goroutine(ctx)
        self._need_frame_zero(ctx, "step-instruction")
        return await self._after_run(self.session.step_instruction())

    async def _cmd_call(self, ctx: _Scope, args: str) -> str:
        unsafe = False
        if args.startswith("-unsafe ") or args == "-unsafe":
            unsafe, args = True, args[len("-unsafe") :].strip()
        if not args:
            raise self._usage("call", "give the call to make, like call f(1, 2)")
        await self._scope_goroutine(ctx)
        return await self._after_run(self.session.call(args, unsafe=unsafe))

    async def _cmd_halt(self, ctx: _Scope, args: str) -> str:
        _no_args("halt", args)
        if self.session.phase != Phase.RUNNING:
            return "the program is not running"
        await self.session.halt()
        return ""

    async def _cmd_restart(self, ctx: _Scope, args: str) -> str:
        argv: list[str] | None
        if not args:
            argv = None
        elif args == "-noargs":
            argv = []
        else:
            try:
                argv = shlex.split(args)
            except ValueError as exc:
                raise CommandError(f"restart: cannot split the arguments ({exc}): check the quotes") from exc
            if "-noargs" in argv:
                raise CommandError("restart: -noargs takes no other arguments")
            redirect = next((a for a in argv if re.match(r"^(<|>|2>)", a)), None)
            if redirect:
                raise CommandError(f"restart: redirects ({redirect}) are not supported; the program's I/O is in the console pane")
        await self.session.restart(argv)
        return self._restarted()

    async def _cmd_rebuild(self, ctx: _Scope, args: str) -> str:
        _no_args("rebuild", args)
        if self.session.spec.mode not in ("debug", "test"):
            raise CommandError(
                f"rebuild needs a program Delve built (debug or test mode); this is {self.session.spec.mode} mode: "
                "rebuild it yourself, then restart"
            )
        await self.session.restart(rebuild=True)
        return self._restarted()

    def _restarted(self) -> str:
        lines = [f"Process restarted with PID {self.session.target_pid}", *self._stop_text(self.session.state)]
        return "\n".join(lines)

    # ----- breakpoints -----

    def _parse_break(self, args: str) -> tuple[str, str, str]:
        """(name, locspec, condition) from ``[name] [locspec] [if cond]``."""
        cond = ""
        m = _TRAILING_IF.search(args)
        if m:
            cond = args[m.end() :].strip()
            args = args[: m.start()].strip()
            if not cond:
                raise CommandError("the condition after `if` is empty: break <locspec> if <expression>")
        name = ""
        parts = args.split(None, 1)
        if len(parts) == 2 and _BP_NAME.fullmatch(parts[0]) and not parts[0].isdigit():
            name, args = parts
        return name, args or "+0", cond

    async def _cmd_break(self, ctx: _Scope, args: str) -> str:
        return await self._set_breakpoint(args, tracepoint=False)

    async def _cmd_trace(self, ctx: _Scope, args: str) -> str:
        if ctx.breakpoint is not None:
            if args:
                raise CommandError("on <bp> trace takes no arguments")
            ctx.changes["tracepoint"] = True
            return ""
        return await self._set_breakpoint(args, tracepoint=True)

    async def _set_breakpoint(self, args: str, *, tracepoint: bool) -> str:
        name, spec, cond = self._parse_break(args)
        note = []
        try:
            made = await self.session.set_breakpoint(spec, cond=cond, name=name, tracepoint=tracepoint)
        except SessionError as exc:
            main_spec = await self._main_function(spec, str(exc))
            if main_spec is None:
                raise
            made = await self.session.set_breakpoint(main_spec, cond=cond, name=name, tracepoint=tracepoint)
            note = [f"({spec} is ambiguous; chose {main_spec}: name another package's function in full)"]
        return "\n".join([*(f"{_bp_name(b, True)} set at {self._bp_location(b)}" for b in made), *note])

    async def _main_function(self, spec: str, error: str) -> str | None:
        """For an ambiguous bare function name, the main package's function of that name, if any."""
        if "ambiguous" not in error or not re.fullmatch(r"[A-Za-z_]\w*", spec):
            return None
        found = await self.session.functions(f"^main\\.{spec}$")
        return found[0] if len(found) == 1 else None

    async def _cmd_watch(self, ctx: _Scope, args: str) -> str:
        mode, _, expr = args.partition(" ")
        if mode not in ("-r", "-w", "-rw"):
            mode, expr = "-w", args
        expr = expr.strip()
        if not expr:
            raise self._usage("watch", "give the expression to watch")
        bp = await self.session.set_watchpoint(expr, mode[1:])
        return f"{_bp_name(bp, True)} set at {self._bp_location(bp)}"

    async def _cmd_clear(self, ctx: _Scope, args: str) -> str:
        if not args:
            raise self._usage("clear", "say which breakpoint")
        bp = await self.session.clear_breakpoint(_bp_ref(args))
        return f"{_bp_name(bp, True)} cleared at {self._bp_location(bp)}"

    async def _cmd_clearall(self, ctx: _Scope, args: str) -> str:
        await self.session.refresh_breakpoints()
        targets = list(self.session.breakpoints)
        if args:
            pcs = {pc for loc in await self.session.find_locations(args) for pc in (loc.pcs or [loc.pc])}
            targets = [b for b in targets if pcs & {b.addr, *(b.addrs or [])}]
        out = []
        for b in targets:
            try:
                await self.session.clear_breakpoint(b.id)
            except SessionError as exc:
                out.append(f"Couldn't delete {_bp_name(b, False)} at {self._bp_location(b)}: {exc}")
                continue
            out.append(f"{_bp_name(b, True)} cleared at {self._bp_location(b)}")
        return "\n".join(out) if out else "no breakpoints to clear"

    async def _cmd_toggle(self, ctx: _Scope, args: str) -> str:
        if not args:
            raise self._usage("toggle", "say which breakpoint")
        bp = await self.session.toggle_breakpoint(_bp_ref(args))
        state = "disabled" if bp.disabled else "enabled"
        return f"{_bp_name(bp, True)} toggled at {self._bp_location(bp)} (now {state})"

    async def _cmd_breakpoints(self, ctx: _Scope, args: str) -> str:
        if args not in ("", "-a"):
            raise self._usage("breakpoints", f"unknown argument {args!r}")
        if args == "-a":
            client = self.session.client
            if client is None:
                raise SessionError("not connected to Delve")
            bps = await client.list_breakpoints(all=True)
        else:
            bps = await self.session.refresh_breakpoints()
        out = []
        for b in sorted(bps, key=lambda b: b.id):
            state = "(disabled)" if b.disabled else ("(suspended)" if b.ExprString else "(enabled)")
            where = f"at {b.ExprString}" if b.ExprString else f"at {self._bp_location(b)} ({b.totalHitCount})"
            out.append(f"{_bp_name(b, True)} {state} {where}")
            out += _bp_attrs(b, "\t")
        return "\n".join(out) if out else "no breakpoints"

    async def _cmd_condition(self, ctx: _Scope, args: str) -> str:
        first, _, rest = args.partition(" ")
        rest = rest.strip()
        if not first or (not rest and first not in ("-clear",)):
            raise self._usage("condition", "not enough arguments")
        if first in ("-hitcount", "-per-g-hitcount"):
            per_g = first == "-per-g-hitcount"
            if ctx.breakpoint is not None:
                ctx.changes.update(HitCond=_hit_condition(rest), HitCondPerG=per_g)
                return ""
            ref, _, cond = rest.partition(" ")
            bp = await self.session.amend_breakpoint(_bp_ref(ref), HitCond=_hit_condition(cond.strip()), HitCondPerG=per_g)
            return f"{_bp_name(bp, True)} now stops when its {'per-goroutine ' if per_g else ''}hit count {bp.HitCond}"
        if first == "-clear":
            if ctx.breakpoint is not None:
                ctx.changes["Cond"] = ""
                return ""
            if not rest:
                raise self._usage("condition", "say which breakpoint")
            bp = await self.session.amend_breakpoint(_bp_ref(rest), Cond="")
            return f"{_bp_name(bp, True)} has no condition"
        if ctx.breakpoint is not None:
            ctx.changes["Cond"] = args
            return ""
        bp = await self.session.amend_breakpoint(_bp_ref(first), Cond=rest)
        return f"{_bp_name(bp, True)} now stops when {bp.Cond}"

    async def _cmd_on(self, ctx: _Scope, args: str) -> str:
        ref, _, command = args.partition(" ")
        command = command.strip()
        if not ref or not command:
            raise self._usage("on", "not enough arguments")
        if command == "-edit":
            raise CommandError("on -edit needs an editor: run the on commands one at a time instead")
        await self.session.refresh_breakpoints()
        bp = self.session.find_breakpoint(_bp_ref(ref))
        inner = _Scope(breakpoint=bp)
        await self._dispatch(command, inner)
        if not inner.changes:
            return ""
        bp = await self.session.amend_breakpoint(bp.id, **inner.changes)
        return "\n".join([f"{_bp_name(bp, True)} at {self._bp_location(bp)}:", *_bp_attrs(bp, "\t", include_trace=True)])

    # ----- data -----

    def _eval_kw(self, ctx: _Scope) -> dict:
        return {"frame": ctx.frame, "goroutine_id": ctx.goroutine, "deferred": ctx.deferred}

    async def _cmd_print(self, ctx: _Scope, args: str) -> str:
        if not args:
            raise self._usage("print", "give an expression")
        if ctx.breakpoint is not None:
            ctx.changes["variables"] = [*(ctx.breakpoint.variables or []), *ctx.changes.get("variables", []), args]
            return ""
        fmt, expr = _split_format(args)
        if not expr:
            raise self._usage("print", f"give an expression after {fmt}")
        value = await self.session.eval(expr, self.load_config, **self._eval_kw(ctx))
        text = format_value(value, fmt=fmt)
        if value.kind == KIND_CHAN and value.addr:
            text += "\n\n" + await self._chan_waiters(value, ctx)
        return text

    async def _chan_waiters(self, chan: Variable, ctx: _Scope) -> str:
        expr = f"*(*{go_quote(chan.type)})({chan.addr:#x})"
        try:
            out = await self.session.goroutines(
                0, 100, filters=[ListGoroutinesFilter(Kind=FILTER_WAITING_ON_CHANNEL, Arg=expr)]
            )
        except SessionError as exc:
            return f"Error reading channel wait queue: {exc}"
        lines = ["Goroutines waiting on this channel:"]
        for g in out.Goroutines or []:
            lines.append(f"{self._mark(g)}Goroutine {self._goroutine_line(g, 'u')}")
        return "\n".join(lines)

    def _mark(self, g: Goroutine, indent: str = "") -> str:
        return indent + ("* " if g.id == self.session.goroutine_id else "  ")

    async def _cmd_display(self, ctx: _Scope, args: str) -> str:
        if not args:
            return await self.render_displays()
        flag, _, rest = args.partition(" ")
        rest = rest.strip()
        if flag == "-a":
            fmt, expr = _split_format(rest)
            if not expr:
                raise self._usage("display", "give an expression after -a")
            if fmt:
                go_sprintf(fmt, 0)
            number = self.display_expressions[-1].number + 1 if self.display_expressions else 0
            self.display_expressions.append(DisplayExpression(number, expr, fmt))
            if self.session.phase != Phase.STOPPED:
                return f"{number}: {expr} (shown at the next stop)"
            saved = self.display_expressions
            self.display_expressions = [saved[-1]]
            try:
                return await self.render_displays()
            finally:
                self.display_expressions = saved
        if flag == "-d":
            number = _count(rest, "display -d", "number", minimum=0)
            if not any(d.number == number for d in self.display_expressions):
                raise CommandError(f"display -d: there is no display {number} (display lists them)")
            self.display_expressions = [d for d in self.display_expressions if d.number != number]
            return ""
        raise self._usage("display", f"unknown argument {flag!r}")

    async def _cmd_whatis(self, ctx: _Scope, args: str) -> str:
        if not args:
            raise self._usage("whatis", "give an expression")
        v = await self.session.eval(args, SHORT_LOAD, **self._eval_kw(ctx))
        lines = []
        if v.flags & FLAG_CPU_REGISTER:
            return "CPU Register"
        if v.type:
            lines.append(v.type)
        if v.realType != v.type:
            lines.append(f"Real type: {v.realType}")
        if v.kind == KIND_INTERFACE and v.children:
            lines.append(f"Concrete type: {v.children[0].type}")
        return "\n".join(lines)

    async def _cmd_set(self, ctx: _Scope, args: str) -> str:
        lhs, rhs = _split_assignment(args)
        if ctx.scoped:
            client = self._client_for("setting a variable")
            scope = self.session.scope(ctx.frame, ctx.goroutine)
            try:
                await client.set(scope, lhs, rhs)
            except RPCError as exc:
                raise SessionError(f"cannot set {lhs}: {exc.message}") from exc
        else:
            await self.session.set_variable(lhs, rhs)
        return ""

    def _client_for(self, what: str):
        """The Delve client, for scoped reads DebugSession does not offer yet (another goroutine's locals…)."""
        if self.session.phase != Phase.STOPPED or self.session.client is None:
            raise SessionError(f"the program is not stopped: pause it before {what}")
        return self.session.client

    async def _cmd_locals(self, ctx: _Scope, args: str) -> str:
        return await self._frame_vars("locals", ctx, args)

    async def _cmd_args(self, ctx: _Scope, args: str) -> str:
        return await self._frame_vars("args", ctx, args)

    async def _frame_vars(self, which: str, ctx: _Scope, args: str) -> str:
        verbose, pattern = _verbose_filter(args)
        cfg = self.load_config if verbose else SHORT_LOAD
        if ctx.breakpoint is not None:
            if pattern:
                raise CommandError(f"on <bp> {which} takes no filter")
            ctx.changes["LoadLocals" if which == "locals" else "LoadArgs"] = cfg
            return ""
        if ctx.goroutine is not None:
            client = self._client_for(f"reading {which}")
            scope = self.session.scope(ctx.frame, ctx.goroutine, ctx.deferred)
            read = client.list_local_vars if which == "locals" else client.list_function_args
            try:
                found = await read(scope, cfg)
            except RPCError as exc:
                raise SessionError(exc.message) from exc
        else:
            read = self.session.locals if which == "locals" else self.session.args
            found = await read(frame=ctx.frame, cfg=cfg, deferred=ctx.deferred)
        return self._variables_text(which, found, pattern, verbose)

    def _variables_text(self, which: str, found: Sequence[Variable], pattern: str, verbose: bool) -> str:
        try:
            regex = re.compile(pattern) if pattern else None
        except re.error as exc:
            raise CommandError(f"{which}: bad regex {pattern!r}: {exc}") from exc
        lines = []
        for v in found:
            if regex is not None and not regex.search(v.name):
                continue
            name = f"({v.name})" if is_shadowed(v) else v.name
            lines.append(f"{name} = {format_value(v) if verbose else summary(v, width=0)}")
        if not lines:
            return f"(no {which})"
        return _capped(lines, "narrow it with a regex")

    async def _cmd_vars(self, ctx: _Scope, args: str) -> str:
        verbose, pattern = _verbose_filter(args)
        found = await self.session.package_vars(pattern, self.load_config if verbose else SHORT_LOAD)
        return self._variables_text("vars", found, "", verbose)

    async def _cmd_regs(self, ctx: _Scope, args: str) -> str:
        if args not in ("", "-a"):
            raise self._usage("regs", f"unknown argument {args!r}")
        _, regs = await self.session.registers(include_fp=args == "-a")
        width = max((len(r.Name) for r in regs), default=0)
        return "\n".join(f"{r.Name:>{width}} = {r.Value}" for r in regs)

    async def _cmd_examinemem(self, ctx: _Scope, args: str) -> str:
        fmt, count, size, operand, is_expr = _parse_examine(args)
        if count * size > MAX_EXAMINE_BYTES:
            raise CommandError(f"examinemem: {count}×{size} bytes is more than the {MAX_EXAMINE_BYTES} a console can show; lower -count")
        address = None if is_expr else _number(operand)
        if address is None:
            v = await self.session.eval(operand, SHORT_LOAD, **self._eval_kw(ctx))
            if v.kind == KIND_PTR and v.children:
                if is_fake_address(v.children[0]) or not v.children[0].addr:
                    raise CommandError(f"examinemem: {operand} has no memory address (it lives in a register); examine a variable in memory")
                address = v.children[0].addr
            elif v.value and _number(v.value.rsplit("(", 1)[-1].rstrip(")")) is not None:
                address = _number(v.value.rsplit("(", 1)[-1].rstrip(")"))
            else:
                raise CommandError(f"examinemem: {operand} is a {v.type or 'value'}, not an address: use &{operand} or a pointer")
        mem = await self.session.examine_memory(address, count * size)
        return examine_text(address, mem, fmt, size)

    # ----- goroutines and threads -----

    async def _cmd_goroutines(self, ctx: _Scope, args: str) -> str:
        opts = _parse_goroutines(args)
        session = self.session
        lines: list[str] = []
        if opts.group_by:
            out = await session.goroutines(
                0, 0, filters=opts.filters, group_by=opts.group_by, group_by_key=opts.group_key,
                max_group_members=5, max_groups=50,
            )
            gs = out.Goroutines or []
            for i, grp in enumerate(out.Groups or []):
                lines.append(grp.Name)
                for g in gs[grp.Offset : grp.Offset + grp.Count]:
                    lines += await self._goroutine_entry(g, opts, "\t")
                lines.append(f"\tTotal: {grp.Total}")
                if i != len(out.Groups or []) - 1:
                    lines.append("")
            if out.TooManyGroups:
                lines.append("Too many groups")
            return "\n".join(lines)
        gs: list[Goroutine] = []
        start = 0
        # Delve does not page a channel's wait queue (Nextg is -1 at once): ask for all of it.
        by_channel = any(f.Kind == FILTER_WAITING_ON_CHANNEL for f in opts.filters)
        while start >= 0:
            out = await session.goroutines(start, MAX_CHANNEL_WAITERS if by_channel else GOROUTINE_PAGE, filters=opts.filters)
            gs += out.Goroutines or []
            if 0 <= out.Nextg <= start:
                break
            start = out.Nextg
        gs.sort(key=lambda g: g.id)
        for g in gs[:MAX_GOROUTINE_LINES]:
            lines += await self._goroutine_entry(g, opts, "")
            if opts.exec_command:
                result = await self._dispatch(opts.exec_command, _Scope(goroutine=g.id))
                text = result.output if isinstance(result, CommandResult) else result
                if text:
                    lines.append(text)
        if len(gs) > MAX_GOROUTINE_LINES:
            lines.append(f"… {len(gs) - MAX_GOROUTINE_LINES} more, use -group (e.g. goroutines -group userloc) or -with to narrow")
        if gs:
            lines.append(f"[{len(gs)} goroutines]")
        return "\n".join(lines) if lines else "no goroutines match"

    async def _goroutine_entry(self, g: Goroutine, opts: _GoroutineOptions, indent: str) -> list[str]:
        out = [f"{self._mark(g, indent)}Goroutine {self._goroutine_line(g, opts.which)}"]
        if opts.labels and g.labels:
            out.append(f"{indent}\t{_labels(g.labels)}")
        if opts.stack_depth is not None:
            out += self._stack_text(await self.session.stack(opts.stack_depth, g.id), indent + "\t")
        return out

    async def _cmd_goroutine(self, ctx: _Scope, args: str) -> CommandResult | str:
        if ctx.breakpoint is not None:
            if args:
                raise CommandError("on <bp> goroutine takes no arguments")
            ctx.changes["goroutine"] = True
            return ""
        if not args:
            state = self.session.state
            if state is None:
                raise SessionError("the program is not stopped")
            t = state.currentThread
            lines = [f"Thread {t.id} at {self.format_path(t.file)}:{t.line}" if t else "Thread <nil>"]
            if state.currentGoroutine is not None:
                lines += self._goroutine_long(state.currentGoroutine)
            return "\n".join(lines)
        gid_text, _, command = args.partition(" ")
        gid = _count(gid_text, "goroutine", "id", minimum=1)
        if command.strip():
            return await self._dispatch(command, _Scope(goroutine=gid, frame=ctx.frame, deferred=ctx.deferred))
        old = self.session.goroutine_id
        await self.session.select_goroutine(gid)
        state = self.session.state
        thread = state.currentThread.id if state and state.currentThread else 0
        return f"Switched from {max(old, 0)} to {gid} (thread {thread})"

    async def _cmd_threads(self, ctx: _Scope, args: str) -> str:
        _no_args("threads", args)
        state = self.session.state
        current = state.currentThread.id if state and state.currentThread else None
        lines = []
        for t in sorted(await self.session.threads(), key=lambda t: t.id):
            mark = "* " if t.id == current else "  "
            if t.function is not None:
                lines.append(f"{mark}Thread {t.id} at {t.pc:#x} {self.format_path(t.file)}:{t.line} {t.function.name}")
            else:
                lines.append(f"{mark}Thread {t.id} at {self.format_path(t.file)}:{t.line}")
        return "\n".join(lines)

    async def _cmd_thread(self, ctx: _Scope, args: str) -> str:
        if not args:
            raise self._usage("thread", "say which thread")
        tid = _count(args, "thread", "id", minimum=1)
        threads = await self.session.threads()
        thread = next((t for t in threads if t.id == tid), None)
        if thread is None:
            known = ", ".join(str(t.id) for t in sorted(threads, key=lambda t: t.id)[:10])
            raise CommandError(f"thread: there is no thread {tid} (threads: {known})")
        if not thread.goroutineID:
            raise CommandError(f"thread {tid} is not running a goroutine; pick another with `threads`")
        state = self.session.state
        old = state.currentThread.id if state and state.currentThread else "<none>"
        await self.session.select_goroutine(thread.goroutineID)
        return f"Switched from {old} to {tid}"

    # ----- stack and frames -----

    async def _cmd_stack(self, ctx: _Scope, args: str) -> str:
        depth, full, defers = 50, False, False
        for word in args.split():
            if word == "-full":
                full = True
            elif word == "-defer":
                defers = True
            elif re.fullmatch(r"\d+", word):
                depth = int(word)
            else:
                raise self._usage("stack", f"{word!r} is neither a depth nor -full/-defer")
        if ctx.breakpoint is not None:
            ctx.changes["stacktrace"] = depth
            return ""
        if full:
            client = self._client_for("reading the stack")
            gid = self.session.goroutine_id if ctx.goroutine is None else ctx.goroutine
            try:
                frames = await client.stacktrace(gid, depth, full=True, defers=defers, cfg=SHORT_LOAD)
            except RPCError as exc:
                raise SessionError(exc.message) from exc
        else:
            frames = await self.session.stack(depth, ctx.goroutine, defers=defers)
        return "\n".join(self._stack_text(frames, show_vars=full)).rstrip("\n")

    async def _cmd_frame(self, ctx: _Scope, args: str) -> CommandResult | str:
        if not args:
            raise self._usage("frame", "say which frame")
        n_text, _, command = args.partition(" ")
        return await self._frame_to(ctx, _count(n_text, "frame", "frame number", minimum=0), command.strip())

    async def _cmd_up(self, ctx: _Scope, args: str) -> CommandResult | str:
        return await self._frame_move(ctx, args, +1, "up")

    async def _cmd_down(self, ctx: _Scope, args: str) -> CommandResult | str:
        return await self._frame_move(ctx, args, -1, "down")

    async def _frame_move(self, ctx: _Scope, args: str, direction: int, name: str) -> CommandResult | str:
        n_text, _, command = args.partition(" ")
        steps = _count(n_text, name, "count", minimum=1) if n_text else 1
        base = self.session.frame if ctx.frame is None else ctx.frame
        target = base + direction * steps
        if target < 0:
            raise CommandError(f"{name}: frame {target} does not exist; frame 0 is the innermost")
        return await self._frame_to(ctx, target, command.strip())

    async def _frame_to(self, ctx: _Scope, frame: int, command: str) -> CommandResult | str:
        if command:
            return await self._dispatch(command, _Scope(goroutine=ctx.goroutine, frame=frame))
        if ctx.goroutine is not None:
            raise CommandError("goroutine N frame M needs a command to run; to select both use goroutine N, then frame M")
        loc = await self.session.select_frame(frame)
        lines = [f"Frame {frame}: {self.format_path(loc.file)}:{loc.line} (PC: {loc.pc:x})"]
        lines += self._source_lines(loc.file, loc.line, arrow=True)
        return CommandResult("\n".join(lines), ui={"source": (self.session.map_to_local(loc.file), loc.line)})

    async def _cmd_deferred(self, ctx: _Scope, args: str) -> CommandResult | str:
        n_text, _, command = args.partition(" ")
        if not command.strip():
            raise self._usage("deferred", "give the deferred call's number and a command")
        n = _count(n_text, "deferred", "number", minimum=1)
        return await self._dispatch(command, _Scope(goroutine=ctx.goroutine, frame=ctx.frame, deferred=n))

    # ----- source and code -----

    def _source_lines(self, path: str, line: int, *, arrow: bool) -> list[str]:
        local = self.session.map_to_local(path)
        try:
            with open(local, encoding="utf-8", errors="replace") as f:
                text = f.read().splitlines()
        except OSError as exc:
            hint = "map it with config substitute-path <from> <to>" if not os.path.exists(local) else "check its permissions"
            raise CommandError(f"cannot read {local}: {exc.strerror or exc}; {hint}") from exc
        n = self.source_list_line_count
        first, last = max(1, line - n), min(len(text), line + n)
        return [f"{'=>' if arrow and i == line else '  '}{i:4d}:\t{text[i - 1]}" for i in range(first, last + 1)]

    async def _cmd_list(self, ctx: _Scope, args: str) -> CommandResult:
        if args:
            locs = await self.session.find_locations(args)
            if len(locs) > 1:
                names = ", ".join(sorted({(l.function.name if l.function else f"{l.file}:{l.line}") for l in locs})[:6])
                raise CommandError(f"list: {args!r} is ambiguous ({names}); be more specific")
            loc = locs[0]
            header = f"Showing {self.format_path(loc.file)}:{loc.line} (PC: {loc.pc:#x})"
            arrow = False
        elif ctx.scoped or self.session.frame > 0:
            frame = self.session.frame if ctx.frame is None else ctx.frame
            frames = await self.session.stack(frame, ctx.goroutine)
            if len(frames) <= frame:
                raise CommandError(f"list: frame {frame} does not exist")
            f = frames[frame]
            loc = Location(pc=f.pc, file=f.file, line=f.line, function=f.function)
            gid = self.session.goroutine_id if ctx.goroutine is None else ctx.goroutine
            header = f"Goroutine {gid} frame {frame} at {self.format_path(loc.file)}:{loc.line} (PC: {loc.pc:#x})"
            arrow = True
        else:
            current = self.session.current_location()
            if current is None:
                raise SessionError("the program is not stopped anywhere: give a location, like list main.main")
            loc = current
            header = "\n".join(self._stop_text(self.session.state)) or self._location_context(loc)
            arrow = True
        if not loc.file:
            raise CommandError(f"no source for {loc.pc:#x}: try disassemble")
        lines = [header, *self._source_lines(loc.file, loc.line, arrow=arrow)]
        return CommandResult("\n".join(lines), ui={"source": (self.session.map_to_local(loc.file), loc.line)})

    async def _cmd_disassemble(self, ctx: _Scope, args: str) -> str:
        words = args.split()
        if not words:
            insts = await self.session.disassemble()
        elif words[0] == "-a" and len(words) == 3:
            start, end = _number(words[1]), _number(words[2])
            if start is None or end is None:
                bad = words[1] if start is None else words[2]
                raise CommandError(f"disassemble -a: {bad!r} is not an address (use numbers like 0x4a1b20)")
            insts = await self.session.disassemble(start, end)
        elif words[0] == "-l" and len(words) >= 2:
            locs = await self.session.find_locations(" ".join(words[1:]))
            if len(locs) != 1:
                raise CommandError("disassemble -l: the locspec names several locations; be more specific")
            insts = await self.session.disassemble(locs[0].pc)
        else:
            raise self._usage("disassemble")
        if not insts:
            return ""
        rows = []
        for inst in insts:
            raw = base64.b64decode(inst.Bytes).hex() if inst.Bytes else ""
            rows.append(
                [
                    "=>" if inst.AtPC else "",
                    f"{os.path.basename(inst.Loc.file)}:{inst.Loc.line}",
                    f"{inst.Loc.pc:#x}{'*' if inst.Breakpoint else ''}",
                    raw,
                    inst.Text,
                ]
            )
        fn = insts[0].Loc.function
        head = [f"TEXT {fn.name}(SB) {insts[0].Loc.file}"] if fn is not None else []
        return "\n".join(head + _columns(rows))

    async def _cmd_funcs(self, ctx: _Scope, args: str) -> str:
        return _capped(sorted(await self.session.functions(args)), "narrow it with a regex")

    async def _cmd_types(self, ctx: _Scope, args: str) -> str:
        return _capped(sorted(await self.session.types(args)), "narrow it with a regex")

    async def _cmd_sources(self, ctx: _Scope, args: str) -> str:
        return _capped(sorted(await self.session.sources(args)), "narrow it with a regex")

    # ----- configuration, UI, help -----

    async def _cmd_config(self, ctx: _Scope, args: str) -> str:
        words = args.split()
        if not words:
            raise self._usage("config")
        key, values = words[0], words[1:]
        if key == "-list":
            rules = self.session.substitute_path
            lines = [
                f"max-string-len           {self.max_string_len}",
                f"max-array-values         {self.max_array_values}",
                f"max-variable-recurse     {self.max_variable_recurse}",
                f"source-list-line-count   {self.source_list_line_count}",
                "substitute-path          " + ("(none)" if not rules else ""),
                *(f"    {a} → {b}" for a, b in rules),
            ]
            return "\n".join(lines)
        if key == "substitute-path":
            return self._config_substitute(values)
        limits = {
            "max-string-len": "max_string_len",
            "max-array-values": "max_array_values",
            "max-variable-recurse": "max_variable_recurse",
            "source-list-line-count": "source_list_line_count",
        }
        if key not in limits:
            raise CommandError(f"config: unknown parameter {key!r}; known: -list, substitute-path, {', '.join(limits)}")
        if len(values) != 1:
            raise self._usage("config", f"{key} takes one number")
        setattr(self, limits[key], _count(values[0], f"config {key}", "value", minimum=0))
        return f"{key} = {values[0]}"

    def _config_substitute(self, values: list[str]) -> str:
        rules = self.session.substitute_path
        if values == ["-clear"]:
            rules.clear()
            return "substitute-path rules cleared"
        if len(values) == 1:
            before = len(rules)
            rules[:] = [r for r in rules if r[0] != values[0]]
            if len(rules) == before:
                raise CommandError(f"config substitute-path: no rule from {values[0]}")
            return f"substitute-path rule for {values[0]} removed"
        if len(values) != 2:
            raise self._usage("config", "substitute-path takes <from> <to>, <from>, or -clear")
        src, dst = values
        for i, (a, _) in enumerate(rules):
            if a == src:
                rules[i] = (src, dst)
                break
        else:
            rules.append((src, dst))
        return f"substitute-path {src} → {dst}"

    async def _cmd_focus(self, ctx: _Scope, args: str) -> CommandResult:
        if args not in PANES:
            raise self._usage("focus", f"unknown pane {args!r}" if args else "say which pane")
        return CommandResult(focus=args)

    async def _cmd_heap(self, ctx: _Scope, args: str) -> CommandResult:
        _no_args("heap", args)
        return CommandResult(focus="heap", ui={"heap": True})

    async def _cmd_theme(self, ctx: _Scope, args: str) -> CommandResult:
        if not args or " " in args:
            raise self._usage("theme", "give one theme name")
        return CommandResult(ui={"theme": args})

    async def _cmd_help(self, ctx: _Scope, args: str) -> str:
        if args:
            spec = self.resolve(args)
            if spec is None:
                raise CommandError(self._unknown(args))
            names = f" (alias: {' | '.join(spec.aliases)})" if spec.aliases else ""
            summary_line, _, rest = spec.help.partition("\n")
            text = f"{summary_line}{names}\n\n\t{spec.usage}"
            return text + ("\n\n" + rest.strip() if rest.strip() else "")
        lines = ["The following commands are available:"]
        for group in GROUPS:
            lines += ["", f"{group}:"]
            for spec in sorted((c for c in COMMANDS if c.group == group), key=lambda c: c.name):
                names = f"{spec.name} (alias: {' | '.join(spec.aliases)})" if spec.aliases else spec.name
                lines.append(f"    {names:<40} {spec.summary}")
        if self.aliases:
            lines += ["", "Your aliases:", *(f"    {a} → {t}" for a, t in sorted(self.aliases.items()))]
        lines += ["", "Type help followed by a command for full documentation."]
        return "\n".join(lines)

    async def _cmd_exit(self, ctx: _Scope, args: str) -> CommandResult:
        modes = {"": None, "-c": "continue", "-d": "detach"}
        if args not in modes:
            raise self._usage("exit", f"unknown argument {args!r}")
        return CommandResult(quit=True, ui={"exit": modes[args]} if modes[args] else None)


async def run_script(
    interp: CommandInterpreter,
    lines: Iterable[str],
    on_output: Callable[[str, str], None],
    *,
    source: str = "init script",
    on_result: Callable[[CommandResult], None] | None = None,
) -> bool:
    """Run commands one after another (``--init``); True when the script asked to quit.

    Blank lines and ``#`` comments are skipped. ``on_output(kind, text)`` gets
    each command (kind ``"command"``), its output (``"output"``) and, for the
    first failing line, ``"error"`` with ``<source>:<line>: <message>`` — the
    script stops there. ``exit``/``quit`` stop it without asking anything.
    ``on_result`` sees every result, for UI requests such as ``focus``.
    """
    for number, raw in enumerate(lines, 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        on_output("command", line)
        try:
            result = await interp.execute(line)
        except (CommandError, SessionError) as exc:
            on_output("error", f"{source}:{number}: {exc}")
            return False
        if result.output:
            on_output("output", result.output)
        if on_result is not None:
            on_result(result)
        if result.quit:
            return True
    return False


# ----- parsing helpers -----


def _no_args(name: str, args: str) -> None:
    if args:
        raise CommandError(f"{name} takes no arguments (got {args!r}); usage: {_BY_NAME[name].usage}")


def _count(text: str, command: str, what: str, *, minimum: int = 1) -> int:
    """A whole-number argument, or an error naming the command and the argument."""
    value = _number(text)
    if value is None or value < minimum:
        need = "a positive number" if minimum >= 1 else "a number (0 or more)"
        raise CommandError(f"{command}: {what} must be {need}, got {text!r}")
    return value


def _number(text: str) -> int | None:
    try:
        return int(text.strip(), 0)
    except ValueError:
        return None


def _bp_ref(text: str) -> str | int:
    return int(text) if text.isdigit() else text


def _bp_name(bp: Breakpoint, upcase: bool) -> str:
    thing = "watchpoint" if bp.WatchExpr else ("tracepoint" if bp.tracepoint else "breakpoint")
    if upcase:
        thing = thing.capitalize()
    ident = bp.name or str(bp.id)
    if bp.WatchExpr and bp.WatchExpr != bp.name:
        return f"{thing} {ident} on [{bp.WatchExpr}]"
    return f"{thing} {ident}"


def _is_short(cfg: LoadConfig) -> bool:
    return not cfg.FollowPointers and cfg.MaxArrayValues == 0 and cfg.MaxVariableRecurse == 0


def _bp_attrs(bp: Breakpoint, prefix: str, *, include_trace: bool = False) -> list[str]:
    attrs = []
    if bp.Cond:
        attrs.append(f"{prefix}cond {bp.Cond}")
    if bp.HitCond:
        attrs.append(f"{prefix}cond {'-per-g-hitcount' if bp.HitCondPerG else '-hitcount'} {bp.HitCond}")
    if bp.stacktrace:
        attrs.append(f"{prefix}stack {bp.stacktrace}")
    if bp.goroutine:
        attrs.append(f"{prefix}goroutine")
    if bp.LoadArgs is not None:
        attrs.append(f"{prefix}args{'' if _is_short(bp.LoadArgs) else ' -v'}")
    if bp.LoadLocals is not None:
        attrs.append(f"{prefix}locals{'' if _is_short(bp.LoadLocals) else ' -v'}")
    attrs += [f"{prefix}print {v}" for v in bp.variables or []]
    attrs += [f"{prefix}{c}" for c in bp.customCommands or []]
    if include_trace and bp.tracepoint:
        attrs.append(f"{prefix}trace")
    attrs += [f"{prefix}{d}" for d in bp.VerboseDescr or []]
    return attrs


def _hit_condition(text: str) -> str:
    m = re.fullmatch(r"\s*(>=|<=|==|!=|>|<|%)\s*(\S+)\s*", text)
    if not m or _number(m.group(2)) is None:
        ops = " ".join(HIT_OPERATORS)
        raise CommandError(f"condition -hitcount: expected <operator> <number> with operator one of {ops}, got {text!r}")
    return f"{m.group(1)} {m.group(2)}"


def _split_format(args: str) -> tuple[str, str]:
    if not args.startswith("%"):
        return "", args
    fmt, _, rest = args.partition(" ")
    return fmt, rest.strip()


def _verbose_filter(args: str) -> tuple[bool, str]:
    first, _, rest = args.partition(" ")
    if first == "-v":
        return True, rest.strip()
    return False, args


def _split_assignment(args: str) -> tuple[str, str]:
    """``lhs = rhs`` split at the first lone ``=`` outside quotes and brackets."""
    depth = 0
    quote = ""
    for i, ch in enumerate(args):
        if quote:
            if ch == quote and args[i - 1] != "\\":
                quote = ""
            continue
        if ch in "\"'`":
            quote = ch
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == "=" and depth == 0:
            before = args[i - 1] if i else ""
            after = args[i + 1] if i + 1 < len(args) else ""
            if before in "=!<>:" and before or after == "=":
                continue
            lhs, rhs = args[:i].strip(), args[i + 1 :].strip()
            if not lhs or not rhs:
                break
            return lhs, rhs
    raise CommandError(f"set: expected <variable> = <value>, got {args!r}")


def _labels(labels: dict[str, str]) -> str:
    keys = sorted(labels)
    shown = ", ".join(f"{go_quote(k)}:{go_quote(labels[k])}" for k in keys[:5])
    more = f"... ({len(keys) - 5} more)" if len(keys) > 5 else ""
    return f"Labels: {shown}{more}"


def _capped(lines: Sequence[str], hint: str) -> str:
    if len(lines) <= MAX_OUTPUT_LINES:
        return "\n".join(lines)
    return "\n".join([*lines[:MAX_OUTPUT_LINES], f"… {len(lines) - MAX_OUTPUT_LINES} more lines; {hint}"])


def _columns(rows: Sequence[Sequence[str]], gap: int = 1) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return ["".join(cell.ljust(w + gap) for cell, w in zip(r, widths)).rstrip() for r in rows]


@dataclass
class _GoroutineOptions:
    which: str = "u"
    labels: bool = False
    stack_depth: int | None = None
    filters: list[ListGoroutinesFilter] = field(default_factory=list)
    group_by: int = 0
    group_key: str = ""
    exec_command: str = ""


def _parse_goroutines(args: str) -> _GoroutineOptions:
    """api.ParseGoroutineArgs, with errors that say which argument is wrong."""
    opts = _GoroutineOptions()
    words = _QUOTED_WORDS.findall(args)
    usage = "see help goroutines"
    i = 0

    def field_kind(flag: str, at: int) -> int:
        if at >= len(words) or words[at] not in GOROUTINE_FIELD:
            got = repr(words[at]) if at < len(words) else "nothing"
            raise CommandError(f"goroutines: {flag} needs one of {', '.join(GOROUTINE_FIELD)}, got {got}")
        return GOROUTINE_FIELD[words[at]]

    while i < len(words):
        w = words[i]
        if w in ("-u", "-r", "-g", "-s"):
            opts.which = w[1]
        elif w == "-l":
            opts.labels = True
        elif w == "-t":
            opts.stack_depth = 10
            if i + 1 < len(words) and words[i + 1].isdigit():
                opts.stack_depth = int(words[i + 1])
                i += 1
        elif w in ("-w", "-with", "-wo", "-without"):
            kind = field_kind(w, i + 1)
            i += 1
            arg = ""
            if kind not in (GOROUTINE_FIELD["running"], GOROUTINE_FIELD["user"]):
                if i + 1 >= len(words):
                    raise CommandError(f"goroutines: {w} {words[i]} needs to be followed by a value")
                arg = words[i + 1]
                i += 1
            opts.filters.append(ListGoroutinesFilter(Kind=kind, Negated=w in ("-wo", "-without"), Arg=arg))
        elif w == "-group":
            opts.group_by = field_kind(w, i + 1)
            i += 1
            if opts.group_by == GOROUTINE_FIELD["label"]:
                if i + 1 >= len(words):
                    raise CommandError("goroutines: -group label needs the label key, like -group label worker")
                opts.group_key = words[i + 1]
                i += 1
        elif w == "-chan":
            if i + 1 >= len(words):
                raise CommandError("goroutines: -chan needs a channel expression")
            opts.filters.append(ListGoroutinesFilter(Kind=FILTER_WAITING_ON_CHANNEL, Arg=words[i + 1]))
            i += 1
        elif w == "-exec":
            opts.exec_command = " ".join(words[i + 1 :])
            if not opts.exec_command:
                raise CommandError("goroutines: -exec needs a command, like -exec stack 3")
            break
        else:
            raise CommandError(f"goroutines: unknown argument {w!r}; {usage}")
        i += 1
    return opts


def _parse_examine(args: str) -> tuple[str, int, int, str, bool]:
    """api.ParseExamineMemoryArg → (format letter, count, size, operand, operand is an expression)."""
    formats = {"hex": "x", "hexadecimal": "x", "dec": "d", "decimal": "d", "oct": "o", "octal": "o", "bin": "b", "binary": "b"}
    fmt, count, size = "x", 1, 1
    words = args.split()
    i = 0
    while i < len(words):
        w = words[i]
        if w in ("-fmt", "-count", "-len", "-size"):
            if i + 1 >= len(words):
                raise CommandError(f"examinemem: {w} needs a value")
            value = words[i + 1]
            if w == "-fmt":
                if value not in formats:
                    raise CommandError(f"examinemem: {value!r} is not a format; use hex, dec, oct or bin")
                fmt = formats[value]
            elif w == "-size":
                size = _count(value, "examinemem", "-size")
                if size > 8:
                    raise CommandError(f"examinemem: -size must be 1 to 8 bytes, got {value}")
            else:
                count = _count(value, "examinemem", w)
            i += 2
            continue
        if w == "-x":
            operand = " ".join(words[i + 1 :])
            if not operand:
                raise CommandError("examinemem: -x needs an expression")
            return fmt, count, size, operand, True
        if w.startswith("-") and _number(w) is None:
            raise CommandError(f"examinemem: unknown option {w!r}; usage: {_BY_NAME['examinemem'].usage}")
        return fmt, count, size, " ".join(words[i:]), False
    raise CommandError(f"examinemem: no address given; usage: {_BY_NAME['examinemem'].usage}")


def examine_text(address: int, mem: bytes, fmt: str, size: int) -> str:
    """api.PrettyExamineMemory: rows of 8 values (4 in binary) after the row's address."""
    cols = 4 if fmt == "b" else 8
    cell = {
        "b": lambda n: format(n, f"0{size * 8}b"),
        "o": lambda n: "0" + format(n, f"0{size * 3}o"),
        "d": lambda n: format(n, f"0{size * 3}d"),
        "x": lambda n: "0x" + format(n, f"0{size * 2}x"),
    }[fmt]
    addr_len = len(f"{address + len(mem):x}") if mem else 0
    rows = []
    row_bytes = cols * size
    for start in range(0, len(mem), row_bytes):
        chunk = mem[start : start + row_bytes]
        values = [int.from_bytes(chunk[j : j + size], "little") for j in range(0, len(chunk) - size + 1, size)]
        rows.append([f"0x{address + start:0{addr_len}x}:", *(cell(v) for v in values)])
    width = max((len(r) for r in rows), default=0)
    for r in rows:
        r += [""] * (width - len(r))
    return "\n".join(_columns(rows, gap=3)) if rows else ""


# Go runtime wait reasons by Go minor version (generated from Delve's service/api/waitreason.go).
_WAIT_REASON_TABLES = {
    18: (
        "GC assist marking|IO wait|chan receive (nil chan)|chan send (nil chan)|dumping heap"
        "|garbage collection|garbage collection scan|panicwait|select|select (no cases)|GC assist wait"
        "|GC sweep wait|GC scavenge wait|chan receive|chan send|finalizer wait|force gc (idle)"
        "|semacquire|sleep|sync.Cond.Wait|timer goroutine (idle)|trace reader (blocked)"
        "|wait for GC cycle|GC worker (idle)|preempted|debug call"
    ),
    20: (
        "GC assist marking|IO wait|chan receive (nil chan)|chan send (nil chan)|dumping heap"
        "|garbage collection|garbage collection scan|panicwait|select|select (no cases)|GC assist wait"
        "|GC sweep wait|GC scavenge wait|chan receive|chan send|finalizer wait|force gc (idle)"
        "|semacquire|sleep|sync.Cond.Wait|sync.Mutex.Lock|sync.RWMutex.RLock|sync.RWMutex.Lock"
        "|trace reader (blocked)|wait for GC cycle|GC worker (idle)|GC worker (active)|preempted"
        "|debug call|GC mark termination|stopping the world"
    ),
    22: (
        "GC assist marking|IO wait|chan receive (nil chan)|chan send (nil chan)|dumping heap"
        "|garbage collection|garbage collection scan|panicwait|select|select (no cases)|GC assist wait"
        "|GC sweep wait|GC scavenge wait|chan receive|chan send|finalizer wait|force gc (idle)"
        "|semacquire|sleep|sync.Cond.Wait|sync.Mutex.Lock|sync.RWMutex.RLock|sync.RWMutex.Lock"
        "|trace reader (blocked)|wait for GC cycle|GC worker (idle)|GC worker (active)|preempted"
        "|debug call|GC mark termination|stopping the world|flushing proc caches|trace goroutine status"
        "|trace proc status|page trace flush|coroutine"
    ),
    24: (
        "GC assist marking|IO wait|chan receive (nil chan)|chan send (nil chan)|dumping heap"
        "|garbage collection|garbage collection scan|panicwait|select|select (no cases)|GC assist wait"
        "|GC sweep wait|GC scavenge wait|chan receive|chan send|finalizer wait|force gc (idle)"
        "|semacquire|sleep|sync.Cond.Wait|sync.Mutex.Lock|sync.RWMutex.RLock|sync.RWMutex.Lock"
        "|sync.WaitGroup.Wait|trace reader (blocked)|wait for GC cycle|GC worker (idle)"
        "|GC worker (active)|preempted|debug call|GC mark termination|stopping the world"
        "|flushing proc caches|trace goroutine status|trace proc status|page trace flush|coroutine"
        "|GC weak to strong wait|synctest.Run|synctest.Wait|chan receive (synctest)|chan send (synctest)"
    ),
    25: (
        "GC assist marking|IO wait|chan receive (nil chan)|chan send (nil chan)|dumping heap"
        "|garbage collection|garbage collection scan|panicwait|select|select (no cases)|GC assist wait"
        "|GC sweep wait|GC scavenge wait|chan receive|chan send|finalizer wait|force gc (idle)"
        "|GOMAXPROCS updater (idle)|semacquire|sleep|sync.Cond.Wait|sync.Mutex.Lock|sync.RWMutex.RLock"
        "|sync.RWMutex.Lock|sync.WaitGroup.Wait|trace reader (blocked)|wait for GC cycle"
        "|GC worker (idle)|GC worker (active)|preempted|debug call|GC mark termination"
        "|stopping the world|flushing proc caches|trace goroutine status|trace proc status"
        "|page trace flush|coroutine|GC weak to strong wait|synctest.Run|synctest.Wait"
        "|chan receive (durable)|chan send (durable)|select (durable)|sync.WaitGroup.Wait (durable)"
        "|cleanup wait"
    ),
    26: (
        "GC assist marking|IO wait|dumping heap|garbage collection|garbage collection scan|panicwait"
        "|GC assist wait|GC sweep wait|GC scavenge wait|finalizer wait|force gc (idle)"
        "|GOMAXPROCS updater (idle)|semacquire|sleep|chan receive (nil chan)|chan send (nil chan)"
        "|select (no cases)|select|chan receive|chan send|sync.Cond.Wait|sync.Mutex.Lock"
        "|sync.RWMutex.RLock|sync.RWMutex.Lock|sync.WaitGroup.Wait|trace reader (blocked)"
        "|wait for GC cycle|GC worker (idle)|GC worker (active)|preempted|debug call|GC mark termination"
        "|stopping the world|flushing proc caches|trace goroutine status|trace proc status"
        "|page trace flush|coroutine|GC weak to strong wait|synctest.Run|synctest.Wait"
        "|chan receive (durable)|chan send (durable)|select (durable)|sync.WaitGroup.Wait (durable)"
        "|cleanup wait"
    ),
}


def wait_reason(go_version: tuple[int, int, int], reason: int) -> str:
    """The runtime's name for a goroutine's wait reason number, which differs between Go versions."""
    major, minor = go_version[0], go_version[1]
    table = max((k for k in _WAIT_REASON_TABLES if k <= minor), default=None)
    names = _WAIT_REASON_TABLES[table].split("|") if major == 1 and table is not None and minor <= 27 else []
    if 0 < reason <= len(names):
        return names[reason - 1]
    return f"unknown wait reason {reason}"

