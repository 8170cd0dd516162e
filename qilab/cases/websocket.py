"""The kernel websocket of ``qilab cases``: nothing from a kernel's errors reaches a visitor.

A visitor's page talks to its kernel only through widget comm messages (Voila drops code). A
crafted comm message can still make the kernel fail, and ipykernel then answers with an error
reply, an ``error`` message or a traceback printed to stderr, all carrying absolute server paths
and library versions. This connection class (Voila's ``kernel_websocket_connection_class``)
replaces such messages on their way to the browser with :data:`VISITOR_MESSAGE`, and writes the
detail to the server log for the course team.
"""

from __future__ import annotations

from typing import Any

from jupyter_server.services.kernels.connection.channels import ZMQChannelsWebsocketConnection

V1 = "v1.kernel.websocket.jupyter.org"

VISITOR_MESSAGE = "Something went wrong in this case study. Reload the page to start again."


def _is_error(header: dict[str, Any], content: dict[str, Any]) -> bool:
    msg_type = header.get("msg_type", "")
    return msg_type == "error" or (msg_type.endswith("_reply") and content.get("status") == "error")


def _is_stderr(header: dict[str, Any], content: dict[str, Any]) -> bool:
    return header.get("msg_type") == "stream" and content.get("name") == "stderr"


def generic_error(content: dict[str, Any]) -> dict[str, Any]:
    """An error's content with its name, value and traceback replaced by the plain message."""
    return {**content, "ename": "Error", "evalue": VISITOR_MESSAGE, "traceback": []}


class VisitorSafeConnection(ZMQChannelsWebsocketConnection):
    """jupyter_server's kernel websocket, with kernel errors made generic for the visitor."""

    def _on_zmq_reply(self, stream: Any, msg_or_parts: Any) -> None:
        channel = getattr(stream, "channel", None)
        if self.subprotocol == V1:
            parts = list(msg_or_parts)
            header = self.session.unpack(bytes(parts[0]))
            content = self.session.unpack(bytes(parts[3]))
        else:
            header, content = msg_or_parts["header"], msg_or_parts["content"]
        if _is_stderr(header, content):
            self.log.warning(
                "Kept from the visitor (kernel %s, stderr): %s", self.kernel_id, content.get("text")
            )
            return
        if _is_error(header, content):
            self.log.warning(
                "Kept from the visitor (kernel %s, %s on %s): %s: %s\n%s",
                self.kernel_id,
                header.get("msg_type"),
                channel,
                content.get("ename"),
                content.get("evalue"),
                "\n".join(content.get("traceback") or []),
            )
            content = generic_error(content)
            if self.subprotocol == V1:
                parts[3] = self.session.pack(content)
                msg_or_parts = parts
            else:
                msg_or_parts = {**msg_or_parts, "content": content}
        super()._on_zmq_reply(stream, msg_or_parts)
