"""Schemathesis hooks for infra/local/schemathesis.sh (loaded through SCHEMATHESIS_HOOKS).

Two failures are not the API's fault and are dropped. Both are 500s that `cargo lambda watch`
(the local stand-in for API Gateway) answers itself, with its own problem+json body, never with
the API's error envelope:

- A request body that is not valid UTF-8 but claims a text content type (application/json): the
  stand-in cannot put it into the Lambda event, and the function is never invoked. The
  functions' own handling of such bytes (they arrive base64-encoded from API Gateway) is
  covered in-process by the Lambda event tests.
- An answer of some kilobytes (a page of commissions; a 422 naming a long hostile value): now and
  then the stand-in fails to read the function's whole response although the function answered
  (its log says so), and answers 500 instead. Such a 500 is dropped only if sending the same
  request again gets no such 500: one that comes back every time still fails the run. A POST
  sent twice may create twice; that changes nothing for the run.

It also makes some generated bodies hostile (`map_body`): every third body has its numbers
replaced by values no amount may hold (29 nines, 10**400, -10**12, 1e-28, 1e300, sixteen
decimals) and its
strings by long runs of four-byte characters, in turn, so that such input meets every operation.
The run's bar stays the same: no answer of 500 or more.

A 5xx from the function itself has the API's error envelope ({"error": {...}}), and a function
that crashes is answered with the runtime's error report, so either still fails the run.
"""

import itertools
import json
import sys

import requests
import schemathesis
from schemathesis.core.failures import ServerError

EMULATOR_500 = {"type": "https://httpstatuses.com/500", "status": 500, "title": "Internal Server Error"}
RETRIES = 3


def _wire_bytes(body) -> bytes:
    """The bytes a request body goes out as. `http.client` sends a `str` body as Latin-1, so a
    JSON body holding "é" unescaped reaches the server as the single byte 0xE9: not UTF-8."""
    if isinstance(body, str):
        try:
            return body.encode("latin-1")
        except UnicodeEncodeError:
            return body.encode("utf-8", "surrogatepass")
    return bytes(body)


def _is_utf8(body) -> bool:
    if body is None:
        return True
    try:
        _wire_bytes(body).decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _is_emulator_500(status: int, content: bytes) -> bool:
    try:
        return status == 500 and json.loads(content) == EMULATOR_500
    except ValueError:
        return False


def _recovers(request) -> bool:
    """Whether the same request, sent again, gets past the stand-in."""
    with requests.Session() as session:
        for _ in range(RETRIES):
            again = session.send(request, timeout=30)
            if not _is_emulator_500(again.status_code, again.content):
                return True
    return False


@schemathesis.hook
def filter_failure(ctx, failure, case, response) -> bool:
    if not isinstance(failure, ServerError) or not _is_emulator_500(
        response.status_code, response.content
    ):
        return True
    request = response.request
    if not _is_utf8(request.body):
        reason = "a non-UTF-8 body"
    elif _recovers(request):
        reason = "an answer it failed to read (the same request again went through)"
    else:
        return True
    print(f"note: dropped a cargo-lambda 500 for {reason}: {case.operation.label}", file=sys.stderr)
    return False


# Numbers beyond every bound, and strings beyond every key and length limit (SPEC §4.7).
HOSTILE_NUMBERS = [10**29 - 1, 10**400, -(10**12), 1e-28, 1e300, 0.1234567890123457]
HOSTILE_STRINGS = ["\U0001d11e" * 300, "\u00e9" * 2000, "x" * 5000]
_bodies = itertools.count()


def _hostile(value, pick):
    """`value` with its number and string leaves replaced, each by the next hostile value."""
    if isinstance(value, dict):
        return {key: _hostile(item, pick) for key, item in value.items()}
    if isinstance(value, list):
        return [_hostile(item, pick) for item in value]
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, (int, float)):
        return HOSTILE_NUMBERS[next(pick) % len(HOSTILE_NUMBERS)]
    if isinstance(value, str):
        return HOSTILE_STRINGS[next(pick) % len(HOSTILE_STRINGS)]
    return value


@schemathesis.hook
def map_body(ctx, body):
    if next(_bodies) % 3 != 0:
        return body
    return _hostile(body, itertools.count())
