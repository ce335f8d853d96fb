"""Typed producer: sends models to registry topics, optionally in transactions."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeVar

import confluent_kafka

from orchestrator.kafka._logging import with_logger
from orchestrator.kafka.errors import (
    BrokerUnreachableError,
    KafkaError,
    ProduceError,
    TransactionError,
    from_confluent,
)
from orchestrator.kafka.records import Record
from orchestrator.kafka.serde import encode, encode_key
from orchestrator.kafka.topics import Topics, TopicSpec
from orchestrator.kafka.wakeup import produced
from orchestrator.models.base import KestrelModel
from orchestrator.settings import ConfigValue, KafkaSettings, KestrelSettings, kafka_settings

if TYPE_CHECKING:
    from orchestrator.kafka.consumer import KafkaConsumer

ModelT = TypeVar("ModelT", bound=KestrelModel)
_ResultT = TypeVar("_ResultT")

HeaderValues = Mapping[str, str | bytes]


_DELIVERY_SLICE = 0.001
"""Seconds between checks of a record's acknowledgement in `KafkaProducer.deliver`."""


class _Delivery:
    """The outcome of one record, reported by librdkafka on whichever thread polls."""

    def __init__(self) -> None:
        self.done = threading.Event()
        self.error: confluent_kafka.KafkaError | None = None

    def report(self, error: confluent_kafka.KafkaError | None, message: Any) -> None:
        self.error = error
        self.done.set()


