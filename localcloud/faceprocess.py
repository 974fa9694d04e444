"""The face service in a child process: `python -m localcloud.faceprocess`.

dlib holds the GIL while it detects and encodes; in a process of its own it does not stop
moto, the router and the handlers. See localcloud.children.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from .children import serve_until_stopped


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m localcloud.faceprocess")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--s3-endpoint-url", default=None)
    parser.add_argument("--region", default="us-east-1")
    args = parser.parse_args(argv)

    from .faceservice import create_server

    server = create_server(
        port=args.port,
        data_dir=args.data_dir,
        s3_endpoint_url=args.s3_endpoint_url,
        region=args.region,
    ).start()
    serve_until_stopped(server.url, server.stop)


if __name__ == "__main__":
    main()
