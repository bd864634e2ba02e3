"""Where independent work runs: this process, or a Ray cluster (the ``distributed`` extra).

``ray_session(address)`` joins a running cluster (``ray start --head`` on one machine, ``ray start
--address HEAD:6379`` on the others, or KubeRay), or with no address starts a private local Ray
instance and stops it afterwards. Data and model files must be at the same paths on every node
(a shared filesystem), as Ray workers read them themselves.
"""

from __future__ import annotations

import logging
import os
from contextlib import contextmanager
from typing import Any, Iterator

from envsound.errors import ConfigError

ENGINES = ("local", "ray")
LOCAL_OBJECT_STORE_BYTES = 512 * 1024**2  # a private instance keeps its shared memory small


def check_engine(engine: str) -> str:
    if engine not in ENGINES:
        raise ConfigError(f"unknown engine '{engine}'; choose {' or '.join(ENGINES)}")
    return engine


def import_ray() -> Any:
    try:
        import ray
    except ImportError:
        raise ConfigError("--engine ray needs Ray: pip install 'envsound[distributed]'") from None
    return ray


@contextmanager
def ray_session(address: str | None = None, num_cpus: int | None = None) -> Iterator[Any]:
    """The ``ray`` module, connected; a private instance (no ``address``) is shut down at the end."""
    ray = import_ray()
    if ray.is_initialized():
        yield ray
        return
    # Workers inherit the environment; they must find envsound and its settings as this process does.
    runtime_env = {"env_vars": {k: v for k, v in os.environ.items() if k.startswith("ENVSOUND_")}}
    if address:
        ray.init(address=address, runtime_env=runtime_env, log_to_driver=False)
    else:
        ray.init(num_cpus=num_cpus or os.cpu_count(), include_dashboard=False, log_to_driver=False, runtime_env=runtime_env,
                 object_store_memory=LOCAL_OBJECT_STORE_BYTES, logging_level=logging.WARNING)
    logging.getLogger("ray.data").setLevel(logging.WARNING)  # its per-dataset notes would bury envsound's own lines
    try:
        yield ray
    finally:
        ray.shutdown()
