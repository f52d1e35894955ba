"""Type stubs of the native module ``sbg_tasks._sbg_tasks`` (re-exported by ``sbg_tasks``)."""

import datetime
import os
from typing import (
    Any,
    AsyncIterator,
    Awaitable,
    Callable,
    Dict,
    Iterable,
    Iterator,
    List,
    Mapping,
    Optional,
    Tuple,
    Union,
)

from .errors import SbgError

__version__: str

Json = Any
TaskRef = Union[str, "Task"]
Time = Union[str, datetime.datetime]
PathLike = Union[str, "os.PathLike[str]"]

class Task:
    """A task: its members as attributes (``None`` when absent), its actions, ``to_dict()``."""

    @property
    def id(self) -> Optional[str]: ...
    @property
    def href(self) -> Optional[str]: ...
    @property
    def name(self) -> Optional[str]: ...
    @name.setter
    def name(self, value: str) -> None: ...
    @property
    def description(self) -> Optional[str]: ...
    @description.setter
    def description(self, value: str) -> None: ...
    @property
    def status(self) -> Optional[str]: ...
    @property
    def project(self) -> Optional[str]: ...
    @property
    def app(self) -> Optional[str]: ...
    @property
    def type(self) -> Optional[str]: ...
    @property
    def created_by(self) -> Optional[str]: ...
    @property
    def executed_by(self) -> Optional[str]: ...
    @property
    def created_time(self) -> Union[datetime.datetime, str, None]: ...
    @property
    def start_time(self) -> Union[datetime.datetime, str, None]: ...
    @property
    def end_time(self) -> Union[datetime.datetime, str, None]: ...
    @property
    def batch(self) -> Optional[bool]: ...
    @property
    def batch_input(self) -> Optional[str]: ...
    @property
    def batch_by(self) -> Optional[Dict[str, Json]]: ...
    @property
    def batch_group(self) -> Optional[Dict[str, Json]]: ...
    @property
    def parent(self) -> Optional[str]: ...
    @property
    def execution_status(self) -> Optional[Dict[str, Json]]: ...
    @property
    def price(self) -> Optional[Dict[str, Json]]: ...
    @property
    def errors(self) -> Optional[List[Dict[str, Json]]]: ...
    @property
    def warnings(self) -> Optional[List[Dict[str, Json]]]: ...
    @property
    def inputs(self) -> Optional[Dict[str, Json]]: ...
    @inputs.setter
    def inputs(self, value: Dict[str, Json]) -> None: ...
    @property
    def outputs(self) -> Optional[Dict[str, Json]]: ...
    @property
    def use_interruptible_instances(self) -> Optional[bool]: ...
    @use_interruptible_instances.setter
    def use_interruptible_instances(self, value: bool) -> None: ...
    @property
    def execution_settings(self) -> Optional[Dict[str, Json]]: ...
    @execution_settings.setter
    def execution_settings(self, value: Dict[str, Json]) -> None: ...
    @property
    def output_location(self) -> Json: ...
    @output_location.setter
    def output_location(self, value: Json) -> None: ...
    @property
    def origin(self) -> Json: ...
    @property
    def repairs(self) -> List[str]: ...
    @property
    def is_terminal(self) -> bool: ...
    def to_dict(self) -> Dict[str, Json]: ...
    def modified(self) -> Dict[str, Json]: ...
    def run(self, batch: Optional[bool] = None, interruptible: Optional[bool] = None) -> "Task": ...
    def clone(self, run: bool = True) -> "Task": ...
    def abort(self) -> "Task": ...
    def save(self) -> "Task": ...
    def delete(self) -> None: ...
    def reload(self) -> "Task": ...
    def wait(
        self,
        period: float = 10.0,
        timeout: Optional[float] = None,
        callback: Optional[Callable[..., Any]] = None,
        *args: Any,
        **kwargs: Any,
    ) -> Any: ...
    def __eq__(self, other: object) -> bool: ...
    def __hash__(self) -> int: ...

class AsyncTask(Task):
    """A task of an ``AsyncApi``: its actions are awaitables."""

    def run(self, batch: Optional[bool] = None, interruptible: Optional[bool] = None) -> Awaitable["AsyncTask"]: ...  # type: ignore[override]
    def clone(self, run: bool = True) -> Awaitable["AsyncTask"]: ...  # type: ignore[override]
    def abort(self) -> Awaitable["AsyncTask"]: ...  # type: ignore[override]
    def save(self) -> Awaitable["AsyncTask"]: ...  # type: ignore[override]
    def delete(self) -> Awaitable[None]: ...  # type: ignore[override]
    def reload(self) -> Awaitable["AsyncTask"]: ...  # type: ignore[override]
    def wait(self, period: float = 10.0, timeout: Optional[float] = None) -> Awaitable["AsyncTask"]: ...  # type: ignore[override]

