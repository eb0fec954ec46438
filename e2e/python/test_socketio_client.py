#!/usr/bin/env python3
"""End-to-end checks with the python-socketio 5.x client (the Debian package).

Run by e2e/run.mjs with E2E_URL set. Prints one "ok - <name>" or
"not ok - <name>: <why>" line per check, then "# pass N" and "# fail N";
exits non-zero when anything failed. Needs only the standard library plus
python3-socketio (and its requests / websocket-client transports).
"""

import json
import os
import sys
import threading
import time
import traceback
import urllib.error
import urllib.request
import uuid

import socketio

BASE = os.environ.get("E2E_URL", "").rstrip("/")
TIMEOUT = 10.0


def api(method, path, body=None, token=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(BASE + path, data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(req, timeout=TIMEOUT) as res:
            return res.status, json.loads(res.read() or b"null")
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"null")


def register(prefix="py"):
    name = prefix + uuid.uuid4().hex[:10]
    status, body = api("POST", "/api/users/register",
                       {"username": name, "email": name + "@e2e.test", "password": "secret123"})
    if status != 201:
        raise AssertionError("register: HTTP %s %s" % (status, body))
    return {"id": body["user_id"], "username": name, "token": body["access_token"]}


def create_room(token):
    status, body = api("POST", "/api/rooms", {"name": "pyroom" + uuid.uuid4().hex[:8]}, token)
    if status != 201:
        raise AssertionError("create room: HTTP %s %s" % (status, body))
    return body


class Client:
    """A python-socketio client that records every event it receives."""

    def __init__(self, transports=None):
        self.sio = socketio.Client(reconnection=False)
        self.transports = transports
        self.events = []
        self.cond = threading.Condition()
        self.sio.on("*", self._record)

    def _record(self, event, data=None):
        with self.cond:
            self.events.append((event, data))
            self.cond.notify_all()

    def connect(self, url=None, **kwargs):
        kw = dict(kwargs, wait_timeout=TIMEOUT)
        if self.transports:
            kw["transports"] = self.transports
        self.sio.connect(url or BASE, **kw)
        return self

    def wait_for(self, event, match=lambda d: True, timeout=TIMEOUT):
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for e, d in self.events:
                    if e == event and match(d):
                        return d
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError("timed out waiting for %r (got %s)"
                                         % (event, [e for e, _ in self.events]))
                self.cond.wait(left)

    def call(self, event, data):
        return self.sio.call(event, data, timeout=TIMEOUT)

    def close(self):
        try:
            self.sio.disconnect()
        except Exception:  # closing a refused client may raise; nothing to clean
            pass


RESULTS = []


def check(name):
    def wrap(fn):
        def run():
            try:
                fn()
                RESULTS.append(True)
                print("ok - " + name, flush=True)
            except Exception as err:  # report every failure, keep going
                RESULTS.append(False)
                print("not ok - %s: %s" % (name, err), flush=True)
                traceback.print_exc(file=sys.stderr)
        run.__name__ = fn.__name__
        CHECKS.append(run)
        return fn
    return wrap


CHECKS = []
STATE = {}


def setup():
    STATE["alice"] = register()
    STATE["bob"] = register()
    STATE["room"] = create_room(STATE["alice"]["token"])


def assert_connected(c, user):
    got = c.wait_for("connected")
    assert int(got["user_id"]) == user["id"], got
    assert got["username"] == user["username"], got


@check("connect with auth={'token': ...} (polling + upgrade)")
def _auth_dict():
    a = STATE["alice"]
    c = Client().connect(auth={"token": a["token"]})
    try:
        assert_connected(c, a)
    finally:
        c.close()


@check("connect with auth={'token': ...} (websocket only)")
def _auth_dict_ws():
    a = STATE["alice"]
    c = Client(transports=["websocket"]).connect(auth={"token": a["token"]})
    try:
        assert_connected(c, a)
    finally:
        c.close()


@check("connect with an Authorization header (headers=)")
def _auth_header():
    a = STATE["alice"]
    c = Client().connect(headers={"Authorization": "Bearer " + a["token"]})
    try:
        assert_connected(c, a)
    finally:
        c.close()


@check("connect with the token in the query string")
def _auth_query():
    a = STATE["alice"]
    c = Client().connect(BASE + "?token=" + a["token"])
    try:
        assert_connected(c, a)
    finally:
        c.close()


@check("join_room, send_message (call → success ack), new_message to both clients")
def _join_send_receive():
    a, b, room = STATE["alice"], STATE["bob"], STATE["room"]
    ca = Client().connect(auth={"token": a["token"]})
    cb = Client(transports=["websocket"]).connect(headers={"Authorization": "Bearer " + b["token"]})
    try:
        for c in (ca, cb):
            answer = c.call("join_room", {"room_id": room["id"]})
            assert answer["status"] == "success", answer
            c.wait_for("joined_room", lambda d: int(d["room_id"]) == room["id"])
        content = "hello from python " + uuid.uuid4().hex[:6]
        answer = ca.call("send_message", {"room_id": room["id"], "content": content})
        assert answer["status"] == "success", answer
        for c in (ca, cb):
            m = c.wait_for("new_message", lambda d: d.get("content") == content)
            assert m["user_id"] == a["id"], m
            assert m["room_id"] == room["id"], m
            assert m["type"] == "message", m
            assert m["sender"]["username"] == a["username"], m
            # Python clients parse the timestamps with fromisoformat (3.11+ takes the Z).
            from datetime import datetime
            datetime.fromisoformat(m["created_at"])
        ca.wait_for("message_sent", lambda d: d.get("status") == "success")
        cb.sio.emit("typing", {"room_id": room["id"], "typing": True})
        t = ca.wait_for("typing", lambda d: d.get("user_id") == b["id"])
        assert t["typing"] is True, t
    finally:
        ca.close()
        cb.close()


@check("bad input gets an error ack and the connection stays usable")
def _bad_input():
    a, room = STATE["alice"], STATE["room"]
    c = Client().connect(auth={"token": a["token"]})
    try:
        answer = c.call("join_room", "not an object")
        assert answer["status"] == "error" and answer.get("error"), answer
        answer = c.call("join_room", {"room_id": 987654321})
        assert answer["status"] == "error", answer
        c.wait_for("error")
        answer = c.call("join_room", {"room_id": room["id"]})
        assert answer["status"] == "success", answer
    finally:
        c.close()


def expect_refused(**kwargs):
    c = Client()
    try:
        c.connect(**kwargs)
    except socketio.exceptions.ConnectionError as err:
        assert str(err), "refusal carries a message"
        return
    finally:
        c.close()
    raise AssertionError("connected, but should have been refused")


@check("a bad token is refused (auth dict, header, no token)")
def _refused():
    expect_refused(auth={"token": "not-a-jwt"})
    expect_refused(headers={"Authorization": "Bearer not-a-jwt"})
    expect_refused()


@check("a per-room namespace /rooms/<id> greets with welcome")
def _room_namespace():
    a, room = STATE["alice"], STATE["room"]
    ns = "/rooms/%d" % room["id"]
    c = Client()
    c.sio.on("*", lambda event, data=None: c._record(event, data), namespace=ns)
    try:
        c.connect(auth={"token": a["token"]}, namespaces=[ns])
        w = c.wait_for("welcome")
        assert int(w["room_id"]) == room["id"], w
    finally:
        c.close()


def main():
    if not BASE:
        print("not ok - E2E_URL is not set")
        print("# pass 0\n# fail 1")
        return 1
    try:
        setup()
    except Exception as err:
        print("not ok - set-up: %s" % err)
        print("# pass 0\n# fail 1")
        return 1
    for run in CHECKS:
        run()
    passed = sum(RESULTS)
    failed = len(RESULTS) - passed
    print("# pass %d\n# fail %d" % (passed, failed), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
