"""BelGov-Trace-Id values: version 4 UUIDs, never the same twice, from threads and after a fork
too, though the random bytes behind them are fetched from the system in batches."""

from __future__ import annotations

import os
import threading
import uuid

from status_dashboard.api import tracing


def test_a_trace_id_is_a_version_4_uuid() -> None:
    for _ in range(1_000):
        parsed = uuid.UUID(tracing.new_trace_id())
        assert (parsed.version, parsed.variant) == (4, uuid.RFC_4122)


def test_trace_ids_are_unique_across_many_batches_of_random_bytes() -> None:
    # 4 KB a batch holds 256 ids: 20,000 ids take some 78 batches.
    ids = {tracing.new_trace_id() for _ in range(20_000)}
    assert len(ids) == 20_000


def test_threads_asking_at_once_never_get_the_same_bytes() -> None:
    source = tracing._RandomBytes(size=64)  # a batch of four ids: refills race often
    taken: list[list[bytes]] = [[] for _ in range(8)]

    def take(into: list[bytes]) -> None:
        for _ in range(2_000):
            into.append(source.take(16))

    threads = [threading.Thread(target=take, args=(into,)) for into in taken]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    every = [chunk for chunks in taken for chunk in chunks]
    assert all(len(chunk) == 16 for chunk in every)
    assert len(set(every)) == len(every) == 16_000


def test_a_forked_child_does_not_repeat_its_parents_ids() -> None:
    tracing.new_trace_id()  # the parent holds a batch it has not used up
    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # the child: its next ids, to the parent, then gone
        os.close(read)
        os.write(write, "".join(tracing.new_trace_id() for _ in range(8)).encode())
        os._exit(0)
    os.close(write)
    with os.fdopen(read) as pipe:
        childs = pipe.read()
    os.waitpid(child, 0)
    parents = [tracing.new_trace_id() for _ in range(8)]
    assert len(childs) == 8 * 36
    assert not any(trace_id in childs for trace_id in parents)
