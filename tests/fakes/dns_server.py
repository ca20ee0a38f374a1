"""A DNS server on 127.0.0.1 answering from a dict: MX, A and AAAA records; NXDOMAIN for a name it does not know;
no answer at all for a name listed as silent (a nameserver that times out)."""

from __future__ import annotations

import socketserver
import threading

import dns.message
import dns.rcode
import dns.rdatatype
import dns.rrset

# {"acme.test": {"MX": [(10, "mx.acme.test")], "A": ["127.0.0.1"]}, "nomail.test": {"MX": [(0, ".")]}}
Zone = dict[str, dict[str, list]]


def _rdata_text(rdtype: str, value) -> str:
    if rdtype == "MX":
        preference, host = value
        return f"{preference} {host.rstrip('.')}."
    return str(value)


class FakeDnsServer:
    """Answers UDP queries from `zone` (names in lower case, no final dot); records every question in `queries`."""

    def __init__(self, zone: Zone | None = None, *, silent: set[str] | None = None) -> None:
        self.zone: Zone = zone if zone is not None else {}
        self.silent: set[str] = silent or set()
        self.queries: list[tuple[str, str]] = []
        self._lock = threading.Lock()
        fake = self

        class _Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                data, sock = self.request
                reply = fake.reply(data)
                if reply is not None:
                    sock.sendto(reply, self.client_address)

        self._server = socketserver.UDPServer(("127.0.0.1", 0), _Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    def reply(self, data: bytes) -> bytes | None:
        """The wire answer to one query, or None to stay silent."""
        query = dns.message.from_wire(data)
        question = query.question[0]
        name = question.name.to_text(omit_final_dot=True).lower()
        rdtype = dns.rdatatype.to_text(question.rdtype)
        with self._lock:
            self.queries.append((name, rdtype))
        if name in self.silent:
            return None
        response = dns.message.make_response(query)
        records = self.zone.get(name)
        if records is None:
            response.set_rcode(dns.rcode.NXDOMAIN)
        elif records.get(rdtype):
            texts = [_rdata_text(rdtype, value) for value in records[rdtype]]
            response.answer.append(dns.rrset.from_text_list(question.name, 300, "IN", rdtype, texts))
        return response.to_wire()

    def start(self) -> FakeDnsServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()
