"""`python -m tools.environments [--json]`: the stacks in stacks/, in deploy order, as the workflows use them.

One stack file is one environment. Its file name names the stack (and the GitHub environments `<stack>` and
`preview-<stack>`), `spinnaker-ecr:deploy` says where it comes in the deploy order (`order`, lower first, equal
orders by name) and whether it is production, and `aws:region` is where the workflows assume its role. Every stack
file is checked as the program checks it (components.settings), so the workflows start only from files a preview
would accept: a mistyped `spinnaker-ecr:deploy` key cannot quietly turn prod into a non-production stack.

`--refuse-placeholder-images` refuses a stack whose `tokenRefresh.image` still carries PLACEHOLDER_DIGEST, the digest
of nothing that the example stack files use until the image is published (docs/sidecar-image.md): deploy.yml passes
it, so a copied example never rolls clouddriver onto an image that cannot be pulled.

`--keep-production-from DIR` keeps a stack production when its file in DIR says so: the pull-request workflow passes
the base branch's stacks/, so a pull request cannot turn `production` off for its own preview.

Exit codes: 0 listed; 2 a stack file the program would refuse, a stack name the workflows cannot use, no stack files.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from components.model import PROJECT
from components.settings import SettingsError, message, parse_settings
from tools.render import as_typed
from tools.stack_files import STACK_NAME, STACKS_DIR, StackFile, StackFileError, read_stack_file, stack_name_of

EXIT_INVALID = 2
# Pulumi's stack names, which also name GitHub environments and artifacts.
_DEPLOY_KEY = f"{PROJECT}:deploy"
_TOKEN_REFRESH_KEY = f"{PROJECT}:tokenRefresh"
_SPINNAKER_KEY = f"{PROJECT}:spinnaker"
# The examples' stand-in for the digest of the image you publish: the digest of no image.
PLACEHOLDER_DIGEST = "sha256:" + "0" * 64


class EnvironmentsError(Exception):
    """Stack files the workflows cannot start from; the message lists every problem."""


@dataclass(frozen=True)
class Environment:
    """One stack as the workflows run it."""

    stack: str
    order: int
    production: bool
    region: str
    # The stack deployed just before this one ("" for the first): deploy.yml refuses to update this one unless that
    # one succeeded in the same run.
    after: str


def stack_files(directory: Path) -> list[Path]:
    return sorted(directory.glob("Pulumi.*.yaml"))


def shown(path: Path) -> Path:
    """`stacks/Pulumi.qa.yaml` rather than the absolute path, when run from the repository."""
    return path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path


def program_values(document: StackFile) -> dict[str, Any]:
    """Each config value as the program receives it: the CLI's string, JSON-decoded where it is JSON
    (as components.settings.load_settings reads pulumi.Config)."""
    values: dict[str, Any] = {}
    for key, text in document.program_config().items():
        try:
            values[key] = json.loads(text)
        except json.JSONDecodeError:
            values[key] = text
    return values


def read_environment(path: Path, *, refuse_placeholder_image: bool = False) -> tuple[str, int, bool, str]:
    """(stack, order, production, region) of one stack file, or EnvironmentsError naming the file and line."""
    stack = stack_name_of(path)
    path = shown(path)
    if not STACK_NAME.fullmatch(stack):
        raise EnvironmentsError(
            f"{path}: {stack!r} is not a stack name (at most 100 letters, digits, '-', '_' and '.'): rename the file"
        )
    document = read_stack_file(path)
    values = program_values(document)
    ours = {key.partition(":")[2]: value for key, value in values.items() if key.partition(":")[0] == PROJECT}
    region = values.get("aws:region")
    try:
        settings = parse_settings(
            ours,
            project=PROJECT,
            stack=stack,
            region=region,
            other_keys=tuple(sorted(key for key in values if key.partition(":")[0] != PROJECT)),
        )
    except SettingsError as error:
        raise EnvironmentsError(f"{path}: {message(as_typed(error.found, document))}") from error
    if not isinstance(region, str) or not region:
        raise EnvironmentsError(
            f"{path}: aws:region: is required (the workflows assume the stack's role and reach its cluster there)"
        )
    if refuse_placeholder_image:
        _refuse_placeholder_images(path, document, settings)
    return stack, settings.deploy.order, settings.deploy.production, region


def _refuse_placeholder_images(path: Path, document: StackFile, settings: Any) -> None:
    """The token-refresh image and every extra sidecar's image: none may be the examples' placeholder digest."""
    images = [(_TOKEN_REFRESH_KEY, ("image",), getattr(settings.token_refresh, "image", None))]
    images += [
        (_SPINNAKER_KEY, ("extraSidecars", index, "dockerImage"), sidecar.entry().get("dockerImage"))
        for index, sidecar in enumerate(settings.spinnaker.extra_sidecars)
    ]
    for key, where, image in images:
        if isinstance(image, str) and image.endswith("@" + PLACEHOLDER_DIGEST):
            shown_key = key + "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in where)
            raise EnvironmentsError(
                f"{path}: line {document.line_of(key, where)}: {shown_key}: {image!r} is the examples' placeholder "
                "digest: publish the image and paste its digest (docs/sidecar-image.md) before this stack is "
                "deployed"
            )


def production_in(directory: Path) -> set[str]:
    """The stacks whose file in `directory` says `production: true`, read without the program's checks: the base
    branch's files need not pass a pull request's changed models, only tell which stacks are production."""
    production = set()
    for path in stack_files(directory):
        deploy = read_stack_file(path).config.get(_DEPLOY_KEY)
        if isinstance(deploy, dict) and deploy.get("production") is True:
            production.add(stack_name_of(path))
    return production


def environments(
    directory: Path = STACKS_DIR, *, keep_production_from: Path | None = None, refuse_placeholder_images: bool = False
) -> list[Environment]:
    """Every stack in `directory`, in deploy order; EnvironmentsError lists every problem of every file."""
    found, problems = [], []
    for path in stack_files(directory):
        try:
            found.append(read_environment(path, refuse_placeholder_image=refuse_placeholder_images))
        except (EnvironmentsError, StackFileError) as error:
            problems.append(str(error))
    for path in sorted(directory.glob("Pulumi.*.yml")):
        problems.append(f"{shown(path)}: the workflows and tools read Pulumi.<stack>.yaml only: rename it to .yaml")
    if not found and not problems:
        problems.append(f"{directory}: has no stack files (Pulumi.<stack>.yaml)")
    if problems:
        raise EnvironmentsError("\n".join(problems))
    kept = production_in(keep_production_from) if keep_production_from is not None else set()
    ordered = sorted(found, key=lambda item: (item[1], item[0]))
    return [
        Environment(stack, order, production or stack in kept, region, ordered[index - 1][0] if index else "")
        for index, (stack, order, production, region) in enumerate(ordered)
    ]


def table(listed: Sequence[Environment]) -> str:
    rows = [("stack", "order", "production", "region", "after")]
    rows += [(e.stack, str(e.order), "yes" if e.production else "no", e.region, e.after or "-") for e in listed]
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    lines = ("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in rows)
    return "".join(line + "\n" for line in lines)


def main(argv: Sequence[str] | None = None, stacks_dir: Path = STACKS_DIR) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.environments", description="List the stacks in stacks/ in deploy order."
    )
    parser.add_argument("--json", action="store_true", help="one line of JSON, the workflows' matrix")
    parser.add_argument(
        "--keep-production-from",
        type=Path,
        metavar="DIR",
        help="a stack stays production if its file in DIR says so (the base branch's stacks/)",
    )
    parser.add_argument(
        "--refuse-placeholder-images",
        action="store_true",
        help=f"refuse a tokenRefresh.image ending in @{PLACEHOLDER_DIGEST[:12]}... (deploy.yml)",
    )
    args = parser.parse_args(argv)
    try:
        listed = environments(
            stacks_dir,
            keep_production_from=args.keep_production_from,
            refuse_placeholder_images=args.refuse_placeholder_images,
        )
    except (EnvironmentsError, StackFileError) as error:
        print(f"environments: {error}", file=sys.stderr)
        return EXIT_INVALID
    if args.json:
        sys.stdout.write(json.dumps([asdict(e) for e in listed], separators=(",", ":")) + "\n")
    else:
        sys.stdout.write(table(listed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
