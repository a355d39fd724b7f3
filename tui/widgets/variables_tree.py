"""Variables pane: a lazily loaded tree of Delve values.

Children are built only when a node is expanded; values Delve cut off (recursion
limit, unfollowed pointers, long collections) are fetched then, through an
injected ``fetch(expr, cfg)``. Collections page in ``page_size`` steps behind a
"… N more" node. Values that changed since the previous ``show`` are highlighted.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import ClassVar

import msgspec
from rich.style import Style as RichStyle
from rich.text import Text
from textual import on
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from godbg_tui.adapters import values
from godbg_tui.adapters.dlv.types import (
    KIND_ARRAY,
    KIND_INTERFACE,
    KIND_MAP,
    KIND_PTR,
    KIND_SLICE,
    KIND_STRING,
    KIND_STRUCT,
    LoadConfig,
    Variable,
)
from godbg_tui.tui.glyphs import glyphs

Fetch = Callable[[str, LoadConfig], Awaitable[Variable]]
Sections = Sequence[tuple[str, Sequence[tuple[str, Variable]]]]

PAGED_KINDS = (KIND_ARRAY, KIND_SLICE, KIND_MAP)
TOGGLE_STYLE = RichStyle.from_meta({"toggle": True})


@dataclass
class VarNode:
    """What a tree node stands for.

    ``kind``: "section", "var", "more" (load the next page of ``parent``),
    "loading" or "error". For "var": ``var`` as first shown, ``expr`` the Go
    expression naming it, ``role`` how its label reads ("top", "field",
    "element", "entry", "deref", "dynamic": an interface's concrete value, labelled
    by its type); after loading, ``target``/``target_expr`` are
    what its children come from (a pointer's struct, or the value with more
    elements appended as pages arrive).
    """

    kind: str
    label: str
    path: tuple[str, str] = ("", "")
    var: Variable | None = None
    expr: str = ""
    role: str = "top"
    changed: bool = False
    loaded: bool = False
    target: Variable | None = None
    target_expr: str = ""
    parent: TreeNode[VarNode] | None = None
    error: str = ""
    more_count: int = 0
    busy: bool = field(default=False)


def _with_children(v: Variable, children: list[Variable]) -> Variable:
    return msgspec.structs.replace(v, children=children)


def _shown_differently(new: Variable, old: Variable | None) -> bool:
    """``new`` differs from ``old`` in more than its DWARF location expression.

    Delve's ``LocationExpr`` of an argument can name the current PC, so it changes at
    every step of a loop while nothing the tree draws does.
    """
    return old is None or msgspec.structs.replace(new, LocationExpr=old.LocationExpr) != old


def _loaded_units(v: Variable) -> int:
    kids = v.children or []
    return len(kids) // 2 if v.kind == KIND_MAP else len(kids)


class VariablesTree(Tree[VarNode]):
    """Locals, arguments (or any named values) as an expandable tree.

    Constructor: ``VariablesTree(fetch=None, *, page_size=64, fetch_timeout=30, id, classes)``.
    ``fetch(expr, cfg) -> Variable`` evaluates a Go expression in the scope being
    shown (the shell binds goroutine/frame); without it, nodes Delve did not load
    say so instead of expanding. It may be replaced at any time (``tree.fetch = …``).

    ``show([("Locals", [(expr, var), …]), ("Args", …)])`` replaces the content,
    keeps nodes that were expanded expanded, and marks values that differ from the
    previous ``show`` (component class ``variables-tree--changed``).
    Properties: ``hex`` (integers in hex), ``selected_expr``.

    Messages: ``Copied(text)`` after y, ``AddWatch(expr)`` after w.
    Keys: enter/space expand, collapse or load the next page ("… N more");
    x hex/decimal; y copy value; v full-screen viewer (screens.value_viewer);
    w add a watch. Workers: group "vars" (cancelled by ``show``).
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("x", "toggle_hex", "Hex", id="vars.toggle-hex", tooltip="Show integers in hex or decimal"),
        Binding("y", "copy_value", "Copy", id="vars.copy", tooltip="Copy the selected value"),
        Binding("v", "view_value", "View", id="vars.view", tooltip="Open the value in a full-screen viewer"),
        Binding("w", "add_watch", "Watch", id="vars.watch", tooltip="Watch the selected expression"),
    ]

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "variables-tree--section",
        "variables-tree--name",
        "variables-tree--type",
        "variables-tree--changed",
        "variables-tree--shadowed",
        "variables-tree--error",
        "variables-tree--more",
        "variables-tree--loading",
    }

    DEFAULT_CSS = """
    VariablesTree {
        overflow-x: hidden;
        scrollbar-size-vertical: 1;
        & > .variables-tree--section { color: $text-primary; text-style: bold; }
        & > .variables-tree--name { color: $text-secondary; }
        & > .variables-tree--type { color: $foreground-muted; }
        & > .variables-tree--changed { color: $text-warning; text-style: bold; }
        & > .variables-tree--shadowed { color: $foreground-muted; text-style: italic; }
        & > .variables-tree--error { color: $text-error; }
        & > .variables-tree--more { color: $text-accent; text-style: italic; }
        & > .variables-tree--loading { color: $foreground-muted; text-style: italic; }
    }
    """

    expand_config: ClassVar[LoadConfig] = LoadConfig(
        FollowPointers=True, MaxVariableRecurse=1, MaxStringLen=64, MaxArrayValues=64, MaxStructFields=-1
    )
    narrow_width: ClassVar[int] = 60

    class Copied(Message):
        """The selected value was copied to the clipboard (y)."""

        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    class AddWatch(Message):
        """The user wants the selected expression watched (w)."""

        def __init__(self, expr: str) -> None:
            super().__init__()
            self.expr = expr

    def __init__(
        self,
        fetch: Fetch | None = None,
        *,
        page_size: int = 64,
        fetch_timeout: float = 30.0,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__("variables", id=id, classes=classes)
        self.fetch = fetch
        self.page_size = page_size
        self.fetch_timeout = fetch_timeout
        self.show_root = False
        self.guide_depth = 3
        self.auto_expand = False
        self._hex = False
        self._generation = 0
        self._previous: dict[tuple[str, str], str] = {}
        self._current: dict[tuple[str, str], str] = {}
        self._expanded_paths: set[tuple[str, str]] = set()
        self._collapsed_sections: set[str] = set()
        self._cursor_path: tuple[str, str] | None = None

    # ----- public API -----

    def show(self, sections: Sections) -> None:
        """Replace the content; values that differ from the previous call are marked changed.

        When the sections hold the same variables as before (the usual next/step), the
        nodes are updated in place: expansion and cursor stay as they are, only lines
        whose value changed are repainted, and the tree needs no new layout.
        """
        self._expanded_paths = {
            node.data.path
            for node in self._walk()
            if node.data is not None and node.data.kind == "var" and node.is_expanded
        }
        cursor = self.cursor_node
        self._cursor_path = cursor.data.path if cursor is not None and cursor.data is not None else None
        self._previous, self._current = self._current, {}
        self._generation += 1
        self.workers.cancel_group(self, "vars")
        keyed = [(title, _keyed(entries)) for title, entries in sections]
        if self._same_shape(keyed):
            for section, (_, entries) in zip(self.root.children, keyed):
                for node, (_, expr, var) in zip(section.children, entries):
                    self._update_var(node, var, expr)
            return
        self._collapsed_sections |= {
            node.data.label for node in self.root.children if node.data is not None and not node.is_expanded
        }
        self._collapsed_sections -= {
            node.data.label for node in self.root.children if node.data is not None and node.is_expanded
        }
        self.clear()
        for title, entries in keyed:
            section = self.root.add(
                title,
                VarNode("section", title, path=(title, "")),
                expand=title not in self._collapsed_sections,
                allow_expand=True,
            )
            for key, expr, var in entries:
                self._add_var(section, title, var.name or expr, expr, var, "top", key=key)
        self._restore_cursor()

    def _same_shape(self, keyed: list[tuple[str, list[tuple[str, str, Variable]]]]) -> bool:
        """The tree shows exactly these sections and top-level variables, in this order."""
        sections = self.root.children
        if len(sections) != len(keyed):
            return False
        for node, (title, entries) in zip(sections, keyed):
            if node.data is None or node.data.label != title or len(node.children) != len(entries):
                return False
            for child, (key, _, var) in zip(node.children, entries):
                data = child.data
                if data is None or data.kind != "var" or data.path != (title, key) or data.label != (var.name or key):
                    return False
        return True

    def _update_var(self, node: TreeNode[VarNode], var: Variable, expr: str) -> None:
        """Give a node its value at this stop; repaint it only if what it shows changed."""
        data = node.data
        assert data is not None
        if data.role != "top":
            data.path = (data.path[0], expr)
        text = _summary_text(var)
        self._current[data.path] = text
        changed = data.path in self._previous and self._previous[data.path] != text
        if changed != data.changed or expr != data.expr or (var != data.var and _shown_differently(var, data.var)):
            node.refresh()
        data.var, data.changed, data.expr = var, changed, expr
        expandable = values.has_children(var)
        if node.allow_expand != expandable:
            node.allow_expand = expandable
            node.refresh()
        if not (data.loaded or data.busy or node.children):
            return
        if not node.is_expanded or not expandable:
            data.loaded = data.busy = False  # children are rebuilt when it is next expanded
            return
        target, target_expr = self._display_target(var, expr)
        if self._needs_fetch(target):
            data.busy = True
            self.run_worker(
                partial(self._refetch_children, node, target, target_expr, self._generation),
                group="vars",
                name=f"reload {expr}",
            )
        else:
            self._update_children(node, target, target_expr)

    async def _refetch_children(
        self, node: TreeNode[VarNode], target: Variable, target_expr: str, generation: int
    ) -> None:
        """An expanded node whose children Delve did not send with the stop: fetch them, then update in place."""
        data = node.data
        assert data is not None
        try:
            fetched = await self._fetch(values.reload_expr(target, target_expr), self._load_config())
        except Exception as exc:  # shown in the tree: the data source's message says what failed
            if generation == self._generation:
                data.busy = data.loaded = False
                node.remove_children()
                node.add_leaf("error", VarNode("error", "", error=_describe(exc)))
            return
        if generation != self._generation:
            return
        data.busy = False
        if target is data.var and data.var is not None and fetched.kind == data.var.kind:
            data.var = msgspec.structs.replace(fetched, name=data.var.name)
            node.refresh()
        target, target_expr = self._display_target(fetched, target_expr)
        if target.kind == KIND_PTR and self._needs_fetch(target):
            node.remove_children()
            node.add_leaf("error", VarNode("error", "", error="Delve returned the pointer without its target"))
            return
        self._update_children(node, target, target_expr)

    def _update_children(self, node: TreeNode[VarNode], target: Variable, target_expr: str) -> None:
        """Children in place when they are the same names in the same order; otherwise rebuilt."""
        data = node.data
        assert data is not None
        kids = values.children_of(target)
        shown = [c for c in node.children if c.data is not None and c.data.kind == "var"]
        others = [c for c in node.children if c.data is None or c.data.kind not in ("var", "more")]
        role = _child_role(target)
        if others or [c.data.label for c in shown if c.data] != [label for label, _ in kids] or any(
            c.data is not None and c.data.role != role for c in shown
        ):
            node.remove_children()
            data.loaded = False
            self._populate(node, target, target_expr)
            return
        data.loaded = True
        data.target, data.target_expr = target, target_expr
        for child_node, (label, child) in zip(shown, kids):
            self._update_var(child_node, child, values.child_expr(target_expr, target, label, child))
        self._update_more(node)

    @property
    def hex(self) -> bool:
        return self._hex

    @hex.setter
    def hex(self, value: bool) -> None:
        self._hex = value
        for node in self._walk():
            node.refresh()
        self.refresh()

    @property
    def selected_expr(self) -> str | None:
        node = self.cursor_node
        if node is None or node.data is None or node.data.kind != "var":
            return None
        return node.data.expr

    # ----- nodes -----

    def _walk(self) -> Iterator[TreeNode[VarNode]]:
        stack = list(reversed(self.root.children))
        while stack:
            node = stack.pop()
            yield node
            stack.extend(reversed(node.children))

    def _add_var(
        self,
        parent: TreeNode[VarNode],
        section: str,
        label: str,
        expr: str,
        var: Variable,
        role: str,
        *,
        before: TreeNode[VarNode] | None = None,
        key: str | None = None,
    ) -> TreeNode[VarNode]:
        path = (section, key or expr)
        text = _summary_text(var)
        self._current[path] = text
        changed = path in self._previous and self._previous[path] != text
        data = VarNode("var", label, path=path, var=var, expr=expr, role=role, changed=changed)
        expandable = values.has_children(var)
        node = parent.add(label, data, before=before, allow_expand=expandable)
        if expandable and path in self._expanded_paths:
            node.expand()
        if path == self._cursor_path:
            self.call_after_refresh(self._move_to, node)
        return node

    def _move_to(self, node: TreeNode[VarNode]) -> None:
        if node.tree is self and node.data is not None and node.data.path == self._cursor_path:
            self.move_cursor(node)

    def _restore_cursor(self) -> None:
        if self._cursor_path is None:
            first = next(self._walk(), None)
            if first is not None:
                self.call_after_refresh(self.move_cursor, first)

    @on(Tree.NodeExpanded)
    def _expanded(self, event: Tree.NodeExpanded[VarNode]) -> None:
        event.stop()
        node = event.node
        data = node.data
        if data is None or data.kind != "var" or data.loaded or data.busy:
            return
        if node.children:
            node.remove_children()  # from an earlier stop: the value may have changed since
        target, target_expr = self._display_target(data.var, data.expr)
        if self._needs_fetch(target):
            data.busy = True
            label = f"loading{glyphs().ellipsis}"
            loading = node.add_leaf(label, VarNode("loading", label))
            self.run_worker(
                partial(self._fetch_children, node, loading, target, target_expr, self._generation),
                group="vars",
                name=f"expand {data.expr}",
            )
            return
        self._populate(node, target, target_expr)

    @staticmethod
    def _display_target(var: Variable | None, expr: str) -> tuple[Variable, str]:
        """What a node's children come from: a pointer to a struct shows the struct's fields.

        The fields keep the pointer's expression as their base (``p.Field``), which
        Delve, like Go, dereferences implicitly.
        """
        assert var is not None
        if var.kind == KIND_PTR:
            kids = values.children_of(var)
            if kids and kids[0][1].kind == KIND_STRUCT and not kids[0][1].onlyAddr:
                return kids[0][1], expr
        return var, expr

    @staticmethod
    def _needs_fetch(target: Variable) -> bool:
        if values.has_children(target) and not values.children_of(target):
            return True
        return target.kind in (KIND_PTR, KIND_INTERFACE) and values.is_truncated(target)

    async def _fetch_children(
        self,
        node: TreeNode[VarNode],
        loading: TreeNode[VarNode],
        target: Variable,
        target_expr: str,
        generation: int,
    ) -> None:
        data = node.data
        assert data is not None
        try:
            fetched = await self._fetch(values.reload_expr(target, target_expr), self._load_config())
        except Exception as exc:  # shown in the tree: the data source's message says what failed
            if generation == self._generation:
                data.busy = False
                loading.data = VarNode("error", str(exc), error=_describe(exc))
                loading.refresh()
            return
        if generation != self._generation:
            return
        data.busy = False
        loading.remove()
        if target is data.var and data.var is not None and fetched.kind == data.var.kind:
            data.var = msgspec.structs.replace(fetched, name=data.var.name)
            node.refresh()
        target, target_expr = self._display_target(fetched, target_expr)
        if target.kind == KIND_PTR and self._needs_fetch(target):
            node.add_leaf("error", VarNode("error", "", error="Delve returned the pointer without its target"))
            return
        self._populate(node, target, target_expr)

    def _load_config(self) -> LoadConfig:
        """What an expansion or a page loads: one level deep, ``page_size`` elements."""
        return msgspec.structs.replace(self.expand_config, MaxArrayValues=self.page_size)

    async def _fetch(self, expr: str, cfg: LoadConfig) -> Variable:
        if self.fetch is None:
            raise LookupError("no data source: the debugger is not connected")
        return await asyncio.wait_for(self.fetch(expr, cfg), self.fetch_timeout)

    def _populate(self, node: TreeNode[VarNode], target: Variable, target_expr: str) -> None:
        data = node.data
        assert data is not None
        data.loaded = True
        data.target, data.target_expr = target, target_expr
        section = data.path[0]
        role = _child_role(target)
        for label, child in values.children_of(target):
            expr = values.child_expr(target_expr, target, label, child)
            self._add_var(node, section, label, expr, child, role)
        self._update_more(node)

    def _update_more(self, node: TreeNode[VarNode]) -> None:
        """Add, relabel or drop the trailing "… N more" node of a paged collection."""
        data = node.data
        assert data is not None and data.target is not None
        target = data.target
        remaining = target.len - _loaded_units(target) if target.kind in PAGED_KINDS else 0
        more = next((c for c in node.children if c.data is not None and c.data.kind == "more"), None)
        if remaining <= 0 or values.more_expr(target, data.target_expr, 1) is None:
            if more is not None:
                more.remove()
            return
        if more is None:
            node.add_leaf("more", VarNode("more", "", parent=node, more_count=remaining))
        else:
            assert more.data is not None
            more.data.more_count = remaining
            more.data.error = ""
            more.refresh()

    def _load_more(self, more: TreeNode[VarNode]) -> None:
        data = more.data
        assert data is not None and data.parent is not None
        if data.busy:
            return
        data.busy = True
        data.error = ""
        more.refresh()
        self.run_worker(partial(self._fetch_page, more, self._generation), group="vars", name="load more")

    async def _fetch_page(self, more: TreeNode[VarNode], generation: int) -> None:
        data = more.data
        assert data is not None and data.parent is not None
        owner = data.parent
        odata = owner.data
        assert odata is not None and odata.target is not None
        target, expr = odata.target, odata.target_expr
        page_expr = values.more_expr(target, expr, 1)
        try:
            if page_expr is None:
                raise LookupError("nothing more to load")
            page = await self._fetch(page_expr, self._load_config())
        except Exception as exc:  # shown on the "more" node, which stays selectable for a retry
            if generation == self._generation:
                data.busy = False
                data.error = _describe(exc)
                more.refresh()
            return
        if generation != self._generation:
            return
        data.busy = False
        start = _loaded_units(target)
        section = odata.path[0]
        role = "entry" if target.kind == KIND_MAP else "element"
        for label, child in values.children_of(page, start=start):
            child_expr = values.child_expr(expr, page, label, child)
            self._add_var(owner, section, label, child_expr, child, role, before=more)
        odata.target = _with_children(target, [*(target.children or []), *(page.children or [])])
        self._update_more(owner)

    # ----- labels -----

    def render_label(self, node: TreeNode[VarNode], base_style: RichStyle, style: RichStyle) -> Text:
        data = node.data
        if data is None or data.kind == "var" and data.var is None:
            return super().render_label(node, base_style, style)
        label = self._label_text(node, data)
        label.stylize(style)
        prefix = self.ICON_NODE_EXPANDED if node.is_expanded else self.ICON_NODE
        if node.allow_expand:
            return Text.assemble((prefix, base_style + TOGGLE_STYLE), label)
        return Text.assemble(" " * len(prefix) if data.kind == "var" else "", label)

    def _component(self, name: str) -> RichStyle:
        return self.get_component_rich_style(name, partial=True)

    def _label_text(self, node: TreeNode[VarNode], data: VarNode) -> Text:
        if data.kind == "section":
            return Text(data.label, self._component("variables-tree--section"))
        if data.kind == "loading":
            return Text(f"loading{glyphs().ellipsis}", self._component("variables-tree--loading"))
        if data.kind == "error":
            return Text(data.error or data.label, self._component("variables-tree--error"))
        if data.kind == "more":
            if data.busy:
                return Text(f"loading{glyphs().ellipsis}", self._component("variables-tree--loading"))
            text = Text(f"{glyphs().ellipsis} {data.more_count} more", self._component("variables-tree--more"))
            if data.error:
                text.append(f"  ({data.error}; enter to retry)", self._component("variables-tree--error"))
            return text
        return self._var_label(node, data)

    def _var_label(self, node: TreeNode[VarNode], data: VarNode) -> Text:
        var = data.var
        assert var is not None
        width = self.scrollable_content_region.width or self.size.width or 80
        available = max(12, width - self._depth(node) * self.guide_depth - 2)
        name_style = self._component("variables-tree--name")
        text = Text()
        shadowed = values.is_shadowed(var)
        name = f"({data.label})" if shadowed else data.label
        if data.role == "entry":
            text.append(f"{name}: ", name_style)
        else:
            text.append(name, name_style)
        if var.unreadable:
            text.append(" = ")
            text.append(f"<unreadable: {var.unreadable}>", self._component("variables-tree--error"))
            return text
        show_type = data.role in ("top", "field") and available >= self.narrow_width and bool(var.type)
        value = values.summary(var, hex=self._hex, width=0)
        if var.type and value.startswith(var.type) and value != var.type:
            value = value[len(var.type) :].lstrip()
        if show_type:
            text.append(" ")
            text.append(var.type, self._component("variables-tree--type"))
        if data.role != "entry":
            text.append(" = ")
        suffix = " (shadowed)" if shadowed else ""
        room = max(8, available - text.cell_len - len(suffix))
        value_style = self._component("variables-tree--changed") if data.changed else None
        text.append(_fit(value, var, room, self._hex), value_style)
        if shadowed:
            text.stylize(self._component("variables-tree--shadowed"))
            text.append(suffix, self._component("variables-tree--shadowed"))
        return text

    @staticmethod
    def _depth(node: TreeNode[VarNode]) -> int:
        depth = 0
        while node.parent is not None and node.parent.parent is not None:
            depth += 1
            node = node.parent
        return depth

    # ----- actions -----

    @on(Tree.NodeSelected)
    def _selected(self, event: Tree.NodeSelected[VarNode]) -> None:
        event.stop()
        node = event.node
        data = node.data
        if data is None:
            return
        if data.kind == "more":
            self._load_more(node)
        elif node.allow_expand:
            node.toggle()

    def action_toggle_node(self) -> None:
        node = self.cursor_node
        if node is not None and node.data is not None and node.data.kind == "more":
            self._load_more(node)
            return
        super().action_toggle_node()

    def action_toggle_hex(self) -> None:
        self.hex = not self.hex

    def action_copy_value(self) -> None:
        node = self.cursor_node
        if node is None or node.data is None or node.data.kind != "var" or node.data.var is None:
            return
        var = node.data.target if node.data.target is not None and node.data.target.kind == KIND_STRING else node.data.var
        text = var.value if var.kind == KIND_STRING and not var.unreadable else values.format_value(var, hex=self._hex)
        self.app.copy_to_clipboard(text)
        self.post_message(self.Copied(text))

    def action_view_value(self) -> None:
        node = self.cursor_node
        if node is None or node.data is None or node.data.kind != "var":
            return
        if self.fetch is None:
            self.notify("no data source: the debugger is not connected", severity="warning")
            return
        from godbg_tui.tui.screens.value_viewer import ValueViewer  # imported on first use: startup time

        self.app.push_screen(ValueViewer(node.data.expr, self.fetch, hex=self._hex))

    def action_add_watch(self) -> None:
        expr = self.selected_expr
        if expr is not None:
            self.post_message(self.AddWatch(expr))


def _keyed(entries: Sequence[tuple[str, Variable]]) -> list[tuple[str, str, Variable]]:
    """(key, expr, var): twins with one name (shadowed variables) get keys ``x``, ``x#2`` …"""
    seen: dict[str, int] = {}
    keyed = []
    for expr, var in entries:
        count = seen[expr] = seen.get(expr, 0) + 1
        keyed.append((expr if count == 1 else f"{expr}#{count}", expr, var))
    return keyed


def _summary_text(var: Variable) -> str:
    """What "changed since the last stop" compares."""
    return values.summary(var, hex=False, width=0) if not var.unreadable else f"unreadable: {var.unreadable}"


def _child_role(target: Variable) -> str:
    return {
        KIND_MAP: "entry",
        KIND_ARRAY: "element",
        KIND_SLICE: "element",
        KIND_PTR: "deref",
        KIND_INTERFACE: "dynamic",
    }.get(target.kind, "field")


def _fit(value: str, var: Variable, room: int, hex: bool) -> str:
    """``value`` cut to ``room`` cells the way summary cuts composites (``...+N more``)."""
    if len(value) <= room:
        return value
    fitted = values.summary(var, hex=hex, width=room + len(var.type) + 1)
    if var.type and fitted.startswith(var.type):
        fitted = fitted[len(var.type) :].lstrip()
    ellipsis = glyphs().ellipsis
    return fitted if len(fitted) <= room else fitted[: max(0, room - len(ellipsis))] + ellipsis


def _describe(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return "no answer from the debugger in time"
    return str(exc) or type(exc).__name__
