"""Portico's Python Lambda worker: one process runs one function, one invocation at a time,
the way a warm Lambda sandbox with the managed Python runtime does.

Started by src/integrations/lambda/invoke-python.ts with the function's environment (the
handler in _HANDLER, the task root in LAMBDA_TASK_ROOT, Lambda's AWS_LAMBDA_* variables).
Standard library only, Python 3.8+.

Protocol. The gateway writes one JSON line per invocation to the worker's original stdin:
  {"requestId": "...", "arn": "...", "timeoutMs": 6000, "event": {...}}
and the worker answers on its original stdout with lines "<KIND> <data>":
  READY                      the handler module is imported; invocations may come
  INITERR <error JSON>       importing the handler failed; the worker then exits
  FATAL <text>               the worker itself cannot run (too old an interpreter, ...)
  LOG <JSON string>          text the handler printed (print(), logging, sys.stderr)
  OK <payload JSON>          the handler's return value, as Lambda serialises it
  RAW <JSON string>          a bytes return value, passed through as Lambda does
  ERR <error JSON>           the invocation failed, in the Python runtime's error shape
Both original descriptors are moved out of the handler's reach before its module is imported:
fd 0 becomes /dev/null and fd 1 joins fd 2 (the gateway logs what arrives there), so nothing a
handler or a library writes, even below Python, can corrupt the protocol. The protocol copies
are not inherited by processes the handler starts (PEP 446).
"""
import sys

# Kept to syntax old interpreters can parse, so they report this instead of a SyntaxError.
if sys.version_info < (3, 8):
    import os as _os

    _os.write(1, ("FATAL Python handlers need Python 3.8 or later; the interpreter is %s\n" % sys.version.split()[0]).encode("utf-8"))
    sys.exit(3)

import decimal
import importlib
import io
import json
import logging
import os
import signal
import threading
import time
import traceback

WORKER_FILE = os.path.abspath(__file__)


class Channel(object):
    """The protocol's output: whole lines, written atomically with respect to other threads."""

    def __init__(self, fd):
        self.fd = fd
        self.lock = threading.Lock()

    def send(self, kind, data=""):
        line = (kind + " " + data + "\n") if data else (kind + "\n")
        raw = line.encode("utf-8", "surrogatepass")
        with self.lock:
            view = memoryview(raw)
            while view:
                written = os.write(self.fd, view)
                view = view[written:]


class LogStream(io.TextIOBase):
    """sys.stdout / sys.stderr of the handler: every write goes to the gateway log at once,
    on the protocol channel, so a line printed before the handler returns is logged before
    its answer arrives, and nothing is lost when the process dies right after printing."""

    def __init__(self, channel, fd):
        super(LogStream, self).__init__()
        self.channel = channel
        self.fd = fd

    @property
    def encoding(self):
        return "utf-8"

    @property
    def errors(self):
        return "strict"

    def writable(self):
        return True

    def isatty(self):
        return False

    def fileno(self):
        # Code that hands sys.stdout to a subprocess gets the log pipe.
        return self.fd

    def write(self, text):
        if not isinstance(text, str):
            raise TypeError("write() argument must be str, not %s" % type(text).__name__)
        if text:
            self.channel.send("LOG", json.dumps(text))
        return len(text)

    def flush(self):
        pass


class Fault(Exception):
    """An error the runtime reports with its own type (Runtime.ImportModuleError, ...)."""

    def __init__(self, error_type, message, trace=None):
        super(Fault, self).__init__(message)
        self.error_type = error_type
        self.message = message
        self.trace = trace


def make_error(message, error_type, trace, request_id):
    # The Python runtime's error document, field for field.
    return {
        "errorMessage": message or "",
        "errorType": error_type or "",
        "requestId": request_id if request_id is not None else "",
        "stackTrace": trace or [],
    }


def error_from_exception(exc, request_id):
    """The document for an exception raised by user code, without the worker's own frames."""
    frames = traceback.extract_tb(exc.__traceback__)
    while frames and os.path.abspath(frames[0].filename) == WORKER_FILE:
        frames = frames[1:]
    return make_error(str(exc), type(exc).__name__, traceback.format_list(frames), request_id)


