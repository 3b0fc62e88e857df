"""Typer command classes for the console script: plain value types in `--help` and usage lines (TEXT,
INTEGER, PATH; nothing after a flag) instead of Typer's `<str>` / `<bool>` labels, and the `evals` group,
whose imports are the heaviest, loaded only when it is used."""

from __future__ import annotations

import importlib
from typing import Any

import typer
from typer.core import TyperArgument, TyperCommand, TyperGroup, TyperOption

_PLAIN = {"str": "TEXT", "int": "INTEGER", "float": "FLOAT", "path": "PATH", "int range": "INTEGER",
          "float range": "FLOAT", "bool": "BOOLEAN", "datetime": "DATETIME"}


def _plain(param: Any, ctx: Any) -> None:
    """Give one parameter plain labels, once. Typer asks `display_type_rich` for the type column and
    `_usage_display_name` for the usage line; an instance attribute answers first."""
    if getattr(param, "_plain_help", False):
        return
    param._plain_help = True
    if isinstance(param, TyperOption) and (param.is_flag or param.count):
        param.display_type_rich = lambda ctx=None: None
        return
    if not isinstance(param, (TyperOption, TyperArgument)):
        return
    typer_label = param.display_type(ctx).strip("<>")
    many = typer_label.startswith("list[")
    typer_label = typer_label.removeprefix("list[").removesuffix("]") if many else typer_label
    label = _PLAIN.get(typer_label, typer_label.upper()) + ("..." if many else "")
    if isinstance(param, TyperOption):
        label = param.metavar or label
    elif param.metavar == label:
        label = None  # an argument named by its type (TEXT) needs no type column
    param.display_type_rich = lambda ctx=None: label
    if isinstance(param, TyperArgument):
        name = (param.metavar or param.name or "ARG").upper()
        usage = (name if param.required else f"[{name}]") + ("..." if param.nargs != 1 else "")
        param._usage_display_name = lambda: usage  # click's style (TEXT, [SOURCE]), not Typer's {text}


class _PlainParams:
    """Commands and groups alike show their options in plain types (see `_plain`)."""

    def get_params(self, ctx: Any) -> list:
        params = super().get_params(ctx)  # type: ignore[misc]
        for param in params:
            _plain(param, ctx)
        return params


class PlainCommand(_PlainParams, TyperCommand):
    pass


class PlainGroup(_PlainParams, TyperGroup):
    pass


class LazyGroup(PlainGroup):
    """A sub-command group that stands in for a Typer app defined in another module, imported on first use
    (running or listing its commands); the root `--help` needs only its one-line help."""

    def __init__(self, *, name: str, target: str, help: str) -> None:
        super().__init__(name=name, help=help, no_args_is_help=True)
        self._target, self._group = target, None

    def _real(self) -> TyperGroup:
        if self._group is None:
            module, attribute = self._target.split(":")
            self._group = typer.main.get_command(getattr(importlib.import_module(module), attribute))
        return self._group

    def list_commands(self, ctx: Any) -> list[str]:
        return self._real().list_commands(ctx)

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        command = self._real().get_command(ctx, cmd_name)
        if command is not None:
            for param in command.get_params(ctx):
                _plain(param, ctx)
        return command


class RootGroup(PlainGroup):
    """The top-level command group: the Typer app's commands plus the lazily loaded `evals`."""

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        self.add_command(LazyGroup(name="evals", target="evals.cli:evals_app",
                                   help="Score translators on eval suites by the members their segments select."))
