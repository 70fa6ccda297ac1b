"""`python -m tools.render`: see exactly what a stack will apply, offline, with no credentials and no Pulumi CLI.

Runs the real `__main__.py` under Pulumi's mock runtime (tools/offline.py) with a stack file's `config:` and writes
every resource it registers under DIR (default `rendered/<stack>`): `kubernetes/<kind>-<name>.yaml`,
`aws/<name>.json`, `summary.json`, and with --halyard `halyard/`. See docs/render.md.

Exit codes: 0 rendered; 2 invalid configuration, a missing or malformed stack file, or an --out it may not replace.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi

from tools.halyard import HalyardError, halyard_files
from tools.manifests import json_text, rendered_resources, resource_files
from tools.offline import run_program
from tools.output_directory import OutputDirectoryError, replace_directory
from tools.stack_files import StackFileError, read_stack_config, stack_file, stack_name_of, stack_names
from tools.summary import summary, summary_table

SUMMARY_FILE = "summary.json"
EXIT_INVALID = 2
_STACK_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")


class RenderError(Exception):
    """A problem the user fixes (configuration, stack file, --out): printed without a traceback, exit 2."""


@dataclass(frozen=True)
class Render:
    """A whole render in memory: nothing touches the disk until every file is known."""

    stack: str
    files: dict[str, str]
    summary: dict[str, Any]


def parse_arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tools.render",
        description="Render what a stack will apply (Kubernetes objects, AWS resources) into files, offline.",
    )
    parser.add_argument("--stack", help="stack name: reads stacks/Pulumi.<name>.yaml unless --config-file is given")
    parser.add_argument("--config-file", type=Path, help="a Pulumi.<stack>.yaml-style file to read instead")
    parser.add_argument("--out", type=Path, help="output directory (default: rendered/<stack>)")
    parser.add_argument("--format", choices=("table", "json"), default="table", help="summary on stdout")
    parser.add_argument("--halyard", action="store_true", help="also write halyard/: the same patch for Halyard")
    args = parser.parse_args(argv)
    if args.stack is None and args.config_file is None:
        parser.error("give --stack NAME or --config-file PATH")
    return args


def stack_and_file(args: argparse.Namespace) -> tuple[str, Path]:
    stack = args.stack if args.stack is not None else stack_name_of(args.config_file)
    if not _STACK_NAME.match(stack):
        raise RenderError(f"stack name: {stack!r} is not a stack name (letters, digits, '-', '_' and '.')")
    if args.config_file is not None:
        if not args.config_file.is_file():
            raise RenderError(f"--config-file: {str(args.config_file)!r} does not exist or is not a file")
        return stack, args.config_file
    path = stack_file(stack)
    if not path.is_file():
        raise RenderError(
            f"--stack: {stack!r} has no stack file stacks/{path.name} (stacks: {', '.join(stack_names())})"
        )
    return stack, path


def render(stack: str, config: dict[str, Any], *, halyard: bool) -> Render:
    run = run_program(config, stack)
    rendered = rendered_resources(run)
    files = resource_files(rendered)
    if halyard:
        files.update(halyard_files(rendered))
    document = summary(stack, rendered, run.outputs)
    files[SUMMARY_FILE] = json_text(document)
    return Render(stack=stack, files=dict(sorted(files.items())), summary=document)


def render_stack(args: argparse.Namespace) -> tuple[Render, Path]:
    """Everything up to, not including, the write; raises RenderError or StackFileError for what the user fixes."""
    stack, path = stack_and_file(args)
    config = read_stack_config(path)
    try:
        result = render(stack, config, halyard=args.halyard)
    except pulumi.RunError as error:  # SettingsError among them: the program's own messages, every problem
        raise RenderError(f"{path}: {error}") from error
    except HalyardError as error:
        raise RenderError(str(error)) from error
    return result, args.out if args.out is not None else Path("rendered") / stack


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_arguments(argv)
    try:
        result, out = render_stack(args)
        replace_directory(out, result.files, marker=SUMMARY_FILE)
    except (RenderError, StackFileError, OutputDirectoryError) as error:
        print(f"render: {error}", file=sys.stderr)
        return EXIT_INVALID
    if args.format == "json":
        sys.stdout.write(json.dumps(result.summary, indent=2, ensure_ascii=False) + "\n")
    else:
        sys.stdout.write(summary_table(result.summary))
        sys.stdout.write(f"\nWrote {len(result.files)} files to {out}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
