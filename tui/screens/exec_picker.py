"""Pick a Go binary to run under ``dlv exec``, or a main package to build and run under ``dlv debug``."""

from __future__ import annotations

import os
import shlex
import stat
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, Literal

from rich.style import Style
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.screen import ModalScreen
from textual.timer import Timer
from textual.widgets import DirectoryTree, Footer, Input, Label
from textual.widgets.directory_tree import DirEntry
from textual.widgets.tree import TreeNode

from godbg_tui.adapters.dlv.launcher import LaunchSpec
from godbg_tui.adapters.gobinary import BuildInfo, BuildInfoCache, is_elf, is_main_package
from godbg_tui.tui.widgets.filter_list import PickerFrame
from godbg_tui.tui.glyphs import glyphs

NO_DEBUG_INFO = "no debug info: rebuild with -gcflags=all=-N -l, without -ldflags=-s -w"
_FILTER_DELAY_S = 0.15


@dataclass(frozen=True)
class Candidate:
    """What a tree entry is to the picker.

    kind: "go" (a Go binary, ``build`` set), "elf" (a non-Go ELF),
    "script" (another executable file) or "package" (a directory holding
    ``package main``).
    """

    kind: Literal["go", "elf", "script", "package"]
    build: BuildInfo | None = None

    @property
    def debuggable(self) -> bool:
        return self.kind == "package" or (self.kind == "go" and self.build is not None and self.build.has_debug_info)


def classify(path: Path, cache: BuildInfoCache) -> Candidate | None:
    """What ``path`` is to the picker (blocking: reads the file); None for anything not pickable.

    Not pickable: dot files, plain directories, non-executable or special files.
    """
    if path.name.startswith("."):
        return None
    try:
        st = path.stat()
    except OSError:
        return None
    if stat.S_ISDIR(st.st_mode):
        return Candidate("package") if is_main_package(path) else None
    if not stat.S_ISREG(st.st_mode) or not st.st_mode & 0o111:
        return None
    build = cache.get(path)
    if build is not None:
        return Candidate("go", build)
    return Candidate("elf") if is_elf(path) else Candidate("script")


def problem_with(path: Path, candidate: Candidate | None) -> str | None:
    """Why Delve cannot start from ``path``, or None if it can."""
    if candidate is None:
        return f"cannot debug {path.name}: it is neither an executable nor a package main directory"
    if candidate.kind == "go" and candidate.build is not None and not candidate.build.has_debug_info:
        return f"cannot debug {path.name}: {NO_DEBUG_INFO}"
    if candidate.kind == "elf":
        return f"cannot debug {path.name}: it is not a Go program"
    if candidate.kind == "script":
        return f"cannot debug {path.name}: it is not a binary; pick a Go binary or a package main directory"
    return None


class GoBinaryTree(DirectoryTree):
    """A DirectoryTree of directories and executables, Go binaries and main packages annotated.

    Entries are classified in the tree's loader thread (``filter_paths``),
    so reading binaries never blocks the UI; ``name_filter`` keeps only files
    whose name contains it (directories always stay, to navigate through).
    Enter is left to the screen (``auto_expand`` off); → / ← open and close.
    """

    ICON_FILE = "  "

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("right", "open_node", "Open", show=False, id="exec.open-dir"),
        Binding("left", "close_node", "Close", show=False, id="exec.close-dir"),
    ]

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "go-binary-tree--go",
        "go-binary-tree--warning",
        "go-binary-tree--muted",
        "go-binary-tree--package",
    }

    DEFAULT_CSS = """
    GoBinaryTree > .go-binary-tree--go { color: $text-success; }
    GoBinaryTree > .go-binary-tree--warning { color: $text-warning; }
    GoBinaryTree > .go-binary-tree--muted { color: $text-muted; }
    GoBinaryTree > .go-binary-tree--package { color: $text-accent; }
    """

    def __init__(self, path: str | Path, *, cache: BuildInfoCache, id: str | None = None) -> None:
        self.cache = cache
        self.name_filter = ""
        self.candidates: dict[Path, Candidate] = {}
        g = glyphs()
        self.ICON_NODE_EXPANDED = g.tree_expanded
        self.ICON_NODE = g.tree_collapsed
        super().__init__(path, id=id)
        self.auto_expand = False
        self.show_root = False

    def filter_paths(self, paths: Iterable[Path]) -> Iterable[Path]:
        for path in paths:
            if path.name.startswith("."):
                continue
            is_dir = self._safe_is_dir(path)
            if not is_dir and self.name_filter and self.name_filter not in path.name.lower():
                continue
            candidate = classify(path, self.cache)
            if candidate is not None:
                self.candidates[path] = candidate
            elif is_dir:
                self.candidates.pop(path, None)
            else:
                continue
            yield path

    def render_label(self, node: TreeNode[DirEntry], base_style: Style, style: Style) -> Text:
        label = super().render_label(node, base_style, style)
        candidate = self.candidates.get(node.data.path) if node.data else None
        if candidate is None or not self.is_mounted:
            return label
        if candidate.kind == "package":
            label.append("  package main", self._style("package"))
        elif candidate.kind == "go" and candidate.build is not None:
            label.append(f"  {candidate.build.go_version}", self._style("go"))
            if not candidate.build.has_debug_info:
                label.append("  no debug info", self._style("warning"))
        else:
            label.stylize(self._style("muted"))
            label.append("  not Go" if candidate.kind == "elf" else "  not a binary", self._style("muted"))
        return label

    def _style(self, component: str) -> Style:
        """The component's foreground only, blended (muted colours are translucent), so the
        cursor line's background still shows through."""
        return Style(color=self.get_component_rich_style(f"go-binary-tree--{component}").color)

    def action_open_node(self) -> None:
        node = self.cursor_node
        if node is not None and node.allow_expand and not node.is_expanded:
            node.expand()

    def action_close_node(self) -> None:
        node = self.cursor_node
        if node is None:
            return
        if node.allow_expand and node.is_expanded:
            node.collapse()
        elif node.parent is not None and node.parent is not self.root:
            self.move_cursor(node.parent)


