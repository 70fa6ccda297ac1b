"""`python -m tools.render`: see exactly what a stack will apply, offline, with no credentials and no Pulumi CLI.

Runs the real `__main__.py` under Pulumi's mock runtime (tools/offline.py) with a stack file's `config:` and writes
every resource it registers under DIR (default `rendered/<stack>`): `kubernetes/<kind>-<name>.yaml`,
`aws/<name>.json`, `summary.json`, and with --halyard `halyard/`. See docs/render.md.

The rendered resources are then checked with the policy pack's rules (tools/policy_check.py), at the levels of
`--policy-config FILE` (default: policy/config/production.json for a stack whose `deploy.production` is true);
each finding is printed with its level. A mandatory one fails the render and nothing is written.

Exit codes: 0 rendered (advisory findings printed); 2 invalid configuration, a missing or malformed stack file or
policy config, or an --out it may not replace; 3 a mandatory policy violation.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi

from components.model import PROJECT
from components.settings import MISSING, Problem, SettingsError, message, show
from tools import policy_check
from tools.halyard import HalyardError, halyard_files
from tools.manifests import json_text, rendered_resources, resource_files
from tools.offline import config_values, run_with_engine_config
from tools.output_directory import OutputDirectoryError, replace_directory
from tools.stack_files import (
    STACK_NAME,
    STACK_NAME_ACCEPTED,
    StackFile,
    StackFileError,
    read_stack_file,
    stack_file,
    stack_name_of,
    stack_names,
)
from tools.summary import summary, summary_table

SUMMARY_FILE = "summary.json"
EXIT_INVALID = 2
EXIT_POLICY = 3


class RenderError(Exception):
    """A problem the user fixes (configuration, stack file, --out): printed without a traceback, exit 2."""


@dataclass(frozen=True)
class Render:
    """A whole render in memory: nothing touches the disk until every file is known."""

    stack: str
    files: dict[str, str]
    summary: dict[str, Any]
    findings: tuple[Any, ...] = ()


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
    parser.add_argument(
        "--policy-config",
        type=Path,
        help="the policy pack's config (levels per policy), as a preview takes it; default: "
        "policy/config/production.json for a production stack (deploy.production), else the pack's own levels",
    )
    args = parser.parse_args(argv)
    if args.stack is None and args.config_file is None:
        parser.error("give --stack NAME or --config-file PATH")
    return args


def stack_and_file(args: argparse.Namespace) -> tuple[str, Path]:
    stack = args.stack if args.stack is not None else stack_name_of(args.config_file)
    if not STACK_NAME.fullmatch(stack):
        raise RenderError(f"stack name: {stack!r} is not a stack name ({STACK_NAME_ACCEPTED})")
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


def render(
    stack: str, config: Mapping[str, Any], *, halyard: bool, policy_config: dict[str, Any] | None = None
) -> Render:
    """Render a `config:` block held as Python values (tests build these)."""
    return render_engine_config(stack, config_values(config), halyard=halyard, policy_config=policy_config)


def render_engine_config(
    stack: str, engine_config: Mapping[str, str], *, halyard: bool, policy_config: dict[str, Any] | None = None
) -> Render:
    """Render with the config strings the CLI would hand the program, and check it with the policy rules."""
    run = run_with_engine_config(engine_config, stack)
    rendered = rendered_resources(run)
    files = resource_files(rendered)
    if halyard:
        files.update(halyard_files(rendered))
    document = summary(stack, rendered, run.outputs)
    files[SUMMARY_FILE] = json_text(document)
    found = tuple(policy_check.findings(run, policy_config))
    return Render(stack=stack, files=dict(sorted(files.items())), summary=document, findings=found)


def render_stack(args: argparse.Namespace) -> tuple[Render, Path]:
    """Everything up to, not including, the write; raises RenderError or StackFileError for what the user fixes."""
    stack, path = stack_and_file(args)
    document = read_stack_file(path)
    policy_config = _policy_config(args.policy_config, document)
    try:
        result = render_engine_config(
            stack, document.program_config(), halyard=args.halyard, policy_config=policy_config
        )
    except SettingsError as error:
        raise RenderError(f"{path}: {message(as_typed(error.found, document))}") from error
    except pulumi.RunError as error:
        raise RenderError(f"{path}: {error}") from error
    except HalyardError as error:
        raise RenderError(str(error)) from error
    return result, args.out if args.out is not None else Path("rendered") / stack


def _policy_config(path: Path | None, document: StackFile) -> dict[str, Any] | None:
    """The given policy config; else the production one when the stack file says production."""
    if path is None:
        deploy = document.config.get(f"{PROJECT}:deploy")
        if not (isinstance(deploy, dict) and deploy.get("production") is True):
            return None
        path = policy_check.PRODUCTION_CONFIG
    try:
        return policy_check.read_policy_config(path)
    except policy_check.PolicyConfigError as error:
        raise RenderError(str(error)) from error


def as_typed(problems: Sequence[Problem], document: StackFile) -> list[str]:
    """Each problem with its line in the file, and the value as typed where Pulumi reads it as something else
    (`012345670123 (Pulumi reads the number 1402433619)`)."""
    lines = []
    for problem in problems:
        typed = document.source_text(problem.config_key, problem.path)
        text = problem.shown()
        if typed is not None and problem.value is not MISSING and typed not in (problem.value, show(problem.value)):
            text = problem.shown(f"{typed} (Pulumi reads {show(problem.value)})")
        line = document.line_of(problem.config_key, problem.path)
        lines.append(f"line {line}: {text}" if line is not None else text)
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_arguments(argv)
    try:
        result, out = render_stack(args)
        refused = policy_check.mandatory(result.findings)
        if not refused:
            replace_directory(out, result.files, marker=SUMMARY_FILE)
    except (RenderError, StackFileError, OutputDirectoryError) as error:
        print(f"render: {error}", file=sys.stderr)
        return EXIT_INVALID
    for line in policy_check.report(result.findings):
        print(f"render: policy {line}", file=sys.stderr)
    if refused:
        print(f"render: {len(refused)} mandatory policy violation(s): nothing written to {out}", file=sys.stderr)
        return EXIT_POLICY
    if args.format == "json":
        sys.stdout.write(json.dumps(result.summary, indent=2, ensure_ascii=False) + "\n")
    else:
        sys.stdout.write(summary_table(result.summary))
        sys.stdout.write(f"\nWrote {len(result.files)} files to {out}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