def log_error(document):
    """The runtime's "[ERROR] Type: message" log entry with the traceback under it."""
    text = "[ERROR]"
    if document["errorType"]:
        text += " " + document["errorType"]
    if document["errorMessage"]:
        text += (":" if document["errorType"] else "") + " " + document["errorMessage"]
    lines = [text, "Traceback (most recent call last):"]
    for element in document["stackTrace"]:
        lines.extend(element.splitlines() or [""])
    sys.stdout.write("\n".join(lines) + "\n")


def load_handler(spec):
    """Imports "<module path>.<function>" as Lambda does: slashes become dots, relative to the
    task root, so "src/users.get" is function get of src/users.py (or of package src.users)."""
    module_name, dot, function_name = spec.rpartition(".")
    if not dot or not module_name:
        raise Fault("Runtime.MalformedHandlerName", "Bad handler '%s': not enough values to unpack (expected 2, got 1)" % spec)
    if module_name.split(".")[0] in sys.builtin_module_names:
        raise Fault("Runtime.BuiltInModuleConflict", "Cannot use built-in module %s as a handler module" % module_name)
    try:
        module = importlib.import_module(module_name.replace("/", "."))
    except ImportError as exc:
        raise Fault("Runtime.ImportModuleError", "Unable to import module '%s': %s" % (module_name, exc))
    except SyntaxError as exc:
        trace = ['  File "%s" Line %s\n    %s' % (exc.filename, exc.lineno, exc.text)]
        raise Fault("Runtime.UserCodeSyntaxError", "Syntax error in module '%s': %s" % (module_name, exc), trace)
    try:
        return getattr(module, function_name)
    except AttributeError:
        raise Fault("Runtime.HandlerNotFound", "Handler '%s' missing on module '%s'" % (function_name, module_name))


class Encoder(json.JSONEncoder):
    """json.dumps as the runtime calls it: Decimals (DynamoDB's numbers) are numbers."""

    def default(self, obj):
        if isinstance(obj, decimal.Decimal):
            if obj.is_nan():
                return float("nan")
            # The runtime writes the Decimal's digits as they are; the standard library cannot
            # emit raw text, so integral values stay exact and the rest become floats.
            if obj == obj.to_integral_value():
                return int(obj)
            return float(obj)
        return super(Encoder, self).default(obj)


def runtime_minor_version():
    env = os.environ.get("AWS_EXECUTION_ENV", "")
    try:
        return int(env.rsplit(".", 1)[1])
    except (IndexError, ValueError):
        return sys.version_info[1]


class CognitoIdentity(object):
    __slots__ = ["cognito_identity_id", "cognito_identity_pool_id"]

    def __init__(self):
        self.cognito_identity_id = None
        self.cognito_identity_pool_id = None


class LambdaContext(object):
    """The context argument, with the attributes and method the Python runtime gives it."""

    def __init__(self, request_id, invoked_function_arn, deadline_ms):
        self.aws_request_id = request_id
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME")
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME")
        # A string, as Lambda gives it ("1024").
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION")
        self.invoked_function_arn = invoked_function_arn
        self.client_context = None
        self.identity = CognitoIdentity()
        self.tenant_id = None
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self):
        remaining = self._deadline_ms - int(time.time() * 1000)
        return remaining if remaining > 0 else 0

    def log(self, message):
        sys.stdout.write(str(message))

    def __repr__(self):
        return "LambdaContext([aws_request_id=%s,log_group_name=%s,log_stream_name=%s,function_name=%s,memory_limit_in_mb=%s,function_version=%s,invoked_function_arn=%s,client_context=None,identity=%r])" % (
            self.aws_request_id,
            self.log_group_name,
            self.log_stream_name,
            self.function_name,
            self.memory_limit_in_mb,
            self.function_version,
            self.invoked_function_arn,
            self.identity,
        )


current_request_id = [""]


class RequestIdFilter(logging.Filter):
    def filter(self, record):
        record.aws_request_id = current_request_id[0]
        return True


