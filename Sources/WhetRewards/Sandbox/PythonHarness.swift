/// The Python program that runs a solution and its tests inside the sandbox.
///
/// It is passed with `python3 -I -B -c`, so it neither reads `PYTHON*` variables nor writes
/// bytecode. In order, it: reads a one-line nonce from stdin and points stdin at `/dev/null`;
/// moves into the scratch directory; sets `RLIMIT_CORE` 0, `RLIMIT_CPU`, `RLIMIT_FSIZE`,
/// `RLIMIT_NOFILE` and `RLIMIT_NPROC`; when started as root, drops to the unprivileged
/// uid/gid (the kernel does not apply `RLIMIT_NPROC` to root, so this is what makes the
/// process limit real); sets `RLIMIT_AS` last (the steps before it allocate); optionally
/// replaces the socket API; then executes `solution.py` as module `solution` and each
/// top-level statement of each test in `tests.json` in the same namespace.
///
/// The verdict is one report line `<nonce> <status> <passed> <total>` on stdout, with status
/// `passed`, `failed` (an `AssertionError`), `memory` (`MemoryError`) or `error`. Requiring
/// the nonce means a solution that calls `exit(0)` or `os._exit(0)` before the tests run
/// does not pass. The nonce lives only in this function's frame, so the guard stops
/// accidental and casual early exits, not code that inspects the interpreter's frames.
enum PythonHarness {
  static let source = #"""
    import os, sys
    def _whet_main():
        import ast, json, resource, traceback
        workdir = sys.argv[1]
        mem, cpu, nproc, fsize, nofile, uid, gid, block = (int(a) for a in sys.argv[2:10])
        nonce = sys.stdin.readline().strip()
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.close(null)
        os.chdir(workdir)
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        for kind, soft, hard in ((resource.RLIMIT_CPU, cpu, cpu + 1), (resource.RLIMIT_FSIZE, fsize, fsize),
                                 (resource.RLIMIT_NOFILE, nofile, nofile), (resource.RLIMIT_NPROC, nproc, nproc)):
            if soft > 0:
                resource.setrlimit(kind, (soft, hard))
        if uid >= 0 and os.geteuid() == 0:
            os.setgroups([])
            os.setgid(gid)
            os.setuid(uid)
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
        with open("solution.py", encoding="utf-8") as f:
            source = f.read()
        with open("tests.json", encoding="utf-8") as f:
            tests = json.load(f)
        report_fd = os.dup(1)
        if mem > 0:
            resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
        statements = []
        def report(status, passed):
            try:
                sys.stdout.flush()
                sys.stderr.flush()
            except BaseException:
                pass
            line = "\n%s %s %d %d\n" % (nonce, status, passed, len(statements))
            os.write(report_fd, line.encode())
            os._exit(0)
        def kind(error):
            if isinstance(error, MemoryError):
                return "memory"
            if isinstance(error, AssertionError):
                return "failed"
            return "error"
        try:
            for i, text in enumerate(tests):
                for node in ast.parse(text, "test_%d" % i).body:
                    statements.append((i, ast.Module(body=[node], type_ignores=[])))
        except BaseException:
            traceback.print_exc()
            report("error", 0)
        namespace = {"__name__": "solution", "__builtins__": __builtins__}
        try:
            exec(compile(source, "solution.py", "exec"), namespace)
        except BaseException as error:
            traceback.print_exc()
            report("memory" if isinstance(error, MemoryError) else "error", 0)
        passed = 0
        worst = None
        for i, module in statements:
            try:
                exec(compile(module, "test_%d" % i, "exec"), namespace)
                passed += 1
            except BaseException as error:
                try:
                    print("test %d failed: %s" % (i, ast.unparse(module)[:300]), file=sys.__stderr__)
                    traceback.print_exc()
                except BaseException:
                    pass
                found = kind(error)
                if worst is None or found == "memory" or (found == "error" and worst == "failed"):
                    worst = found
        report(worst or "passed", passed)
    _whet_main()
    """#
}
