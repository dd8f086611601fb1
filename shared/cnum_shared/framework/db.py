"""Database plumbing every service shares: engines, naming conventions, the unit of work, migrations.

SQLite is the embedded default (`make run`); PostgreSQL is the production database. Both get the same
schema from each service's Alembic migrations.
"""

from __future__ import annotations

import functools
import gc
import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from enum import StrEnum
from pathlib import Path
from types import TracebackType
from typing import Any, ParamSpec, Self, TypeVar

from sqlalchemy import (
    JSON,
    ColumnElement,
    DateTime,
    Engine,
    MetaData,
    Numeric,
    String,
    and_,
    any_,
    bindparam,
    case,
    create_engine,
    event,
    func,
    insert,
    literal_column,
    null,
    or_,
    text,
    type_coerce,
)
from sqlalchemy import (
    Enum as SqlEnum,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import TypeDecorator

from cnum_shared.core.errors import ConcurrentWrite
from cnum_shared.core.territories import department_regions

#: Constraint names are explicit so that migrations can drop them on both databases.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

#: Money columns: twelve digits, two after the point (up to 9,999,999,999.99 €).
MONEY = Numeric(12, 2, asdecimal=True)

SQLITE_BUSY_TIMEOUT_MS = 30_000
#: Execution option of the connections of read-only units of work (see `_configure_sqlite`).
READ_ONLY_OPTION = "cnum_read_only"


def new_metadata() -> MetaData:
    """A MetaData with the project's constraint naming convention."""
    return MetaData(naming_convention=NAMING_CONVENTION)


def enum_type(enum_class: type[StrEnum], length: int = 32) -> SqlEnum:
    """A status column typed by its domain enum (`Mapped[TrancheStatus] = mapped_column(enum_type(...))`):
    stored as its value in a VARCHAR (no database enum type to migrate), refused in Python when unknown."""
    return SqlEnum(
        enum_class,
        native_enum=False,
        create_constraint=False,
        length=length,
        validate_strings=True,
        values_callable=lambda members: [member.value for member in members],
    )


P = ParamSpec("P")
R = TypeVar("R")


def nogc(function: Callable[P, R]) -> Callable[P, R]:
    """Run `function` with Python's cycle collector paused, for the bulk work that builds tens of
    thousands of rows at once (scheduling the whole programme, the first compliance scan).

    The collector runs after every 700 new container objects and walks every object the process holds;
    the rows, dicts and UUIDs built here hold no cycles, so those passes free nothing and cost a fifth of
    the scheduling's time in a large process (bench/run.py). Mercurial's `util.nogc` does the same.
    Reference counting still frees memory meanwhile. The collector is global to the process: only the
    outermost call, which found it running, restarts it, so a concurrent call never leaves it off.
    """

    @functools.wraps(function)
    def paused(*args: P.args, **kwargs: P.kwargs) -> R:
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            return function(*args, **kwargs)
        finally:
            if was_enabled:
                gc.enable()

    return paused


def among(session: Session, column: Any, values: Iterable[Any]) -> ColumnElement[bool]:
    """`column IN values`, for a few or for thousands of values.

    On PostgreSQL the values travel as one array parameter (`= ANY(%s)`): an IN list of 4,000 values is
    4,000 parameters, which psycopg parses out of the query text on every call (a tenth of a second when
    scheduling the whole programme, bench/run.py). SQLite has no arrays and takes the IN list.
    """
    values = list(values)
    clause: ColumnElement[bool]
    if session.get_bind().dialect.name == "postgresql":
        clause = column == any_(bindparam(None, values, type_=ARRAY(column.type)))
    else:
        clause = column.in_(values)
    return clause


def insert_rows(session: Session, model: type[Any], rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert many plain rows of `model`'s table, inside the session's transaction, the fast way of each
    database: COPY on PostgreSQL, one executemany of ready-made tuples on SQLite.

    Scheduling the whole programme or the first compliance scan writes tens of thousands of rows; the
    generic paths (the ORM's bulk insert, or a Core executemany that rebuilds each row's parameters) spent
    most of their time in Python, and psycopg's pipelined executemany in one round trip per row
    (bench/run.py). Values still go through each column's own bind processing (UUIDs, UTC timestamps).
    Rows must all have the same keys and give every column that has a Python-side default.
    """
    if not rows:
        return
    table = model.__table__
    names = list(rows[0])
    defaulted = {column.name for column in table.c if column.default is not None}
    if any(row.keys() != rows[0].keys() for row in rows) or defaulted - set(names):
        session.execute(insert(table), rows)  # the general path, with SQLAlchemy filling in defaults
        return
    connection = session.connection()
    dialect = connection.dialect
    driver: Any = connection.connection.driver_connection  # the DBAPI connection, in this transaction
    postgresql = dialect.name == "postgresql"
    # SQLAlchemy writes the statement (for SQLite: qmark parameters in `positiontup` order).
    compiled = insert(table).compile(dialect=dialect, column_keys=names)
    order = names if postgresql else list(compiled.positiontup or names)
    # Column by column, one tight loop each (twice as fast as a generator per row). psycopg adapts
    # Python values itself, so on PostgreSQL only our own types' rules apply (UTC timestamps).
    values_by_column = []
    for name in order:
        column_type = table.c[name].type
        if postgresql:
            process = (
                (lambda value, t=column_type: t.process_bind_param(value, dialect))
                if isinstance(column_type, TypeDecorator)
                # COPY takes a JSON column's text: psycopg does not adapt a dict or a list by itself.
                else json.dumps
                if isinstance(column_type, JSON)
                else None
            )
        else:
            process = column_type.dialect_impl(dialect).bind_processor(dialect)
        values = [row[name] for row in rows]
        if process is not None:
            values = [None if value is None else process(value) for value in values]
        values_by_column.append(values)
    prepared = list(zip(*values_by_column, strict=True))
    try:
        if postgresql:
            from psycopg import sql

            statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
                sql.Identifier(table.name), sql.SQL(", ").join(sql.Identifier(name) for name in order)
            )
            with driver.cursor() as cursor, cursor.copy(statement) as copy:
                for prepared_row in prepared:
                    copy.write_row(prepared_row)
        else:
            cursor = driver.cursor()
            try:
                cursor.executemany(compiled.string, prepared)
            finally:
                cursor.close()
    except dialect.loaded_dbapi.Error as error:
        # The same exceptions as any other statement (IntegrityError, OperationalError → 503…).
        raise DBAPIError.instance(
            compiled.string, None, error, dialect.loaded_dbapi.Error, dialect=dialect
        ) from error


class _UuidText(TypeDecorator[str]):
    """The result type of `uuid_text`: SQLite hands back the 32 hex digits SQLAlchemy stores
    (`UUID.hex`), to which the hyphens are put back by slicing; PostgreSQL's text is already canonical."""

    impl = String()
    cache_ok = True

    def process_result_value(self, value: Any, dialect: Any) -> str | None:
        if value is None:
            return None
        text = str(value).lower()
        if len(text) == 32:
            return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"
        return text


class uuid_text(FunctionElement[str]):  # noqa: N801 (a SQL function, named as one)
    """A UUID column read as the text `str(uuid.UUID)` writes ("1b4e28ba-2fa1-11d2-883f-0016d3cca427"), for
    a read model that goes straight to JSON: without building a `uuid.UUID` per value only to turn it back
    into that text (a page of twenty tranches holds sixty of them), a third of the cost.

    PostgreSQL prints a uuid as that text (`CAST(… AS TEXT)`); SQLite stores SQLAlchemy's UUIDs as their
    lowercase hex digits, read as they are and hyphenated in Python (`_UuidText`), cheaper than in SQL."""

    type = _UuidText()
    name = "uuid_text"
    inherit_cache = True


@compiles(uuid_text)
def _uuid_text(element: uuid_text, compiler: Any, **kw: Any) -> str:
    return f"CAST({compiler.process(element.clauses, **kw)} AS TEXT)"


@compiles(uuid_text, "sqlite")
def _uuid_text_sqlite(element: uuid_text, compiler: Any, **kw: Any) -> str:
    return str(compiler.process(element.clauses, **kw))


def utcnow() -> datetime:
    """The current instant in UTC; rules never call this, they take dates as arguments."""
    return datetime.now(UTC)


class UtcDateTime(TypeDecorator[datetime]):
    """Timestamps stored in UTC and always read back timezone-aware, on SQLite as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is UTC:  # the usual case, and bulk inserts bind thousands of them
            return value
        if value.tzinfo is None:
            raise ValueError("naive datetime refused: timestamps are stored in UTC")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _configure_sqlite(engine: Engine) -> None:
    """WAL, a busy timeout, foreign keys, and BEGIN IMMEDIATE.

    pysqlite starts transactions lazily, so a transaction that reads then writes can fail at once with
    "database is locked" when another process wrote in between, whatever the busy timeout. Taking the
    write lock at BEGIN makes concurrent writers (gunicorn workers, the scheduler) wait their turn instead.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, connection_record: ConnectionPoolEntry) -> None:
        dbapi_connection.isolation_level = None  # let SQLAlchemy's "begin" hook emit BEGIN itself
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # A read-only unit of work takes no write lock: readers must not queue behind each other (WAL lets
        # them read while one writer writes).
        if connection.get_execution_options().get(READ_ONLY_OPTION, False):
            # Straight to the driver: a deferred BEGIN takes no lock and cannot wait, and SQLAlchemy's
            # statement machinery cost a tenth of a read request's time (bench/run.py, the tranche list).
            connection.connection.driver_connection.execute("BEGIN")
        else:
            # Through SQLAlchemy: a lock not granted within the busy timeout becomes its OperationalError,
            # which the services answer with a 503.
            connection.exec_driver_sql("BEGIN IMMEDIATE")


def create_database_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for a service database; creates the SQLite file's directory when needed."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}, **kwargs)
        _configure_sqlite(engine)
        return engine
    if parsed.drivername == "postgresql":
        url = parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    kwargs.setdefault("pool_pre_ping", True)  # survive a database restart without restarting the service
    return create_engine(url, **kwargs)


def ping(engine: Engine) -> None:
    """Raise when the database cannot answer a trivial query."""
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))


