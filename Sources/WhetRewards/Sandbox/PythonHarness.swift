/// The two Python programs of a sandboxed run. The verdict is never decided where the
/// untrusted code runs.
///
/// - ``server`` runs **inside** the sandbox as `python3 -I -B -c`. It points stdin at
///   `/dev/null`, optionally replaces the socket API (when there are no namespaces), reads the
///   solution from descriptor 3 as the first request, executes it, and sends back its global
///   names. It then answers requests (`call`, `getattr`, `getitem`, `iter`, `next`, `len` on
///   objects it holds) on descriptor 3, one JSON line each, and replies on descriptor 4. A
///   reply is a plain serialisation: JSON scalars and lists, and tagged objects for tuples,
///   sets, dicts (as key/value pairs), bytes, complex numbers, fractions, decimals and the
///   `collections` containers, each chosen by an exact type check; any other object (an `int`
///   subclass with its own `__eq__`, a class instance, a function) stays in the sandbox and
///   is sent as an opaque reference.
/// - ``judge`` runs **outside**, as the caller's user, with no untrusted code in it. It reads
///   `{"solution", "tests", "message_limit"}` from stdin, sends the solution, and executes
///   each top-level test statement in its own namespace, where the solution's globals are
///   proxies that forward to the server. Comparisons, `assert`s and every builtin the tests
///   use are the judge's own; a solution name that shadows a builtin is not exposed. Results
///   come back as builtin values rebuilt here, and an opaque reference equals only itself and
///   has no truth value. Exceptions from the solution come back as the builtin exception of
///   that name (so tests can expect a `ValueError`), others as a generic error. It writes one
///   JSON line per event to stdout: `{"tests": n}`, `{"load": "ok"|"error"|"gone", …}`, then
///   `{"test": k, "status": "passed"|"failed"|"error"|"memory"|"gone", "message": …}` for each
///   statement, then `{"done": true}`.
///
/// So patching `builtins`, overriding `__eq__`/`__hash__`/`__bool__`, exiting early
/// (`SystemExit`, `os._exit`) or printing fake markers cannot change a verdict: the solution
/// can only return values, and it never sees the expected ones (the tests never enter the
/// sandbox). Arguments are passed by value, so a test that relies on the solution mutating
/// its argument in place sees the original; a test that passes a function (a lambda) to the
/// solution gets a `TypeError`.
///
/// Both programs speak one serialisation, ``codec``, prepended to each.
enum PythonHarness {
  /// `_whet_codec(on_object, on_reference)`: the value serialisation of the protocol.
  static let codec = #"""
    def _whet_codec(on_object, on_reference):
        """The plain serialisation both sides of the sandbox speak: JSON scalars and lists, and
        tagged objects for other builtin containers and numbers, chosen by exact type checks.
        `on_object(value)` encodes anything else (or raises); `on_reference(body, message)`
        rebuilds a {"t": "ref"} value."""
        import collections, fractions, decimal
        Counter, OrderedDict, defaultdict, deque = (collections.Counter, collections.OrderedDict,
                                                    collections.defaultdict, collections.deque)
        Fraction, Decimal = fractions.Fraction, decimal.Decimal
        exact, plain = type, (type(None), bool, int, str, float)
        sequences = {tuple: "tuple", set: "set", frozenset: "frozenset", deque: "deque"}
        mappings = {dict: "dict", defaultdict: "dict", OrderedDict: "ordereddict", Counter: "counter"}
        builders = {"tuple": tuple, "set": set, "frozenset": frozenset, "deque": deque}
        map_builders = {"dict": dict, "ordereddict": OrderedDict, "counter": Counter}

        def encode(value, depth=0):
            if depth > 100:
                raise ValueError("the value is nested too deeply")
            kind = exact(value)
            if kind in plain:
                return value
            if kind is list:
                return [encode(v, depth + 1) for v in value]
            if kind in sequences:
                return {"t": sequences[kind], "v": [encode(v, depth + 1) for v in value]}
            if kind in mappings:
                return {"t": mappings[kind],
                        "v": [[encode(k, depth + 1), encode(v, depth + 1)] for k, v in value.items()]}
            if kind is bytes or kind is bytearray:
                return {"t": "bytes" if kind is bytes else "bytearray", "v": value.hex()}
            if kind is complex:
                return {"t": "complex", "v": [value.real, value.imag]}
            if kind is Fraction:
                return {"t": "fraction", "v": [value.numerator, value.denominator]}
            if kind is Decimal:
                return {"t": "decimal", "v": str(value)}
            return on_object(value)