class BulkRecord:
    """One entry of ``bulk_get``: the task (``resource``) or the error for its id."""

    valid: bool
    resource: Optional[Task]
    error: Optional[SbgError]

class WatchEvent:
    """``kind``: ``status``, ``progress``, ``ended``, ``gone``, ``child_status`` or
    ``child_ended``."""

    kind: str
    id: str
    task: Optional[Task]
    before: Optional[str]
    error: Optional[SbgError]

class TaskIterator(Iterator[Task]):
    @property
    def total(self) -> Optional[int]: ...
    def all(self) -> "TaskIterator": ...
    def __iter__(self) -> "TaskIterator": ...
    def __next__(self) -> Task: ...

class WatchIterator(Iterator[WatchEvent]):
    def __iter__(self) -> "WatchIterator": ...
    def __next__(self) -> WatchEvent: ...

class AsyncWatch(AsyncIterator[WatchEvent]):
    def __aiter__(self) -> "AsyncWatch": ...
    def __anext__(self) -> Awaitable[WatchEvent]: ...

BulkReport = Dict[str, Any]

class Tasks:
    def get(self, id: TaskRef) -> Task: ...
    def query(
        self,
        project: Optional[str] = None,
        status: Optional[str] = None,
        batch: Optional[bool] = None,
        parent: Optional[TaskRef] = None,
        created_from: Optional[Time] = None,
        created_to: Optional[Time] = None,
        started_from: Optional[Time] = None,
        started_to: Optional[Time] = None,
        ended_from: Optional[Time] = None,
        ended_to: Optional[Time] = None,
        offset: Optional[int] = None,
        limit: Optional[int] = None,
        order_by: Optional[str] = None,
        order: Optional[str] = None,
        origin: Optional[str] = None,
    ) -> TaskIterator: ...
    def create(
        self,
        name: str,
        project: str,
        app: str,
        revision: Optional[int] = None,
        batch_input: Optional[str] = None,
        batch_by: Optional[Dict[str, Json]] = None,
        inputs: Optional[Dict[str, Json]] = None,
        description: Optional[str] = None,
        run: bool = False,
        disable_batch: bool = False,
        interruptible: Optional[bool] = None,
        execution_settings: Optional[Dict[str, Json]] = None,
        output_location: Json = None,
    ) -> Task: ...
    def bulk_get(self, ids: Iterable[TaskRef]) -> List[BulkRecord]: ...
    def wait(self, id: TaskRef, period: float = 10.0, timeout: Optional[float] = None) -> Task: ...
    def wait_all(self, ids: Iterable[TaskRef], timeout: Optional[float] = None) -> List[Union[Task, SbgError]]: ...
    def wait_any(
        self, ids: Iterable[TaskRef], n: int = 1, timeout: Optional[float] = None
    ) -> Tuple[List[Union[Task, SbgError]], List[str]]: ...
    def watch(self, ids: Iterable[TaskRef]) -> WatchIterator: ...
    def bulk(
        self,
        action: str,
        *,
        ids: Optional[Iterable[TaskRef]] = None,
        project: Optional[str] = None,
        parent: Optional[TaskRef] = None,
        status: Optional[str] = None,
        run: bool = True,
        journal: Optional[PathLike] = None,
        dry_run: bool = False,
        concurrency: int = 4,
        retries: int = 0,
        changes: Optional[Mapping[str, Any]] = None,
    ) -> BulkReport: ...