class StdoutHandler(logging.Handler):
    """Looks sys.stdout up at each record, so it follows the handler's stream."""

    def emit(self, record):
        try:
            sys.stdout.write(self.format(record))
        except Exception:
            self.handleError(record)


def setup_logging():
    # The runtime's root handler and line format: logger.warning() works without basicConfig.
    logging.Formatter.converter = time.gmtime
    handler = StdoutHandler()
    handler.setFormatter(logging.Formatter("[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s\n", "%Y-%m-%dT%H:%M:%S"))
    handler.addFilter(RequestIdFilter())
    logging.getLogger().addHandler(handler)


def invoke(handler, request, encoder):
    """Runs one invocation; returns the protocol line's kind and data."""
    request_id = request.get("requestId", "")
    current_request_id[0] = request_id
    deadline_ms = int(time.time() * 1000) + int(request.get("timeoutMs", 3000))
    context = LambdaContext(request_id, request.get("arn"), deadline_ms)
    try:
        result = handler(request.get("event"), context)
        if isinstance(result, (bytes, bytearray)):
            return "RAW", json.dumps(bytes(result).decode("utf-8", "replace"))
        try:
            return "OK", encoder.encode(result)
        except Exception as exc:
            raise Fault("Runtime.MarshalError", "Unable to marshal response: %s" % exc)
    except Fault as fault:
        document = make_error(fault.message, fault.error_type, fault.trace, request_id)
    except Exception as exc:
        document = error_from_exception(exc, request_id)
    log_error(document)
    return "ERR", json.dumps(document)


def watch_parent(parent):
    # A gateway that was killed cannot close our input; leave instead of lingering as an
    # orphan, even while a handler is stuck.
    while True:
        time.sleep(1)
        if os.getppid() != parent:
            os._exit(1)


def main():
    # The protocol keeps private copies of stdin and stdout; the handler gets neither.
    requests = os.fdopen(os.dup(0), "rb")
    channel = Channel(os.dup(1))
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    os.dup2(2, 1)
    sys.stdin = open(os.devnull, "r")
    sys.stdout = LogStream(channel, 1)
    sys.stderr = LogStream(channel, 2)
    # Ctrl-C in a terminal reaches the whole process group; the gateway decides when we stop.
    if hasattr(signal, "SIGINT"):
        signal.signal(signal.SIGINT, signal.SIG_IGN)

    watchdog = threading.Thread(target=watch_parent, args=(os.getppid(),), name="portico-parent-watch")
    watchdog.daemon = True
    watchdog.start()

    task_root = os.environ.get("LAMBDA_TASK_ROOT") or os.getcwd()
    # sys.path[0] is this file's directory; user modules must not resolve against it.
    sys.path[0] = task_root
    if not os.environ.get("AWS_EXECUTION_ENV"):
        os.environ["AWS_EXECUTION_ENV"] = "AWS_Lambda_python%d.%d" % sys.version_info[:2]
    setup_logging()

    try:
        handler = load_handler(os.environ.get("_HANDLER", ""))
    except Fault as fault:
        document = make_error(fault.message, fault.error_type, fault.trace, None)
        log_error(document)
        channel.send("INITERR", json.dumps(document))
        return 1
    except Exception as exc:
        # Module code that raises while it is imported (a missing environment variable, ...).
        document = error_from_exception(exc, None)
        log_error(document)
        channel.send("INITERR", json.dumps(document))
        return 1
    channel.send("READY")

    # The runtime escapes non-ASCII characters in answers up to python3.11, not from 3.12 on.
    encoder = Encoder(ensure_ascii=runtime_minor_version() < 12)
    while True:
        line = requests.readline()
        if not line:
            # The gateway closed our input: it is shutting down or gone.
            return 0
        try:
            request = json.loads(line.decode("utf-8"))
        except ValueError as exc:
            channel.send("FATAL", "unreadable request: %s" % exc)
            return 2
        kind, data = invoke(handler, request, encoder)
        channel.send(kind, data)


if __name__ == "__main__":
    sys.exit(main())
