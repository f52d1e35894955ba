"""Seven Bridges tasks from Python, on the Rust clients of sbg-tasks.

The task calls of sevenbridges-python under the same names (``Api``, ``api.tasks.get /
query / create / bulk_get``, ``task.run / clone / abort / save / delete / wait / reload``),
and on top: ``api.tasks.watch`` (an iterator of events), ``wait_all``, ``wait_any``,
``bulk`` actions resumable from a journal, the shared rate-limit budget
(``api.rate_limit``), the lenient decode's repairs (``task.repairs``), an asyncio flavour
(``AsyncApi``) and the mock platform (``with sbg_tasks.mock() as m:``).
"""

from . import errors
from ._sbg_tasks import (
    Api,
    AsyncApi,
    AsyncTask,
    AsyncTasks,
    AsyncWatch,
    BulkRecord,
    Mock,
    Task,
    TaskIterator,
    Tasks,
    WatchEvent,
    WatchIterator,
    __version__,
    mock,
)
from .errors import *  # noqa: F401,F403  (the exceptions at the top, as sevenbridges has them)

__all__ = [
    "Api",
    "AsyncApi",
    "AsyncTask",
    "AsyncTasks",
    "AsyncWatch",
    "BulkRecord",
    "Mock",
    "Task",
    "TaskIterator",
    "Tasks",
    "WatchEvent",
    "WatchIterator",
    "errors",
    "mock",
    "__version__",
] + errors.__all__
