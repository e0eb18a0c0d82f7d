"""`recording-dock`: the dock-side sync client (name and options fixed by the API contract)."""

import json
import os
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, TextColumn, TimeRemainingColumn, TransferSpeedColumn
from rich.progress import Progress as Bars
from rich.table import Table

from .sync import DockSync, Progress, SyncReport

app = typer.Typer(
    pretty_exceptions_enable=False,
    no_args_is_help=True,
    help="Dock sync client: uploads body-camera recordings to recording_service over tus, resumably.",
)
err = Console(stderr=True)


class TerminalProgress(Progress):
    """A bar per file being uploaded (bytes, throughput, time left) and one for the whole run."""

    def __init__(self, console: Console) -> None:
        self.bars = Bars(
            TextColumn("{task.description}"),
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            TimeRemainingColumn(),
            console=console,
            transient=False,
        )
        self.overall = None

    def begin(self, total_bytes: int) -> None:
        self.bars.start()
        self.overall = self.bars.add_task("all recordings", total=total_bytes)

    def start_file(self, name: str, size: int, done: int):
        self.bars.advance(self.overall, done)
        return self.bars.add_task(name, total=size, completed=done)

    def advance(self, task, size: int) -> None:
        self.bars.advance(task, size)
        self.bars.advance(self.overall, size)

    def end_file(self, task) -> None:
        self.bars.update(task, visible=False)

    def skip(self, size: int) -> None:
        self.bars.advance(self.overall, size)

    def note(self, text: str) -> None:
        self.bars.console.print(text)

    def finish(self) -> None:
        self.bars.stop()


@contextmanager
def stop_on_signals(sync: DockSync) -> Iterator[list[int]]:
    """The first SIGINT (Ctrl-C) or SIGTERM (a service manager) asks the run to stop (DockSync.stop: it
    returns within seconds, the upload in flight stays resumable); a second one ends the process at once.
    Yields the signal received, if any."""
    received: list[int] = []

    def handle(signum: int, frame: object) -> None:
        if received:
            os.write(2, b"recording-dock: quit at once; remembered uploads resume on the next run\n")
            os._exit(128 + signum)
        received.append(signum)
        name = signal.Signals(signum).name
        err.print(f"[yellow]{name}: stopping; uploads in progress resume on the next run (Ctrl-C again quits at once)[/yellow]")
        sync.stop(name)

    previous = {number: signal.signal(number, handle) for number in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield received
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


@app.callback()
def main() -> None:
    """recording-dock"""


@app.command("sync")
def sync(
    directory: Annotated[Path, typer.Argument(exists=True, file_okay=False, help="the dock's recordings directory (walked recursively)")],
    server: Annotated[str, typer.Option("--server", help="the service's base URL, e.g. https://evidence.example.gov.cn")],
    token: Annotated[str, typer.Option("--token", envvar="RECORDING_DOCK_TOKEN", help="a dock token of the agency")],
    parallel: Annotated[int, typer.Option("--parallel", min=1, max=16, help="files uploaded at once")] = 1,
    delete_after_verify: Annotated[
        bool, typer.Option("--delete-after-verify", help="delete a local file once the server's record proves the same SHA-256")
    ] = False,
    json_output: Annotated[bool, typer.Option("--json", help="print one JSON object: uploaded, skipped, failed, files")] = False,
    dock_id: Annotated[str | None, typer.Option("--dock-id", help="this dock's id (default: the host name)")] = None,
    retries: Annotated[int, typer.Option("--retries", min=0, help="retries per chunk on a flaky link")] = 5,
    retry_delay: Annotated[int, typer.Option("--retry-delay", min=0, help="seconds between retries")] = 5,
    locked_wait: Annotated[
        int,
        typer.Option(
            "--locked-wait",
            min=0,
            help="seconds to wait out an upload another writer holds (a server replica stopped mid-upload: its lease ends by itself)",
        ),
    ] = 150,
    min_age: Annotated[
        float,
        typer.Option("--min-age", min=0, help="skip files modified less than this many seconds ago (a camera may still be copying them)"),
    ] = 60,
    include: Annotated[
        list[str] | None,
        typer.Option(
            "--include", help="also upload files matching this pattern (e.g. '*.bin'); recordings are video, audio and photos by default"
        ),
    ] = None,
    exclude: Annotated[list[str] | None, typer.Option("--exclude", help="never upload files matching this pattern")] = None,
) -> None:
    """Upload every recording under DIRECTORY that the server does not have yet; exit 1 if any failed.
    A `<file>.json` beside a recording supplies its metadata (device_id, officer_ids, recorded_at, flag, case_number).
    Ctrl-C (or SIGTERM) stops within seconds with the summary and what resumes next run (exit 128 + the
    signal: 130 after Ctrl-C); a second one quits at once."""
    progress = TerminalProgress(err) if err.is_terminal and not json_output else None
    sync = DockSync(
        server,
        token,
        directory,
        dock_id=dock_id,
        retries=retries,
        retry_delay=retry_delay,
        locked_wait=locked_wait,
        min_age=min_age,
        include=include or (),
        exclude=exclude or (),
        progress=progress,
    )
    with stop_on_signals(sync) as received:
        try:
            report = sync.run(parallel=parallel, delete_after_verify=delete_after_verify)
        finally:
            if progress is not None:
                progress.finish()
        summarise(report, json_output)
        if received:
            if sync.left_running:  # a worker still blocked on the link: do not wait for it
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(128 + received[0])
            raise typer.Exit(128 + received[0])
    if report.failed:
        raise typer.Exit(1)


def summarise(report: SyncReport, json_output: bool) -> None:
    if json_output:
        typer.echo(json.dumps(report.as_json(), ensure_ascii=False))
    else:
        table = Table(title="recording-dock sync")
        for column in ("file", "result", "detail"):
            table.add_column(column)
        for item in report.files:
            mark = {
                "uploaded": "[green]uploaded[/green]",
                "skipped": "skipped",
                "failed": "[red]failed[/red]",
                "interrupted": "[yellow]will resume[/yellow]",
            }[item.status]
            detail = item.error or item.reason or ""
            if item.status == "interrupted":
                detail = f"{item.sent} of {item.size} bytes sent; the next run resumes there"
            if item.resumed_at:
                detail = f"resumed at byte {item.resumed_at}; {detail}".rstrip("; ")
            table.add_row(item.path, mark + (" · deleted" if item.deleted else ""), detail)
        err.print(table)
        err.print(f"uploaded {report.uploaded}, skipped {report.skipped}, failed {report.failed}, deleted {report.deleted}")
        if report.ignored:
            err.print(
                f"left alone (not recordings; --include to add): {', '.join(report.ignored[:10])}"
                + (f" and {len(report.ignored) - 10} more" if len(report.ignored) > 10 else "")
            )
        for sidecar in report.orphan_sidecars:
            err.print(f"[yellow]{sidecar} describes no recording (no file of that name beside it)[/yellow]")
        if report.stopped_by:
            err.print(
                f"[yellow]stopped by {report.stopped_by}: will resume {report.interrupted}, not started {len(report.not_started)}"
                " (the next run takes them up)[/yellow]"
            )
            if report.not_started:
                err.print(
                    f"not started: {', '.join(report.not_started[:10])}"
                    + (f" and {len(report.not_started) - 10} more" if len(report.not_started) > 10 else "")
                )
