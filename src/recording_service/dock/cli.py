"""`recording-dock`: the dock-side sync client (name and options fixed by the API contract)."""

import json
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from .sync import DockSync

app = typer.Typer(pretty_exceptions_enable=False, no_args_is_help=True,
                  help="Dock sync client: uploads body-camera recordings to recording_service over tus, resumably.")
err = Console(stderr=True)


@app.callback()
def main() -> None:
    """recording-dock"""


@app.command("sync")
def sync(
    directory: Annotated[Path, typer.Argument(exists=True, file_okay=False, help="the dock's recordings directory (walked recursively)")],
    server: Annotated[str, typer.Option("--server", help="the service's base URL, e.g. https://evidence.example.gov.cn")],
    token: Annotated[str, typer.Option("--token", envvar="RECORDING_DOCK_TOKEN", help="a dock token of the agency")],
    parallel: Annotated[int, typer.Option("--parallel", min=1, max=16, help="files uploaded at once")] = 1,
    delete_after_verify: Annotated[bool, typer.Option("--delete-after-verify",
                                                      help="delete a local file once the server's record proves the same SHA-256")] = False,
    json_output: Annotated[bool, typer.Option("--json", help="print one JSON object: uploaded, skipped, failed, files")] = False,
    dock_id: Annotated[str | None, typer.Option("--dock-id", help="this dock's id (default: the host name)")] = None,
    retries: Annotated[int, typer.Option("--retries", min=0, help="retries per chunk on a flaky link")] = 5,
    retry_delay: Annotated[int, typer.Option("--retry-delay", min=0, help="seconds between retries")] = 5,
    min_age: Annotated[float, typer.Option("--min-age", min=0, help="skip files modified less than this many seconds ago "
                                           "(a camera may still be copying them)")] = 60,
) -> None:
    """Upload every recording under DIRECTORY that the server does not have yet; exit 1 if any failed.
    A `<file>.json` beside a recording supplies its metadata (device_id, officer_ids, recorded_at, flag, case_number)."""
    report = DockSync(server, token, directory, dock_id=dock_id, retries=retries, retry_delay=retry_delay, min_age=min_age).run(
        parallel=parallel, delete_after_verify=delete_after_verify)
    if json_output:
        typer.echo(json.dumps(asdict(report), ensure_ascii=False))
    else:
        for item in report.files:
            mark = {"uploaded": "[green]↑[/green]", "skipped": "·", "failed": "[red]✗[/red]"}[item.status]
            detail = item.error or item.reason
            err.print(f"{mark} {item.path}" + (f"  {detail}" if detail else "") + ("  (deleted)" if item.deleted else ""))
        err.print(f"uploaded {report.uploaded}, skipped {report.skipped}, failed {report.failed}, deleted {report.deleted}")
    if report.failed:
        raise typer.Exit(1)
