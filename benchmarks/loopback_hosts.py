"""Spread one govsim over many loopback hosts, so per-host politeness sees many sites.

    python benchmarks/loopback_hosts.py --target 8800 --hosts 500   # prints the addresses

govsim binds 127.0.0.1 only, and Scrapy's politeness (download slots, AutoThrottle) is per
host name: 500 sources on one host are crawled one or two at a time, which is the design
for one real site but not what hundreds of real sources on hundreds of sites cost. This
process listens on 127.0.1.1, 127.0.1.2, … (every 127/8 address is loopback on Linux), on
the simulator's port, and copies bytes both ways to 127.0.0.1; it runs as its own process,
so its CPU is never counted as govwatch's. Standard library only.
"""

from __future__ import annotations

import argparse
import asyncio
import sys


def addresses(count: int) -> list[str]:
    """``count`` loopback addresses, none of them 127.0.0.1 (govsim's own)."""
    return [f"127.{1 + i // 250}.0.{1 + i % 250}" for i in range(count)]


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        writer.close()


async def _forward(target: int, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", target)
    except OSError:
        writer.close()
        return
    await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))


async def serve(target: int, count: int) -> None:
    servers = []
    for host in addresses(count):
        servers.append(
            await asyncio.start_server(
                lambda r, w: _forward(target, r, w), host, target, backlog=256
            )
        )
    print("ready", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)  # until closed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--target", type=int, required=True, help="govsim's port on 127.0.0.1")
    parser.add_argument("--hosts", type=int, required=True)
    args = parser.parse_args()
    asyncio.run(serve(args.target, args.hosts))


if __name__ == "__main__":
    main()