        def decode(value, depth=0):
            if depth > 100:
                raise ValueError("nested too deeply")
            kind = exact(value)
            if kind in plain:
                return value
            if kind is list:
                return [decode(v, depth + 1) for v in value]
            if kind is not dict:
                raise ValueError("unexpected value")
            tag, body = value["t"], value["v"]
            if tag == "ref":
                if exact(body) is not int:
                    raise ValueError("bad reference")
                return on_reference(body, value)
            if tag in map_builders:
                pairs = [(decode(k, depth + 1), decode(v, depth + 1)) for k, v in body]
                return map_builders[tag](dict(pairs))
            if tag in ("bytes", "bytearray"):
                if exact(body) is not str:
                    raise ValueError("bad bytes")
                return (bytes if tag == "bytes" else bytearray).fromhex(body)
            if tag == "complex":
                return complex(float(body[0]), float(body[1]))
            if tag == "fraction":
                if exact(body[0]) is not int or exact(body[1]) is not int:
                    raise ValueError("bad fraction")
                return Fraction(body[0], body[1])
            if tag == "decimal":
                if exact(body) is not str:
                    raise ValueError("bad decimal")
                return Decimal(body)
            if exact(body) is not list or tag not in builders:
                raise ValueError("bad container")
            return builders[tag]([decode(v, depth + 1) for v in body])

        return encode, decode
    """#

  static let server = codec + "\n" + serverProgram

  static let judge = codec + "\n" + judgeProgram

  static let serverProgram = #"""
    import os, sys
    def _whet_serve():
        import json, traceback
        block = sys.argv[1] == "1"
        limit = int(sys.argv[2])
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.close(null)
        requests = open(3, "rb")
        replies = 4
        if block:
            import socket
            def _refuse(*args, **kwargs):
                raise PermissionError("network access is disabled in the sandbox")
            class _NoSocket(socket.socket):
                def __init__(self, *args, **kwargs):
                    _refuse()
            socket.socket = _NoSocket
            for name in ("create_connection", "create_server", "socketpair", "fromfd", "getaddrinfo",
                         "gethostbyname", "gethostbyname_ex"):
                if hasattr(socket, name):
                    setattr(socket, name, _refuse)
        dumps, loads, write, exit_now = json.dumps, json.loads, os.write, os._exit
        exact = type
        objects = []

        def send(message):
            # What the solution printed so far reaches the caller even if the run is then cut off.
            for stream in (sys.stdout, sys.stderr):
                try:
                    stream.flush()
                except BaseException:
                    pass
            try:
                data = dumps(message, allow_nan=True, separators=(",", ":")).encode()
            except BaseException as error:
                data = dumps({"raise": {"type": "ValueError", "message": "the value cannot be returned: %s" % exact(error).__name__}}).encode()
            if len(data) > limit:
                data = dumps({"raise": {"type": "OverflowError", "message": "the value is too large to return"}}).encode()
            data += b"\n"
            while data:
                data = data[write(replies, data):]

        def remember(value):
            objects.append(value)
            try:
                name = str(exact(value).__name__)[:80]
            except BaseException:
                name = "object"
            return {"t": "ref", "v": len(objects) - 1, "type": name}

        encode, decode = _whet_codec(remember, lambda ref, value: objects[ref])

        def describe(error):
            try:
                name = str(exact(error).__name__)[:80]
            except BaseException:
                name = "Exception"
            try:
                message = str(error)[:500]
            except BaseException:
                message = ""
            return {"type": name, "message": message}

