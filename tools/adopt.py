"""`python -m tools.adopt`: move a hand-made ECR setup (the published procedure's token-refresh sidecar, its
ConfigMap and the docker accounts it feeds) under this program, as a stack file. See docs/adopt.md.

Reads what `kubectl get spinnakerservice NAME -o yaml` and `kubectl get configmap NAME -o yaml` print, writes
stacks/Pulumi.<stack>.yaml (or --out) with `access` left for the user, and prints the migration steps.

Exit codes: 0 written; 2 bad input, a stack file the program would refuse, or an --out it may not replace.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from components.model import PROJECT
from tools.adopt_inputs import AdoptError, read_config_map, read_spinnaker_service
from tools.adopt_join import adopt
from tools.adopt_migration import list_owners, migration_steps, needs_patch_force
from tools.adopt_stack_file import check_stack_file, stack_config, stack_file_text
from tools.output_directory import current_umask
from tools.stack_files import STACK_NAME, STACK_NAME_ACCEPTED, stack_file

EXIT_INVALID = 2


def parse_arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tools.adopt",
        description="Write a stack file for an existing token-refresh setup, and print how to migrate it.",
    )
    parser.add_argument(
        "--spinnaker-service",
        type=Path,
        required=True,
        metavar="FILE",
        help="what kubectl get spinnakerservice NAME -n NAMESPACE -o yaml --show-managed-fields prints",
    )
    parser.add_argument(
        "--config-map",
        type=Path,
        metavar="FILE",
        help="what kubectl get configmap token-refresh-config -n NAMESPACE -o yaml prints (without it, adopt "
        "names the ConfigMap to fetch)",
    )
    parser.add_argument("--stack", required=True, help="stack name: writes stacks/Pulumi.<name>.yaml")
    parser.add_argument("--out", type=Path, help="write here instead of stacks/Pulumi.<name>.yaml")
    parser.add_argument("--force", action="store_true", help="replace an existing file")
    return parser.parse_args(argv)


def adopted_stack_file(args: argparse.Namespace, out: Path) -> tuple[str, str]:
    """The stack file's text and the migration steps; raises AdoptError and touches nothing."""
    if not STACK_NAME.fullmatch(args.stack):
        raise AdoptError([f"--stack: {args.stack!r} is not a stack name ({STACK_NAME_ACCEPTED})"])
    if out.exists() and not args.force:
        raise AdoptError([f"{out}: exists: give --force to replace it, or --out another path"])
    service = read_spinnaker_service(args.spinnaker_service)
    config_map = read_config_map(args.config_map) if args.config_map is not None else None
    adoption = adopt(service, config_map)
    owned = list_owners(service, args.stack, with_volumes=bool(service.volumes))
    config, sources = stack_config(adoption, patch_force=needs_patch_force(owned))
    text = stack_file_text(adoption, config, args.stack)
    check_stack_file(text, args.stack, sources, str(out))
    return text, migration_steps(adoption, args.stack, str(out), owned)


def write_file(path: Path, text: str) -> None:
    """All or nothing: a temporary file beside it, renamed over it."""
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            file.write(text)
        # mkstemp makes it 0600; a stack file is an ordinary file of the repository.
        os.chmod(temporary, 0o666 & ~current_umask())
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


def shown(path: Path) -> Path:
    """Relative to the working directory when under it: stacks/Pulumi.dev.yaml rather than an absolute path."""
    return path.relative_to(Path.cwd()) if path.is_absolute() and path.is_relative_to(Path.cwd()) else path


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_arguments(argv)
    out = shown(args.out if args.out is not None else stack_file(args.stack))
    try:
        text, steps = adopted_stack_file(args, out)
        write_file(out, text)
    except AdoptError as error:
        print(f"adopt: nothing written to {out}:\n{error}", file=sys.stderr)
        return EXIT_INVALID
    except OSError as error:
        print(f"adopt: nothing written to {out}: {error.strerror or error}", file=sys.stderr)
        return EXIT_INVALID
    sys.stdout.write(
        f"Wrote {out}.\n{PROJECT}:access is not in it: write it (one of the modes listed in the file's comment) "
        f"before pulumi up.\n\n{steps}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
