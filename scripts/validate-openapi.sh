#!/usr/bin/env bash
# Validates an OpenAPI document with openapi-spec-validator (PyPI), installed on first use
# into a virtual environment under .build/openapi-venv (or $IMR_OPENAPI_VENV).
#
#   scripts/validate-openapi.sh openapi.json
#
# Exit codes: 0 valid, 1 invalid (the validator's message on stderr), 3 the validator could
# not be installed (no python3/venv/pip or no network), 64 usage.
set -u
if [ $# -ne 1 ] || [ ! -f "$1" ]; then
  echo "usage: $0 OPENAPI.json" >&2
  exit 64
fi
doc=$1
root=$(cd "$(dirname "$0")/.." && pwd)
venv=${IMR_OPENAPI_VENV:-$root/.build/openapi-venv}
py=$venv/bin/python

if ! command -v python3 >/dev/null 2>&1; then
  echo "openapi-spec-validator unavailable: python3 is not installed" >&2
  exit 3
fi

install() {
  if [ ! -x "$py" ]; then
    mkdir -p "$(dirname "$venv")"
    timeout 120 python3 -m venv "$venv" >&2 || { echo "openapi-spec-validator unavailable: cannot create a venv at $venv" >&2; return 3; }
  fi
  if ! "$py" -c 'import openapi_spec_validator' >/dev/null 2>&1; then
    timeout 300 "$py" -m pip install --disable-pip-version-check --quiet --timeout 30 'openapi-spec-validator>=0.7' >&2 \
      || { echo "openapi-spec-validator unavailable: pip install failed (is PyPI reachable?)" >&2; return 3; }
  fi
  return 0
}

# One installer at a time (tests may run in parallel).
mkdir -p "$(dirname "$venv")"
if command -v flock >/dev/null 2>&1; then
  exec 9>"$venv.lock"
  timeout 360 flock 9 || { echo "openapi-spec-validator unavailable: timed out waiting for another install" >&2; exit 3; }
fi
install || exit $?

timeout 120 "$py" - "$doc" <<'PY'
import json, sys
from openapi_spec_validator import validate
try:
    from openapi_spec_validator import OpenAPIV31SpecValidator as V31
except ImportError:
    V31 = None
with open(sys.argv[1], encoding="utf-8") as f:
    spec = json.load(f)
if not str(spec.get("openapi", "")).startswith("3.1"):
    print("not an OpenAPI 3.1 document", file=sys.stderr)
    sys.exit(1)
try:
    if V31 is not None:
        validate(spec, cls=V31)
    else:
        validate(spec)
except Exception as e:  # the validator's own error types differ between versions
    print(f"invalid OpenAPI document: {e}", file=sys.stderr)
    sys.exit(1)
print("valid OpenAPI 3.1 document")
PY
