"""GetAuthorizationToken for every region at once, each call in its own thread, the round bounded by a deadline.

botocore's timeouts bound each read, not a call: a server that trickles bytes keeps a read alive forever. So each
call runs in a daemon thread and the round stops waiting at the deadline; a call still running then is left to
finish in the background, and its region gets no second call until it has, so threads never pile up.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

from ecr_token_refresh import aws, stop

Outcome = aws.AuthorizationData | Exception


class NoAnswerInTime(Exception):
    """The call did not return within the deadline."""


class PreviousCallRunning(Exception):
    """The region's call of an earlier round has not returned yet."""


@dataclass
class _Call:
    thread: threading.Thread
    started: float


class RegionCalls:
    """At most one call per region in flight."""

    def __init__(self, clients: Mapping[str, aws.EcrApi], deadline_seconds: float) -> None:
        self._clients = clients
        self._deadline = deadline_seconds
        self._running: dict[str, _Call] = {}

    def round(self, regions: Iterable[str]) -> Iterator[tuple[str, Outcome]]:
        """Each region's outcome as soon as it arrives; NoAnswerInTime for those still silent at the deadline."""
        started = time.monotonic()
        answers: queue.SimpleQueue[tuple[str, Outcome]] = queue.SimpleQueue()
        waiting, refused = set(), []
        for region in dict.fromkeys(regions):
            previous = self._running.get(region)
            if previous is not None and previous.thread.is_alive():
                age = started - previous.started
                refused.append((region, PreviousCallRunning(f"the call sent {age:.0f} s ago has not returned")))
            else:
                self._start(region, answers, started)
                waiting.add(region)
        yield from refused
        while waiting:
            try:
                region, outcome = answers.get(timeout=max(0.0, started + self._deadline - time.monotonic()))
            except queue.Empty:
                break
            waiting.discard(region)
            yield region, outcome
        for region in sorted(waiting):
            yield region, NoAnswerInTime(f"no answer within {self._deadline:g} s (connect, retries and reads)")

    def _start(self, region: str, answers: queue.SimpleQueue[tuple[str, Outcome]], started: float) -> None:
        client = self._clients[region]

        def call() -> None:
            try:
                outcome: Outcome = aws.get_authorization_token(client)
            # Throttling, network, credentials, a malformed answer: all are this region's failure, nothing more.
            except Exception as error:
                outcome = error
            answers.put((region, outcome))

        thread = threading.Thread(target=call, name=f"GetAuthorizationToken {region}", daemon=True)
        self._running[region] = _Call(thread, started)
        stop.start_deaf(thread)