        line = requests.readline(limit + 1)
        if not line:
            exit_now(0)
        source = loads(line)["solution"]
        namespace = {"__name__": "solution", "__builtins__": __builtins__}
        try:
            exec(compile(source, "solution.py", "exec"), namespace)
        except BaseException as error:
            try:
                traceback.print_exc()
            except BaseException:
                pass
            send({"load_error": describe(error)})
            exit_now(0)
        names = {}
        for name, value in list(namespace.items()):
            if exact(name) is str and not name.startswith("__"):
                try:
                    names[name] = encode(value)
                except BaseException:
                    pass
        send({"globals": names})
        while True:
            line = requests.readline(limit + 1)
            if not line or len(line) > limit:
                exit_now(0)
            try:
                request = loads(line)
                op = request["op"]
                target = objects[request["ref"]]
                if op == "call":
                    args = [decode(a) for a in request["args"]]
                    kwargs = {k: decode(v) for k, v in request["kwargs"].items()}
                    result = target(*args, **kwargs)
                elif op == "getattr":
                    result = getattr(target, request["name"])
                elif op == "getitem":
                    result = target[decode(request["key"])]
                elif op == "iter":
                    result = iter(target)
                elif op == "next":
                    try:
                        result = next(target)
                    except StopIteration:
                        send({"stop": True})
                        continue
                elif op == "len":
                    result = len(target)
                else:
                    raise ValueError("unknown request")
                reply = {"ok": encode(result)}
            except BaseException as error:
                reply = {"raise": describe(error)}
            send(reply)
    _whet_serve()
    """#

  static let judgeProgram = #"""
    import sys
    def _whet_judge():
        import ast, builtins, json, os
        spec = json.loads(sys.stdin.buffer.read())
        # Events go to the original stdout; anything the tests print goes to stderr instead, so
        # printed values (which the solution controls) can never pose as events.
        events = os.fdopen(os.dup(1), "w")
        os.dup2(2, 1)
        limit = spec["message_limit"]
        requests = 3
        replies = open(4, "rb")

        def emit(message):
            events.write(json.dumps(message) + "\n")
            events.flush()

        class SolutionGone(Exception):
            """The solution's process ended (or broke the protocol); nothing more can be asked."""

        class SolutionError(Exception):
            """An exception of the solution's own, or one that cannot be rebuilt here."""

        state = {"gone": None}

        def send(message):
            data = (json.dumps(message, allow_nan=True, separators=(",", ":")) + "\n").encode()
            if len(data) > limit:
                raise ValueError("the arguments are too large to send to the solution")
            try:
                while data:
                    data = data[os.write(requests, data):]
            except OSError:
                state["gone"] = "the solution's process ended"
                raise SolutionGone(state["gone"])

        def receive():
            line = replies.readline(limit + 1)
            if not line:
                state["gone"] = "the solution's process ended"
                raise SolutionGone(state["gone"])
            if len(line) > limit:
                state["gone"] = "the solution sent an oversized reply"
                raise SolutionGone(state["gone"])
            try:
                reply = json.loads(line)
                if type(reply) is not dict:
                    raise ValueError
                return reply
            except (ValueError, RecursionError):
                state["gone"] = "the solution sent a malformed reply"
                raise SolutionGone(state["gone"])

        def rebuilt(error):
            name, message = error.get("type"), error.get("message")
            message = message if type(message) is str else ""
            cls = getattr(builtins, name, None) if type(name) is str else None
            if (isinstance(cls, type) and issubclass(cls, Exception)
                    and not issubclass(cls, (StopIteration, StopAsyncIteration))):
                try:
                    return cls(message)
                except BaseException:
                    pass
            return SolutionError("%s: %s" % (name, message))

        def ask(message):
            if state["gone"]:
                raise SolutionGone(state["gone"])
            send(message)
            reply = receive()
            if "raise" in reply and type(reply["raise"]) is dict:
                raise rebuilt(reply["raise"])
            if "stop" in reply:
                raise StopIteration
            if "ok" not in reply:
                state["gone"] = "the solution sent a malformed reply"
                raise SolutionGone(state["gone"])
            try:
                return decode(reply["ok"])
            except (KeyError, IndexError, TypeError, ValueError, RecursionError):
                state["gone"] = "the solution sent a malformed value"
                raise SolutionGone(state["gone"])