class ExecPicker(ModalScreen[LaunchSpec | None]):
    """Choose a binary to exec (or a main package to build), then its arguments.

    A file tree rooted at ``start`` (default: the current directory) shows
    directories and executable files; Go binaries carry their Go version, ones
    without DWARF are flagged (and refused: Delve needs it), directories with
    ``package main`` are marked. Enter on a binary or package picks it and
    moves to the arguments field (shell syntax, split with shlex); Enter
    there dismisses with ``LaunchSpec(mode="exec", program=<binary>, args=…)``
    or ``LaunchSpec(mode="debug", program=<package dir>, args=…)``. Escape
    dismisses with None. ``/`` filters file names, or takes a path (Enter
    re-roots the tree at a directory or picks a file); backspace goes up a
    directory. ``purpose`` only changes the wording ("exec" or "debug").
    """

    DEFAULT_CSS = """
    ExecPicker { align: center middle; }
    ExecPicker #root { color: $text-muted; width: 100%; }
    ExecPicker GoBinaryTree { height: 1fr; border: none; padding: 0; margin: 1 0; }
    ExecPicker #target { color: $text-muted; width: 100%; }
    ExecPicker #target.-chosen { color: $text; }
    """

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="exec.cancel"),
        Binding("slash", "focus_filter", "Filter/path", id="exec.filter", key_display="/"),
        Binding("backspace", "parent_dir", "Up a dir", id="exec.parent"),
        Binding("f5,ctrl+r", "refresh", "Refresh", id="exec.refresh", key_display="F5"),
    ]

    AUTO_FOCUS = "GoBinaryTree"

    def __init__(
        self,
        start: str | os.PathLike[str] | None = None,
        *,
        purpose: Literal["exec", "debug"] = "exec",
        cache: BuildInfoCache | None = None,
    ) -> None:
        super().__init__()
        self.start = Path(start).expanduser().resolve() if start is not None else Path.cwd()
        self.purpose = purpose
        self.cache = cache or BuildInfoCache()
        self.target: tuple[Literal["exec", "debug"], Path] | None = None
        self._filter_timer: Timer | None = None

    def compose(self) -> ComposeResult:
        title = "Debug a package (dlv debug)" if self.purpose == "debug" else "Run a binary (dlv exec)"
        with PickerFrame(title):
            yield Label(str(self.start), id="root", markup=False)
            with Horizontal(classes="field"):
                yield Label("Filter")
                yield Input(placeholder="type to filter file names, or a path then Enter", id="filter")
            yield GoBinaryTree(self.start, cache=self.cache, id="tree")
            yield Label("Target     none yet: Enter on a Go binary or a package main directory", id="target")
            with Horizontal(classes="field"):
                yield Label("Arguments")
                yield Input(placeholder="program arguments (shell syntax)", id="args")
        yield Footer()

    @property
    def tree(self) -> GoBinaryTree:
        return self.query_one(GoBinaryTree)

    def _set_status(self, text: str, kind: str = "") -> None:
        self.query_one(PickerFrame).set_status(text, kind)

    def describe(self, path: Path) -> tuple[str, str]:
        """(status text, status class) for a highlighted entry."""
        candidate = self.tree.candidates.get(path)
        if candidate is None:
            return "", ""
        if candidate.kind == "package":
            g = glyphs()
            return (
                f"{path.name}: package main {g.separator} Enter builds and debugs it (dlv debug) "
                f"{g.separator} {g.arrow_right} opens the directory",
                "",
            )
        if candidate.kind == "go" and candidate.build is not None:
            build = candidate.build
            module = f"{build.path or build.main_module} {build.main_version}".strip()
            if not build.has_debug_info:
                return f"{path.name}: {build.go_version}, {module}; {NO_DEBUG_INFO}", "-warning"
            return f"{path.name}: {build.go_version}, {module}", ""
        if candidate.kind == "elf":
            return f"{path.name} is not a Go program", ""
        return f"{path.name} is not a binary (a script?)", ""

    @on(DirectoryTree.FileSelected)
    def _file_selected(self, event: DirectoryTree.FileSelected) -> None:
        event.stop()
        self.choose(event.path)

    @on(DirectoryTree.DirectorySelected)
    def _directory_selected(self, event: DirectoryTree.DirectorySelected) -> None:
        event.stop()
        candidate = self.tree.candidates.get(event.path)
        if candidate is not None and candidate.kind == "package":
            self.choose(event.path)
        else:
            event.node.toggle()

    @on(GoBinaryTree.NodeHighlighted)
    def _highlighted(self, event: GoBinaryTree.NodeHighlighted) -> None:
        if event.node.data is not None:
            self._set_status(*self.describe(event.node.data.path))

    def choose(self, path: Path) -> None:
        """Make ``path`` the target if Delve can use it; otherwise say why not."""
        candidate = self.tree.candidates.get(path) or classify(path, self.cache)
        problem = problem_with(path, candidate)
        if problem or candidate is None:
            self._set_status(problem or "", "-error")
            return
        mode: Literal["exec", "debug"] = "debug" if candidate.kind == "package" else "exec"
        self.target = (mode, path)
        target = self.query_one("#target", Label)
        target.update(f"Target     {'build and debug' if mode == 'debug' else 'exec'} {path}")
        target.add_class("-chosen")
        self._set_status("type the program's arguments (if any), then Enter; Escape cancels", "")
        self.query_one("#args", Input).focus()

    @on(Input.Submitted, "#args")
    def _args_submitted(self, event: Input.Submitted) -> None:
        if self.target is None:
            self._set_status("choose a Go binary or a package main directory first", "-error")
            self.tree.focus()
            return
        try:
            args = tuple(shlex.split(event.value))
        except ValueError as exc:
            self._set_status(f"the arguments do not parse ({exc}); fix the quoting", "-error")
            return
        mode, path = self.target
        self.dismiss(LaunchSpec(mode=mode, program=str(path), args=args))

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        text = event.value.strip()
        if "/" in text or text.startswith("~"):
            return
        if self._filter_timer is not None:
            self._filter_timer.stop()
        self._filter_timer = self.set_timer(_FILTER_DELAY_S, lambda: self._apply_filter(text.lower()))

    def _apply_filter(self, text: str) -> None:
        if text != self.tree.name_filter:
            self.tree.name_filter = text
            self.tree.reload()

    @on(Input.Submitted, "#filter")
    def _filter_submitted(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        if "/" in text or text.startswith("~"):
            path = Path(os.path.expandvars(text)).expanduser()
            if not path.is_absolute():
                path = self.tree.path / path
            path = path.resolve()
            if path.is_dir():
                event.input.value = ""
                self.set_root(path)
            elif path.exists():
                self.choose(path)
                return
            else:
                self._set_status(f"{path} does not exist", "-error")
                return
        self.tree.focus()

    def set_root(self, path: Path) -> None:
        self.tree.name_filter = ""
        self.tree.path = path
        self.query_one("#root", Label).update(str(path))

    def action_focus_filter(self) -> None:
        self.query_one("#filter", Input).focus()

    def action_parent_dir(self) -> None:
        if self.focused is not self.tree:
            return
        current = Path(self.tree.path)
        if current.parent != current:
            self.set_root(current.parent)

    def action_refresh(self) -> None:
        self.tree.reload()

    def action_cancel(self) -> None:
        self.dismiss(None)
