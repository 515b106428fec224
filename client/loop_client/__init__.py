"""Loop's client package: the SDK (:class:`LoopClient`), the ``loop`` CLI and the ``loop-mcp``
MCP server. Everything here speaks only Loop's REST API."""

__version__ = "0.1.0"

from loop_client.sdk import *  # noqa: E402,F403
from loop_client.sdk import __all__ as _sdk_all  # noqa: E402

__all__ = ["__version__", *_sdk_all]
