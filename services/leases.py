"""Leases in the database: one holder at a time for a named job, taken over when its holder
stops renewing (it died, or hangs) once `expires_at` has passed.

Taking is a compare-and-swap on the row as it was read (holder and expiry), so two replicas
that both see an expired lease cannot both take it, and a holder renewing at the moment
another takes over loses cleanly. Times come from the one clock (`models.utcnow`).
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models import Lease, utcnow

logger = logging.getLogger(__name__)

SWEEPS = "sweeps"  # the scheduler's jobs
INSTANCE = "instance"  # the one bot process of a database without Redis


def new_holder() -> str:
    """This process's name for a lease: host, pid and a token (a restart is a new holder)."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


def stale_on_this_host(holder: str) -> bool:
    """A holder of this very machine whose process is gone, or an earlier life of this pid
    (a container restarted under the same hostname is pid 1 again): its lease is void at once
    instead of after its expiry, so a restart after a crash does not wait."""
    host, _, rest = holder.partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname() or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, someone else's
        return False
    return False


async def take(
    session: AsyncSession,
    name: str,
    holder: str,
    ttl: timedelta,
    stale: Callable[[str], bool] = lambda _holder: False,
) -> str | None:
    """Take or renew lease `name` for `ttl`; None when `holder` has it now, else who holds it."""
    now = utcnow()
    seen = (
        await session.execute(select(Lease.holder, Lease.expires_at).where(Lease.name == name))
    ).first()
    if seen is None:
        session.add(Lease(name=name, holder=holder, expires_at=now + ttl))
        try:
            await session.commit()
        except IntegrityError:  # another process inserted it first
            await session.rollback()
            return await holder_of(session, name) or "?"
        return None
    if seen.holder != holder and seen.expires_at > now and not stale(seen.holder):
        await session.rollback()
        return str(seen.holder)
    result = await session.execute(
        update(Lease)
        .where(
            Lease.name == name,
            Lease.holder == seen.holder,
            Lease.expires_at == seen.expires_at,
        )
        .values(holder=holder, expires_at=now + ttl)
        .execution_options(synchronize_session=False)
    )
    await session.commit()
    if getattr(result, "rowcount", 0) == 1:
        return None
    return await holder_of(session, name) or "?"


async def holder_of(session: AsyncSession, name: str) -> str | None:
    return await session.scalar(select(Lease.holder).where(Lease.name == name))


async def release(session: AsyncSession, name: str, holder: str) -> None:
    """Give the lease back at once (a graceful stop): the next taker need not wait."""
    await session.execute(delete(Lease).where(Lease.name == name, Lease.holder == holder))
    await session.commit()


class Keeper:
    """One lease as this process sees it: `hold()` takes or renews it (call it more often than
    `ttl`), logs when it is taken and lost, `release()` gives it back."""

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        name: str,
        ttl: float,
        holder: str | None = None,
        stale: Callable[[str], bool] = lambda _holder: False,
    ) -> None:
        self.name = name
        self.holder = holder or new_holder()
        self.ttl = timedelta(seconds=ttl)
        self.held = False
        self.other: str | None = None  # who held it at the last look, when not this process
        self._sessions = session_factory
        self._stale = stale

    async def hold(self) -> bool:
        async with self._sessions() as session:
            other = await take(session, self.name, self.holder, self.ttl, self._stale)
        was, self.held, self.other = self.held, other is None, other
        if self.held and not was:
            logger.info("Lease %r taken", self.name, extra={"holder": self.holder})
        elif was and not self.held:
            logger.warning("Lease %r lost to another process", self.name, extra={"holder": other})
        return self.held

    async def release(self) -> None:
        if not self.held:
            return
        self.held = False
        async with self._sessions() as session:
            await release(session, self.name, self.holder)
