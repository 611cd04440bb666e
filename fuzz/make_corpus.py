#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets into fuzz/corpus/<target>/.

Request bodies are taken from the end-to-end tests: every dict literal in tests/e2e/*.py whose
top-level key is a request wrapper (user_group, membership, permission, space), with values
that are not literals (f-strings, variables, calls) replaced by a sample string. Hand-written
cases add edge cases of Unicode names and of HTTP framing, such as a final chunk split
across reads. The http_request seeds use the
credentials and object tokens that fuzz/http_request_fuzzer.cpp seeds its database with.

Run it again after adding end-to-end tests; it only adds files (named by content hash).
"""

import ast
import base64
import hashlib
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent
REPO = ROOT.parent
WRAPPERS = {"user_group", "membership", "permission", "space"}
PLACEHOLDER = "Sample name"

WORKSPACE_AUTH = "Basic " + base64.b64encode(b"fuzzfuzzfuzz:fuzz-secret").decode()
MEMBER_AUTH = "Basic " + base64.b64encode(b"fuzzmember01:fuzz-secret").decode()

EXTRA_NAMES = [
    "Café", "CAFE\u0301", "  padded\u00a0", "\u200b", "a" * 255, "a" * 256, "e\u0301" * 255,
    "tab\tname", "rtl\u202eoverride", "isolate\u2066x\u2069", "Straße", "STRASSE", "ﬁ",
    "\U0001F600 emoji", "\u0345\u0399", "İstanbul", "ǅ", "\ufb01\u0301", "\u1e9e",
    "\u3000ideographic space\u3000", "\u2028line separator", "nul\u0000byte", "",
]


def literal(node):
    """Converts an AST expression to a JSON value; non-literal leaves become a sample string."""
    if isinstance(node, ast.Dict):
        out = {}
        for key, value in zip(node.keys, node.values):
            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                out[key.value] = literal(value)
        return out
    if isinstance(node, (ast.List, ast.Tuple)):
        return [literal(item) for item in node.elts]
    if isinstance(node, ast.Constant) and isinstance(node.value, (str, int, float, bool, type(None))):
        return node.value
    return PLACEHOLDER


def e2e_bodies():
    bodies = []
    for path in sorted((REPO / "tests" / "e2e").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Dict):
                continue
            keys = {k.value for k in node.keys if isinstance(k, ast.Constant)}
            if keys & WRAPPERS:
                bodies.append(literal(node))
    return bodies


def write(target, data):
    directory = ROOT / "corpus" / target
    directory.mkdir(parents=True, exist_ok=True)
    (directory / hashlib.sha1(data).hexdigest()).write_bytes(data)


def request(method, path, body=None, auth=WORKSPACE_AUTH, extra=""):
    head = f"{method} {path} HTTP/1.1\r\nHost: fuzz\r\n"
    if auth:
        head += f"Authorization: {auth}\r\n"
    head += extra
    if body is None:
        return (head + "\r\n").encode()
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    head += f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n\r\n"
    return head.encode() + data


def http_requests(bodies):
    ws = "/api/acme"
    group = f"{ws}/groups/fuzzgroup001"
    space = f"{ws}/spaces/fuzzspace001"
    source = f"{ws}/data_sources/fuzzsource01"
    seeds = [
        request("GET", "/healthz", auth=None),
        request("GET", "/api/verify"),
        request("GET", "/api/verify", auth=MEMBER_AUTH),
        request("GET", "/api/verify", auth="Basic Zm9vOmJhcg=="),
        request("GET", "/api/acme"),
        request("GET", "/api/fuzz_admin", auth=MEMBER_AUTH),
        request("GET", f"{ws}/groups"),
        request("GET", f"{ws}/groups?page=2&per_page=1"),
        request("GET", f"{ws}/groups?member=fuzz_admin&data_source=fuzzsource01"),
        request("GET", f"{ws}/groups?data_source=fuzzsource01"),
        request("GET", f"{ws}/groups?page=0&per_page=abc"),
        request("GET", group),
        request("PATCH", group, {"user_group": {"description": "d"}}),
        request("DELETE", group),
        request("GET", f"{group}/memberships"),
        request("GET", f"{group}/memberships?filter=preview"),
        request("GET", f"{group}/memberships?filter=by_user_id&user_id=fuzz_admin"),
        request("POST", f"{group}/memberships", {"membership": {"member_token": "fuzzuser0001"}}),
        request("DELETE", f"{group}/memberships/zzzzzzzzzzzz"),
        request("GET", f"{ws}/memberships"),
        request("GET", f"{ws}/memberships/lite"),
        request("GET", f"{ws}/memberships/fuzz_other"),
        request("DELETE", f"{ws}/memberships/fuzz_other"),
        request("GET", f"{ws}/spaces"),
        request("POST", f"{ws}/spaces", {"space": {"name": "S", "description": ""}}),
        request("PATCH", space, {"space": {"name": "Renamed"}}),
        request("POST", f"{space}/permissions",
                {"permission": {"action": "view", "accessor_type": "UserGroup",
                                "accessor_token": "fuzzgroup001"}}),
        request("GET", f"{space}/permissions"),
        request("GET", f"{ws}/data_sources"),
        request("GET", source),
        request("POST", f"{source}/permissions",
                {"permission": {"action": "query", "accessor_type": "Account",
                                "accessor_token": "fuzzuser0001"}}),
        request("GET", f"{source}/permissions"),
        request("PUT", f"{ws}/groups"),
        request("GET", "/api/acme/groups/a%2Fb"),
        request("GET", "/freews/groups"),
        request("GET", "/api/freews/groups"),
        request("POST", f"{ws}/groups", b'{"user_group": {"name": "\\ud800"}}'),
        request("POST", f"{ws}/groups", b"[]"),
        request("POST", f"{ws}/groups", b""),
        request("POST", f"{ws}/groups", {"user_group": {"name": "x"}},
                extra="Content-Type: text/plain\r\n"),
        (f"POST {ws}/groups HTTP/1.1\r\nHost: fuzz\r\nAuthorization: {WORKSPACE_AUTH}\r\n"
         "Transfer-Encoding: chunked\r\n\r\n"
         "10\r\n{\"user_group\": {\r\n12\r\n\"name\": \"chunked\"}}\r\n0\r\n\r\n").encode(),
        (f"POST {ws}/groups HTTP/1.1\r\nHost: fuzz\r\nAuthorization: {WORKSPACE_AUTH}\r\n"
         "Transfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n").encode(),
        (f"POST {ws}/groups HTTP/1.1\r\nHost: fuzz\r\nContent-Length: 2000000\r\n"
         f"Authorization: {WORKSPACE_AUTH}\r\n\r\n{{}}").encode(),
        (f"POST {ws}/groups HTTP/1.1\r\nHost: fuzz\r\nAuthorization: {WORKSPACE_AUTH}\r\n"
         "Expect: 100-continue\r\nContent-Length: 2\r\n\r\n{}").encode(),
    ]
    targets = {
        "user_group": [("POST", f"{ws}/groups"), ("PATCH", group)],
        "membership": [("POST", f"{group}/memberships")],
        "permission": [("POST", f"{space}/permissions"), ("POST", f"{source}/permissions")],
        "space": [("POST", f"{ws}/spaces"), ("PATCH", space)],
    }
    for body in bodies:
        wrapper = next(key for key in body if key in WRAPPERS)
        for method, path in targets[wrapper]:
            seeds.append(request(method, path, body))
    return seeds


def main():
    bodies = e2e_bodies()
    for body in bodies:
        data = json.dumps(body).encode()
        write("request_body", b"\x01" + data)
        write("request_body", b"\x02" + data)
    write("request_body", b"\x04" + json.dumps({"user_group": {"name": "x"}}).encode())
    write("request_body", b"\x01" + b'{"user_group": {"name": "\\ud83d"}}')
    write("request_body", b"\x01" + b"   ")

    names = set(EXTRA_NAMES)
    for body in bodies:
        for wrapper in body.values():
            if isinstance(wrapper, dict):
                for value in wrapper.values():
                    if isinstance(value, str):
                        names.add(value)
    for name in sorted(names):
        write("names", name.encode("utf-8", "surrogatepass"))
    write("names", b"\xff\xfe invalid utf-8 \xc3")

    # The first byte of an http_request input is the read size: 0 sends everything at once.
    for index, seed in enumerate(http_requests(bodies)):
        write("http_request", b"\x00" + seed)
        if index % 8 == 0:
            write("http_request", bytes([1 + index % 7]) + seed)


if __name__ == "__main__":
    main()