        class Remote:
            """An object that lives in the solution's process. Calls, attribute reads, indexing,
            iteration and len() are forwarded; the results come back as builtin values or further
            remote objects. It equals only itself and has no truth value."""
            __slots__ = ("_whet_ref", "_whet_type")

            def __init__(self, ref, kind):
                object.__setattr__(self, "_whet_ref", ref)
                object.__setattr__(self, "_whet_type", kind)

            def __call__(self, *args, **kwargs):
                return ask({"op": "call", "ref": self._whet_ref, "args": [encode(a) for a in args],
                            "kwargs": {str(k): encode(v) for k, v in kwargs.items()}})

            def __getattr__(self, name):
                if name.startswith("__"):
                    raise AttributeError(name)
                return ask({"op": "getattr", "ref": self._whet_ref, "name": name})

            def __setattr__(self, name, value):
                raise TypeError("objects of the solution cannot be modified by the tests")

            def __getitem__(self, key):
                return ask({"op": "getitem", "ref": self._whet_ref, "key": encode(key)})

            def __len__(self):
                return ask({"op": "len", "ref": self._whet_ref})

            def __iter__(self):
                iterator = ask({"op": "iter", "ref": self._whet_ref})
                if type(iterator) is not Remote:
                    yield from iterator
                    return
                while True:
                    try:
                        item = ask({"op": "next", "ref": iterator._whet_ref})
                    except StopIteration:
                        return
                    yield item

            def __bool__(self):
                raise TypeError("a %s from the solution has no truth value the tests can trust" % self._whet_type)

            def __eq__(self, other):
                return self is other

            def __ne__(self, other):
                return self is not other

            def __hash__(self):
                return id(self)

            def __repr__(self):
                return "<%s from the solution>" % self._whet_type

        def reference(value):
            if type(value) is Remote:
                return {"t": "ref", "v": value._whet_ref}
            raise TypeError("a %s cannot be passed to the solution (builtin values only)" % type(value).__name__)

        def remote(ref, value):
            name = value.get("type")
            return Remote(ref, name if type(name) is str else "object")

        encode, decode = _whet_codec(reference, remote)

        statements = []
        try:
            for i, text in enumerate(spec["tests"]):
                for node in ast.parse(text, "test_%d" % i).body:
                    statements.append((i, ast.Module(body=[node], type_ignores=[])))
        except SyntaxError as error:
            emit({"tests_error": "the tests do not parse: %s" % error})
            return
        emit({"tests": len(statements)})

        namespace = {"__name__": "__whet_tests__", "__builtins__": builtins}
        try:
            send({"solution": spec["solution"]})
            hello = receive()
        except (SolutionGone, ValueError) as error:
            emit({"load": "gone", "message": str(error)})
            hello = {}
        if "load_error" in hello and type(hello["load_error"]) is dict:
            error = hello["load_error"]
            emit({"load": "error", "type": str(error.get("type")), "message": str(error.get("message"))})
            state["gone"] = "the solution did not load"
        elif type(hello.get("globals")) is dict:
            emit({"load": "ok"})
            for name, value in hello["globals"].items():
                if name.isidentifier() and not name.startswith("__") and not hasattr(builtins, name):
                    try:
                        namespace[name] = decode(value)
                    except (KeyError, IndexError, TypeError, ValueError, RecursionError):
                        pass
        elif hello:
            emit({"load": "gone", "message": "the solution sent a malformed greeting"})
            state["gone"] = "the solution sent a malformed greeting"

        for k, (i, module) in enumerate(statements):
            status, message = "passed", ""
            try:
                exec(compile(module, "test_%d" % i, "exec"), namespace)
            except AssertionError as error:
                status, message = "failed", "AssertionError" + (": %s" % error if str(error) else "")
            except MemoryError:
                status = "memory"
            except SolutionGone as error:
                status, message = "gone", str(error)
            except BaseException as error:
                status, message = "error", "%s: %s" % (type(error).__name__, error)
            if status != "passed":
                try:
                    message = (message + " in: " if message else "in: ") + ast.unparse(module)[:300]
                except BaseException:
                    pass
            emit({"test": k, "status": status, "message": message[:600]})
        emit({"done": True})
    _whet_judge()
    """#
}
