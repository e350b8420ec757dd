"""``govwatch web``: serve the publications, sources, feeds and metrics over HTTP."""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import Annotated

import typer

from crawler.cli.context import configured_sources, engine, stderr


def web_command(
    host: Annotated[
        str, typer.Option(help="Address to listen on; beyond loopback needs a login.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.", min=1, max=65535)] = 8080,
    password_hash_file: Annotated[
        Path | None,
        typer.Option(
            help="File holding the login's password hash (else $GOVWATCH_WEB_PASSWORD_HASH)."
        ),
    ] = None,
    hash_password: Annotated[
        bool, typer.Option("--hash-password", help="Ask for a password, print its hash, exit.")
    ] = False,
) -> None:
    """Serve the web app (publications, search, sources, Atom/CSV/JSON, /metrics).

    Reading needs no login on 127.0.0.1; on any other address a password hash must be
    configured. Example: govwatch web --port 8080
    """
    from crawler.web.auth import hash_password as make_hash

    if hash_password:
        password = getpass.getpass("Password: ")
        if not password or password != getpass.getpass("Again: "):
            stderr.print("The passwords are empty or differ; nothing printed.")
            raise typer.Exit(2)
        print(make_hash(password))
        return
    import uvicorn

    from crawler.web.app import create_app
    from crawler.web.settings import web_settings

    settings = web_settings(host, port, password_hash_file)
    configured_sources()  # a broken sources file is reported now, not on the first page
    app = create_app(engine(), configured_sources, settings)
    stderr.print(f"govwatch web on http://{host}:{port}/")
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)
