"""The ``co2mix`` command: one parser, a subcommand per job.

    co2mix serve [--host H] [--port P] [--rev REV] [--root DIR] [--database-url URL] [--docs]
    co2mix keys create --name NAME --scope predict|admin ... | list | revoke ID
    co2mix log purge [--days N]
    co2mix verify [--against REV] [--root DIR]
    co2mix profile new NAME --csv PATH --target COL [--target COL] [--group COL] [--time COL]
    co2mix docs-reference [--out DIR] [--root DIR]
    co2mix feed broker | produce | consume | export | status   (the live feed)

Each subcommand's options and work live with its layer; this module only dispatches,
importing a subcommand's code when it is the one asked for.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from co2mix.startup import quiet_library_warnings


def parser() -> argparse.ArgumentParser:
    from co2mix.commands import profile_new
    from co2mix.feed import cli as feed
    from co2mix.reporting import verify
    from co2mix.serving import cli as serving

    top = argparse.ArgumentParser(prog="co2mix", description="co2mix commands")
    commands = top.add_subparsers(dest="command", required=True)
    serving.add_serve_arguments(
        commands.add_parser("serve", help="the champions behind an HTTP API")
    )
    serving.add_key_arguments(commands.add_parser("keys", help="the service's API keys"))
    serving.add_log_arguments(commands.add_parser("log", help="the service's request log"))
    verify.add_verify_arguments(
        commands.add_parser(
            "verify", help="reproduced metrics against the committed ones, within tolerance"
        )
    )
    profile = commands.add_parser("profile", help="dataset profiles").add_subparsers(
        dest="action", required=True
    )
    profile_new.add_profile_arguments(profile.add_parser("new", help="a CSV file as a new profile"))
    docs = commands.add_parser("docs-reference", help="the docs' generated reference pages")
    docs.add_argument("--out", type=Path, default=Path("docs/reference"), help="folder to write")
    docs.add_argument("--root", type=Path, default=Path("."), help="the project (params files)")
    feed.add_feed_arguments(
        commands.add_parser("feed", help="the plant live, through a Redis stream")
    )
    return top


def main(argv: list[str] | None = None) -> int:
    quiet_library_warnings()
    args = parser().parse_args(argv)
    if args.command == "serve":
        from co2mix.serving.cli import serve

        return serve(args)
    if args.command == "keys":
        from co2mix.serving.cli import keys_command

        return keys_command(args)
    if args.command == "log":
        from co2mix.serving.cli import log_command

        return log_command(args)
    if args.command == "docs-reference":
        from co2mix.commands.docs_reference import forecast_figure, write_reference

        for path in write_reference(args.root, args.out, parser()):
            print(f"docs-reference: wrote {path}")
        figure = forecast_figure(args.root, args.root / "docs/img/forecast-co2.svg")
        print(f"docs-reference: {figure or 'no forecast metrics: the figure is left as it is'}")
        return 0
    if args.command == "feed":
        from co2mix.feed.cli import feed_command

        return feed_command(args)
    if args.command == "profile":
        from co2mix.commands.profile_new import profile_command

        return profile_command(args)
    from co2mix.reporting.verify import verify_command

    return verify_command(args)


if __name__ == "__main__":
    sys.exit(main())
