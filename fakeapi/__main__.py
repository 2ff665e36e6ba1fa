"""Run the fake Bot API standalone, e.g. for a broadcast benchmark in another process.

    python -m fakeapi --port 8081 --rate-limit 30 --latency 0.04 0.08 \
        --blocked-fraction 0.02 --chat-range 1000000 50000

Any bot token is accepted unless --token is given.  Recording of calls is off unless
--record; counters are printed on Ctrl-C / SIGTERM (and every --stats-every seconds).

For a demo, play the user with curl against the endpoints under /_demo/ (fakeapi/demo.py):

    curl -d text=/start -d first_name=Мария http://127.0.0.1:8081/_demo/chats/1001/message
    curl -d "button=✅ Согласен(на)" http://127.0.0.1:8081/_demo/chats/1001/click
    curl -F file=@samples/kursk_orgs.csv http://127.0.0.1:8081/_demo/chats/1001/document
    curl http://127.0.0.1:8081/_demo/chats/1001
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys

from .server import FakeTelegram


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m fakeapi", description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--token", default=None, help="accept only this bot token")
    parser.add_argument(
        "--rate-limit",
        type=float,
        default=None,
        metavar="PER_SECOND",
        help="429 for send-like calls beyond this many in any second",
    )
    parser.add_argument("--retry-after", type=int, default=1)
    parser.add_argument(
        "--per-chat-limit",
        action="store_true",
        help="also 429 beyond one message per second to one chat",
    )
    parser.add_argument(
        "--latency",
        type=float,
        nargs=2,
        default=None,
        metavar=("MIN", "MAX"),
        help="seconds of delay per call, uniform in [MIN, MAX]",
    )
    parser.add_argument("--blocked-fraction", type=float, default=0.0)
    parser.add_argument(
        "--chat-range",
        type=int,
        nargs=2,
        default=None,
        metavar=("FIRST", "N"),
        help="chat ids FIRST..FIRST+N-1 from which --blocked-fraction is drawn",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--record", action="store_true", help="keep a list of every call")
    parser.add_argument(
        "--strict",
        action="store_true",
        help="fail copies of unknown messages and unknown file_ids",
    )
    parser.add_argument(
        "--any-callback-query",
        action="store_true",
        help="accept answerCallbackQuery for ids this server did not issue (once each), "
        "for a client that makes its own updates",
    )
    parser.add_argument("--stats-every", type=float, default=0.0, metavar="SECONDS")
    args = parser.parse_args(argv)
    if args.blocked_fraction and args.chat_range is None:
        parser.error("--blocked-fraction needs --chat-range FIRST N")
    return args


async def serve(args: argparse.Namespace) -> None:
    fake = FakeTelegram(
        args.token,
        host=args.host,
        port=args.port,
        record_calls=args.record,
        strict=args.strict,
        seed=args.seed,
    )
    if args.rate_limit is not None or args.per_chat_limit:
        fake.set_rate_limit(args.rate_limit, args.retry_after, per_chat_limit=args.per_chat_limit)
    if args.latency is not None:
        fake.set_latency(*args.latency)
    fake.api.any_callback_query = args.any_callback_query
    blocked: set[int] = set()
    if args.chat_range is not None and args.blocked_fraction:
        first, count = args.chat_range
        blocked = fake.block_fraction(
            args.blocked_fraction, range(first, first + count), seed=args.seed
        )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):  # Windows has no signal handlers
            loop.add_signal_handler(sig, stop.set)
    await fake.start()
    print(f"fake Telegram Bot API at {fake.base_url} (blocked chats: {len(blocked)})", flush=True)
    print(f"play a user: {fake.base_url}/_demo/chats/<user id>  (see fakeapi/demo.py)", flush=True)
    try:
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=args.stats_every or None)
            if args.stats_every:
                print(f"stats: {fake.stats}", flush=True)
    finally:
        await fake.stop()
        print(f"final stats: {fake.stats}", flush=True)


def main(argv: list[str] | None = None) -> int:
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(parse_args(argv)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