class Database:
    """An engine and its session factory, attached to an app or a job runner."""

    def __init__(self, url: str, **engine_kwargs: Any) -> None:
        self.url = url
        self.engine = create_database_engine(url, **engine_kwargs)
        self.session_factory: sessionmaker[Session] = sessionmaker(self.engine, expire_on_commit=False)
        # Same pool, marked read-only: on SQLite its transactions begin without taking the write lock.
        self.read_session_factory: sessionmaker[Session] = sessionmaker(
            self.engine.execution_options(**{READ_ONLY_OPTION: True}), expire_on_commit=False
        )

    def unit_of_work(self, *, read_only: bool = False) -> UnitOfWork:
        """A business transaction; `read_only=True` for one that only reads (lists, lookups), which on
        SQLite then runs beside the others instead of waiting for the write lock."""
        return UnitOfWork(self.read_session_factory if read_only else self.session_factory)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A read session; nothing it does is committed."""
        session = self.read_session_factory()
        try:
            yield session
        finally:
            session.close()

    def dispose(self) -> None:
        self.engine.dispose()


class UnitOfWork:
    """One business transaction: what it writes, and the events it emits, commit or roll back together.

    Use as a context manager; anything not committed explicitly is rolled back on exit. The use case
    decides the commit (`uow.commit()`), never the view, the job or the inbox.

    A service subclasses it to hold its repositories: `_open(session)` builds them on each `with`, so that
    use cases reach the data only through them (and the unit tests can give them fakes with the same
    names). `session` stays reachable for the adapters and the read-model queries.
    """

    def __init__(self, session_factory: Callable[[], Session]) -> None:
        self._session_factory = session_factory
        self._session: Session | None = None

    @property
    def session(self) -> Session:
        if self._session is None:
            raise RuntimeError("the unit of work is not open (use it in a with block)")
        return self._session

    def __enter__(self) -> Self:
        self._session = self._session_factory()
        self._open(self._session)
        return self

    def _open(self, session: Session) -> None:
        """Attach the repositories of one transaction (the services' units of work override it)."""

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        # close() rolls back what was not committed without expiring the objects read, so a view may still
        # serialize them after the unit of work ends.
        self.session.close()
        self._session = None

    def commit(self) -> None:
        """Commit, or roll back and raise ConcurrentWrite when another transaction held a unique key (so
        that use cases, which never see SQLAlchemy, can tell a race from a bug)."""
        try:
            self.session.commit()
        except IntegrityError:
            self.session.rollback()
            raise ConcurrentWrite() from None

    def rollback(self) -> None:
        self.session.rollback()


def contract_active_on(start_date: Any, end_date: Any, ended_on: Any, on: date) -> ColumnElement[bool]:
    """The SQL form of DESIGN §3's rule (cnum_shared.core.contracts.is_active_on) on a contract's columns:
    start ≤ D ≤ (ended_on or end_date), an open-ended contract running on."""
    last_day = func.coalesce(ended_on, end_date)
    return and_(start_date <= on, or_(last_day.is_(None), last_day >= on))


def region_code(department: Any) -> ColumnElement[str]:
    """The SQL form of `territories.region_of(code).code` on a department column (NULL for a code the
    programme does not know), so that a read model adds its figures up by region in the database.

    The codes are written as literals, not bound parameters: they are the COG's (core.territories), never
    a caller's, and a statement that groups on the expression sees the same text wherever it repeats it."""
    whens: list[tuple[Any, Any]] = [
        (department == literal_column(f"'{code}'"), literal_column(f"'{region}'"))
        for code, region in department_regions().items()
    ]
    return type_coerce(case(*whens, else_=null()), String)


def run_migrations_online(target_metadata: MetaData, default_url: Callable[[], str]) -> None:
    """The body of every service's migrations/env.py: migrate the configured database.

    The URL set by `upgrade_database` wins; otherwise the service's settings give it. SQLite runs in
    batch mode, since it cannot ALTER most of a table in place.
    """
    from alembic import context

    url = context.config.get_main_option("sqlalchemy.url") or default_url()
    engine = create_database_engine(url)
    try:
        with engine.connect() as connection:
            sqlite = connection.dialect.name == "sqlite"
            if sqlite:
                # Batch mode copies a table into a new one and drops the old: with foreign keys enforced,
                # dropping a table that other rows reference fails. Alembic's advice: off during the
                # migration (it must be set outside a transaction), and every reference checked after.
                # On the driver's connection: through SQLAlchemy it would run inside the BEGIN of
                # `_on_begin`, where SQLite ignores it.
                connection.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")  # type: ignore[union-attr]
            context.configure(
                connection=connection,
                target_metadata=target_metadata,
                render_as_batch=sqlite,
                compare_type=True,
            )
            with context.begin_transaction():
                context.run_migrations()
                if sqlite:
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise RuntimeError(f"the migration left rows with dangling references: {broken[:5]}")
            if sqlite:
                connection.connection.driver_connection.execute("PRAGMA foreign_keys=ON")  # type: ignore[union-attr]
    finally:
        engine.dispose()


def upgrade_database(url: str, migrations_dir: Path, revision: str = "head") -> None:
    """Apply a service's Alembic migrations to `url` (used by `make run`, the jobs and the test fixtures)."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(migrations_dir))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    command.upgrade(config, revision)


def downgrade_database(url: str, migrations_dir: Path, revision: str = "base") -> None:
    """Undo a service's migrations down to `revision`."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(migrations_dir))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    command.downgrade(config, revision)