class AsyncTasks:
    def get(self, id: TaskRef) -> Awaitable[AsyncTask]: ...
    def query(
        self,
        project: Optional[str] = None,
        status: Optional[str] = None,
        batch: Optional[bool] = None,
        parent: Optional[TaskRef] = None,
        created_from: Optional[Time] = None,
        created_to: Optional[Time] = None,
        started_from: Optional[Time] = None,
        started_to: Optional[Time] = None,
        ended_from: Optional[Time] = None,
        ended_to: Optional[Time] = None,
        offset: Optional[int] = None,
        limit: Optional[int] = None,
        order_by: Optional[str] = None,
        order: Optional[str] = None,
        origin: Optional[str] = None,
    ) -> Awaitable[List[AsyncTask]]: ...
    def create(
        self,
        name: str,
        project: str,
        app: str,
        revision: Optional[int] = None,
        batch_input: Optional[str] = None,
        batch_by: Optional[Dict[str, Json]] = None,
        inputs: Optional[Dict[str, Json]] = None,
        description: Optional[str] = None,
        run: bool = False,
        disable_batch: bool = False,
        interruptible: Optional[bool] = None,
        execution_settings: Optional[Dict[str, Json]] = None,
        output_location: Json = None,
    ) -> Awaitable[AsyncTask]: ...
    def bulk_get(self, ids: Iterable[TaskRef]) -> Awaitable[List[BulkRecord]]: ...
    def wait(self, id: TaskRef, period: float = 10.0, timeout: Optional[float] = None) -> Awaitable[AsyncTask]: ...
    def wait_all(
        self, ids: Iterable[TaskRef], timeout: Optional[float] = None
    ) -> Awaitable[List[Union[AsyncTask, SbgError]]]: ...
    def wait_any(
        self, ids: Iterable[TaskRef], n: int = 1, timeout: Optional[float] = None
    ) -> Awaitable[Tuple[List[Union[AsyncTask, SbgError]], List[str]]]: ...
    def watch(self, ids: Iterable[TaskRef]) -> AsyncWatch: ...
    def bulk(
        self,
        action: str,
        *,
        ids: Optional[Iterable[TaskRef]] = None,
        project: Optional[str] = None,
        parent: Optional[TaskRef] = None,
        status: Optional[str] = None,
        run: bool = True,
        journal: Optional[PathLike] = None,
        dry_run: bool = False,
        concurrency: int = 4,
        retries: int = 0,
        changes: Optional[Mapping[str, Any]] = None,
    ) -> Awaitable[BulkReport]: ...

class Api:
    """``Api(url=, token=)`` or ``Api(profile=)``: resolved as the CLI resolves them."""

    url: str
    tasks: Tasks
    def __init__(
        self,
        url: Optional[str] = None,
        token: Optional[str] = None,
        profile: str = "default",
        *,
        credentials_file: Optional[PathLike] = None,
        platform: Optional[str] = None,
        ca_bundle: Optional[PathLike] = None,
        timeout: Optional[float] = None,
        max_attempts: Optional[int] = None,
        poll_interval: Optional[float] = None,
    ) -> None: ...
    @property
    def rate_limit(self) -> Dict[str, Optional[int]]: ...
    def query_rate_limit(self) -> Dict[str, Json]: ...

class AsyncApi:
    """The asyncio flavour of ``Api`` (the hyper transport)."""

    url: str
    tasks: AsyncTasks
    def __init__(
        self,
        url: Optional[str] = None,
        token: Optional[str] = None,
        profile: str = "default",
        *,
        credentials_file: Optional[PathLike] = None,
        platform: Optional[str] = None,
        ca_bundle: Optional[PathLike] = None,
        timeout: Optional[float] = None,
        max_attempts: Optional[int] = None,
        poll_interval: Optional[float] = None,
    ) -> None: ...
    @property
    def rate_limit(self) -> Dict[str, Optional[int]]: ...
    def query_rate_limit(self) -> Awaitable[Dict[str, Json]]: ...

class Mock:
    """The mock platform on loopback (``with sbg_tasks.mock() as m:``)."""

    url: str
    token: str
    cert_pem: Optional[str]
    ca_path: Optional["os.PathLike[str]"]
    def __enter__(self) -> "Mock": ...
    def __exit__(self, *exc: Any) -> bool: ...
    def stop(self) -> None: ...
    def insert_task(self, task: Dict[str, Json]) -> str: ...
    def insert_running(
        self,
        task: Dict[str, Json],
        running_after: float = 0.0,
        ends_after: Optional[float] = None,
        outcome: str = "completed",
    ) -> str: ...
    def task(self, id: str) -> Optional[Dict[str, Json]]: ...
    def task_ids(self) -> List[str]: ...
    def request_count(self) -> int: ...
    def requests_to(self, route: str) -> int: ...
    def inject(self, spec: str) -> None: ...
    def clear_faults(self) -> None: ...
    def set_outcome(self, id: str, outcome: str) -> bool: ...
    def reset_rate_limits(self) -> None: ...

def mock(
    *,
    token: str = "mock-token-0123456789abcdef",
    tls: bool = False,
    polls: int = 3,
    wall_time: Optional[float] = None,
    examples: bool = True,
    rate_limit: Optional[Tuple[int, float]] = None,
    no_rate_limit: bool = False,
) -> Mock: ...
