"""`doorman push SOURCE --stream NAME`: stream a camera into Kinesis Video Streams."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from cli.common import configure_logging, load_or_exit
from edge_agent.push import (
    KVS_SINK,
    DefaultChainCredentials,
    KvsCredentialFile,
    PipelineSupervisor,
    PushError,
    build_pipeline,
    check_elements,
    child_environment,
    pipeline_elements,
)


def _default_region() -> str | None:
    import botocore.session

    region = botocore.session.get_session().get_config_variable("region")
    return str(region) if region else None


@click.command("push")
@click.argument("source")
@click.option("--stream", "stream_name", help="KVS stream name (default: push.stream_name).")
@click.option("--region", help="AWS region of the stream (default: push.region, then AWS_REGION).")
@click.option("--config", "config_path", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--realtime/--as-fast-as-possible",
    default=True,
    show_default=True,
    help="Pace a video file at its frame rate (live sources are always real time).",
)
@click.option("--bitrate", "bitrate_kbps", type=click.IntRange(100, 50_000), default=2000)
@click.option("--max-backoff", type=click.FloatRange(1, 3600), default=60.0, show_default=True)
@click.option("--sink", default=KVS_SINK, hidden=True, help="GStreamer sink (tests: fakesink).")
@click.option("--sink-property", "sink_properties", multiple=True, hidden=True)
@click.option("--verbose", "-v", is_flag=True, help="Let gst-launch print every state change.")
def push(
    source: str,
    stream_name: str | None,
    region: str | None,
    config_path: Path | None,
    realtime: bool,
    bitrate_kbps: int,
    max_backoff: float,
    sink: str,
    sink_properties: tuple[str, ...],
    verbose: bool,
) -> None:
    """Push SOURCE (rtsp:// URL, video file or /dev/videoN) to a KVS stream via kvssink.

    The pipeline is restarted with backoff when it fails. SIGTERM/Ctrl-C stop it cleanly.
    AWS credentials come from the default chain; kvssink reads them from a private file
    that is rewritten before they expire, never from argv or its environment.
    """
    configure_logging("INFO")
    config = load_or_exit(config_path)
    stream_name = stream_name or config.push.stream_name
    if not stream_name:
        raise click.UsageError("no stream: pass --stream NAME or set push.stream_name")
    region = region or config.push.region or _default_region()
    properties = dict(item.partition("=")[::2] for item in sink_properties)
    live = not Path(source).is_file()
    credentials = KvsCredentialFile(DefaultChainCredentials())
    try:
        credentials.start()
        if sink == KVS_SINK:  # the test sink (fakesink) has no such property
            properties["credential-path"] = str(credentials.path)
        argv = build_pipeline(
            source,
            stream_name,
            region=region,
            sink=sink,
            sink_properties=properties,
            realtime=realtime,
            bitrate_kbps=bitrate_kbps,
            rtsp_transport=config.push.rtsp_transport,
            extra_launch_args=("-v",) if verbose else (),
        )
        check_elements(pipeline_elements(argv))
        supervisor = PipelineSupervisor(
            argv,
            env=child_environment(region),
            restart_on_exit_0=live,
            max_backoff=max_backoff,
        )
        code = supervisor.run()
    except PushError as error:
        raise click.ClickException(str(error)) from None
    finally:
        credentials.close()
    sys.exit(code)


commands = [push]
