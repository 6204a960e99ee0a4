"""A service hands its latest signed checkpoint to the witness (C2SP tlog-witness), with the consistency
proof from the last size the witness cosigned, until the witness has cosigned it.

Nothing is lost if either side dies: the checkpoint is already kept in the service's database, and a round
that fails is simply tried again; a witness that restarted tells its size (409) and is sent the proof from
there. The witness keeps the cosigned checkpoint; `tracs audit verify` and bundles read it from the witness.
"""

from __future__ import annotations

import base64

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared import audit_tree
from shared.logging import get_logger

log = get_logger(__name__)


class WitnessRefused(RuntimeError):
    pass


class WitnessSubmitter:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], url: str, client: httpx.AsyncClient | None = None):
        self.sessions = sessions
        self.url = url.rstrip("/")
        self.client = client or httpx.AsyncClient(timeout=10)
        self.witness_size: int | None = None  # the size the witness last cosigned, as far as we know
        self.cosigned = 0

    async def step(self) -> bool:
        """Submit the latest checkpoint if the witness has not cosigned it; True once it has (or had)."""
        async with self.sessions() as session:
            size = await audit_tree.last_checkpoint_size(session)
            if not size or size <= self.cosigned:
                return False
            kept = await audit_tree.checkpoint_covering(session, size, size)
            assert kept is not None
            for _ in range(2):  # the second try starts from the size the witness says it has
                old = self.witness_size or 0
                if old > size:
                    self.cosigned = size  # the witness is ahead (another replica submitted a later one)
                    return False
                proof = await audit_tree.consistency_proof(session, old, size) if 0 < old < size else []
                body = f"old {old}\n" + "".join(base64.b64encode(h).decode() + "\n" for h in proof)
                r = await self.client.post(f"{self.url}/add-checkpoint", content=f"{body}\n{kept.note}")
                if r.status_code == 200:
                    self.witness_size = self.cosigned = size
                    return True
                if r.status_code == 409 and r.headers.get("content-type", "").startswith("text/x.tlog.size"):
                    self.witness_size = int(r.text.strip())
                    continue
                raise WitnessRefused(
                    f"the witness refused the checkpoint of {size} entries ({r.status_code}): {r.text[:200]}"
                )
        return False

    async def aclose(self) -> None:
        await self.client.aclose()