class KafkaProducer:
    """Produce Kestrel models to registry topics.

    Non-transactional: ``send`` then ``flush`` (which raises the first failed delivery).
    Transactional (``transactional_id`` given): ``begin``, ``send`` ..., ``send_offsets``,
    ``commit`` (or ``abort``); or ``with producer.transaction(): ...``.
    """

    def __init__(
        self,
        settings: KafkaSettings | KestrelSettings,
        *,
        transactional_id: str | None = None,
        client_id: str | None = None,
        timeout: float | None = None,
        overrides: Mapping[str, ConfigValue] | None = None,
    ):
        """Create the producer; a transactional one registers its id (fencing older ones).

        Args:
            settings: Kafka settings.
            transactional_id: Stable id making the producer transactional.
            client_id: ``client.id`` shown in broker logs.
            timeout: Seconds for blocking calls (init, commit, abort, flush); defaults to
                ``settings.admin_timeout``.
            overrides: librdkafka properties set last.

        Raises:
            BrokerUnreachableError: A transactional producer got no answer from the broker.
            TransactionError: The transaction coordinator refused the id.
        """
        settings = kafka_settings(settings)
        config = settings.producer_config(transactional_id, **(overrides or {}))
        if client_id is not None:
            config["client.id"] = client_id
        self.topics = Topics(settings.topic_prefix)
        self.transactional = transactional_id is not None
        self._bootstrap = settings.bootstrap
        self._timeout = timeout if timeout is not None else settings.admin_timeout
        self._failed: list[KafkaError] = []
        self._in_transaction = False
        self._written: set[str] = set()  # topics of the open transaction, rung at commit
        self._begun_ahead = False  # the next transaction is begun already (`_begin_ahead`)
        self._producer = confluent_kafka.Producer(with_logger(config))
        if self.transactional:
            try:
                self._producer.init_transactions(self._timeout)
            except confluent_kafka.KafkaException as exc:
                error = from_confluent(exc, "transaction")
                if error.code in ("_TIMED_OUT", "_TRANSPORT"):
                    raise BrokerUnreachableError(self._bootstrap, self._timeout, str(exc)) from exc
                raise error from exc

    def __enter__(self) -> KafkaProducer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _on_delivery(self, error: confluent_kafka.KafkaError | None, message: Any) -> None:
        if error is not None:
            key = message.key()
            self._failed.append(
                from_confluent(
                    error,
                    "produce",
                    topic=message.topic(),
                    key=key.decode("utf-8", "replace") if key is not None else None,
                )
            )

    def _raise_failed(self) -> None:
        if self._failed:
            first, self._failed = self._failed[0], []
            raise first

    def send(
        self,
        topic: TopicSpec[ModelT],
        key: str,
        value: ModelT | None,
        *,
        headers: HeaderValues | None = None,
        partition: int | None = None,
        encoded: bytes | None = None,
    ) -> None:
        """Queue ``value`` (None: a tombstone) under ``key`` for ``topic``.

        ``encoded`` is ``value``'s wire form when the caller has it already (the executor's
        snapshots, serialised by the engine to check their size).

        Raises:
            ProduceError: The record is refused (too large ...), the local queue stays full
                past the timeout, or an earlier record failed delivery.
        """
        self._raise_failed()
        name = self.topics.name(topic)
        data = None if value is None else encoded if encoded is not None else encode(value)
        kwargs: dict[str, Any] = {"key": encode_key(key), "value": data}
        if headers:
            kwargs["headers"] = list(headers.items())
        if partition is not None:
            kwargs["partition"] = partition
        deadline = time.monotonic() + self._timeout
        while True:
            try:
                self._producer.produce(name, on_delivery=self._on_delivery, **kwargs)
                break
            except BufferError:
                if time.monotonic() >= deadline:
                    raise ProduceError(
                        name, "local queue full (broker too slow?)", key=key, retriable=True
                    ) from None
                self._producer.poll(0.05)
            except confluent_kafka.KafkaException as exc:
                raise from_confluent(exc, "produce", topic=name, key=key) from exc
        if self._in_transaction:
            self._written.add(name)
        else:
            # Readers of this process resting on the topic fetch now: the record follows
            # within milliseconds, and they stay awake ``kafka.idle_after`` for it.
            produced((name,))
        self._producer.poll(0)

    def deliver(self, topic: TopicSpec[ModelT], key: str, value: ModelT, timeout: float) -> None:
        """Send one record and wait for its own acknowledgement; safe from many threads.

        Unlike ``send`` then ``flush``, a caller waits for its record only, neither for the
        others queued nor behind a lock, so concurrent callers share the broker's round
        trips (librdkafka batches their records) and one's failure is never another's.

        Raises:
            ProduceError: This record failed, or was not acknowledged within ``timeout``.
        """
        self.deliver_to(self.topics.name(topic), key, encode(value), timeout)

    def deliver_to(self, name: str, key: str, data: bytes, timeout: float) -> None:
        """`deliver` an encoded record to the topic of full name ``name``.

        Raises:
            ProduceError: This record failed, or was not acknowledged within ``timeout``.
        """
        outcome = _Delivery()
        try:
            self._producer.produce(
                name, key=encode_key(key), value=data, on_delivery=outcome.report
            )
        except BufferError:
            raise ProduceError(name, "local queue full (broker too slow?)", key=key) from None
        except confluent_kafka.KafkaException as exc:
            raise from_confluent(exc, "produce", topic=name, key=key) from exc
        deadline = time.monotonic() + timeout
        while not outcome.done.is_set():
            left = deadline - time.monotonic()
            if left <= 0:
                raise ProduceError(
                    name, f"not acknowledged within {timeout:g} s", key=key, retriable=True
                )
            # Short slices: another thread's poll may serve this record's report.
            self._producer.poll(min(_DELIVERY_SLICE, left))
        if outcome.error is not None:
            raise from_confluent(outcome.error, "produce", topic=name, key=key)
        produced((name,))

    def poll(self, timeout: float = 0) -> None:
        """Serve delivery reports; raises the first failed delivery as ``ProduceError``."""
        self._producer.poll(timeout)
        self._raise_failed()

    def flush(self, timeout: float | None = None) -> None:
        """Wait until every queued record is acknowledged.

        Raises:
            ProduceError: A record failed, or some are still unacknowledged at the timeout.
        """
        wait = self._timeout if timeout is None else timeout
        remaining = self._producer.flush(wait)
        self._raise_failed()
        if remaining:
            raise ProduceError(
                "(several)",
                f"{remaining} record(s) not acknowledged within {wait:g} s",
                retriable=True,
            )

    def _transactional(self, call: Callable[..., _ResultT], *args: Any) -> _ResultT:
        """Run a transactional call, repeating it while the error says it is retriable."""
        if not self.transactional:
            raise TransactionError("this producer has no transactional id", fatal=True)
        deadline = time.monotonic() + self._timeout
        while True:
            try:
                return call(*args)
            except confluent_kafka.KafkaException as exc:
                error = from_confluent(exc, "transaction")
                retry = isinstance(error, TransactionError) and error.retriable
                if retry and time.monotonic() < deadline:
                    continue
                raise error from exc

    def begin(self) -> None:
        """Start a transaction (begun ahead already, at the end of the previous one)."""
        self._failed = []
        self._written = set()
        if not self._begun_ahead:
            self._transactional(self._producer.begin_transaction)
        self._begun_ahead = False
        self._in_transaction = True

    def _begin_ahead(self) -> None:
        """Begin the next transaction now, while librdkafka's main thread is awake.

        ``begin_transaction`` waits for that thread holding the GIL: asleep since the last
        commit on a busy machine, it took up to 39 ms to answer, every other thread of the
        process stalled meanwhile (80 % of the executor's GIL time in the profile). Right
        after a commit it answers in microseconds. A transaction nothing was added to costs
        nothing at the broker, however long it stays open.
        """
        try:
            self._producer.begin_transaction()
        except confluent_kafka.KafkaException:
            return  # `begin` tries again and reports the error
        self._begun_ahead = True

    def send_offsets(
        self,
        consumer: KafkaConsumer,
        timeout: float | None = None,
        *,
        records: Iterable[Record] | None = None,
    ) -> None:
        """Add what ``consumer`` read to the transaction (committed on ``commit``).

        With ``records`` (the batch the transaction consumed), the offsets after each
        partition's last record; else the consumer's current positions, which librdkafka
        answers under locks its fetcher holds (a fifth of an executor's turn at load).
        """
        if records is not None:
            last: dict[tuple[str, int], int] = {}
            for record in records:
                where = (record.topic, record.partition)
                last[where] = max(last.get(where, -1), record.offset)
            offsets = [
                confluent_kafka.TopicPartition(topic, partition, offset + 1)
                for (topic, partition), offset in last.items()
            ]
        else:
            offsets = [tp for tp in consumer.raw_positions() if tp.offset >= 0]
        if not offsets:
            return
        wait = self._timeout if timeout is None else timeout
        try:
            self._transactional(
                self._producer.send_offsets_to_transaction,
                offsets,
                consumer.group_metadata(),
                wait,
            )
        except KafkaError:
            consumer.forget_group_metadata()  # may be stale (a rebalance): ask again next time
            raise

    def commit(self, timeout: float | None = None) -> None:
        """Commit the transaction: its records and offsets become visible atomically.

        Raises:
            TransactionError: ``abortable``: call ``abort`` and redo the batch; ``fatal``:
                make a new producer.
            ProducerFencedError: A newer producer with the same id exists.
        """
        self._transactional(
            self._producer.commit_transaction, self._timeout if timeout is None else timeout
        )
        self._in_transaction = False
        self._failed = []
        written, self._written = self._written, set()
        produced(written)  # visible to read_committed readers now, not before
        self._begin_ahead()

    def abort(self, timeout: float | None = None) -> None:
        """Abort the transaction: read_committed consumers never see its records."""
        self._transactional(
            self._producer.abort_transaction, self._timeout if timeout is None else timeout
        )
        self._in_transaction = False
        self._failed = []
        self._begin_ahead()

    @contextmanager
    def transaction(self) -> Iterator[KafkaProducer]:
        """Begin; commit when the block ends, abort when it raises."""
        self.begin()
        try:
            yield self
        except BaseException:
            self.abort()
            raise
        self.commit()

    def close(self, timeout: float | None = None) -> None:
        """Deliver what is queued; a transaction still open is aborted, not committed."""
        if not self.transactional:
            self.flush(timeout)
        elif self._in_transaction or self._begun_ahead:
            self._begun_ahead = False
            with contextlib.suppress(KafkaError):
                self._transactional(
                    self._producer.abort_transaction,
                    self._timeout if timeout is None else timeout,
                )
            self._in_transaction = False
        # A fenced or otherwise fatally failed producer reports its error again on every
        # call; at close there is nothing left to do about it.
        with contextlib.suppress(confluent_kafka.KafkaException):
            self._producer.poll(0)
