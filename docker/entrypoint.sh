#!/bin/sh
# Container entry point. With no arguments it starts the homeserver on $SYNAPSE_CONFIG_PATH
# (default /data/homeserver.yaml), first generating that config if it is missing, the way Synapse's image
# is usually driven: SYNAPSE_SERVER_NAME names the server, SYNAPSE_REPORT_STATS (yes|no) is recorded.
# `generate` only writes the config and key and exits; any other arguments go to the CLI as they are.
set -eu

CLI="node /app/dist/src/cli/hearth.mjs"
CONFIG="${SYNAPSE_CONFIG_PATH:-/data/homeserver.yaml}"
DATA_DIR="${SYNAPSE_DATA_DIR:-/data}"

generate() {
  if [ -z "${SYNAPSE_SERVER_NAME:-}" ]; then
    echo "$CONFIG does not exist: set SYNAPSE_SERVER_NAME (and SYNAPSE_REPORT_STATS=yes|no) to generate it," >&2
    echo "or mount your own homeserver.yaml there." >&2
    exit 1
  fi
  if [ -z "${SYNAPSE_REPORT_STATS:-}" ]; then
    echo "SYNAPSE_REPORT_STATS must be set to yes or no to generate a config" >&2
    exit 1
  fi
  $CLI generate-config \
    --server-name "$SYNAPSE_SERVER_NAME" \
    --report-stats="$SYNAPSE_REPORT_STATS" \
    --config-path "$CONFIG" \
    --data-dir "$DATA_DIR"
  # The generated listener binds 127.0.0.1 (right for a bare `npm start`); in a container it must bind
  # every interface or the published port reaches nothing.
  node /app/docker/listen-on-all-interfaces.mjs "$CONFIG"
}

case "${1:-}" in
  "")
    [ -f "$CONFIG" ] || generate
    exec $CLI start --config "$CONFIG"
    ;;
  generate)
    if [ -f "$CONFIG" ]; then
      echo "$CONFIG already exists; not overwriting it" >&2
      exit 1
    fi
    generate
    ;;
  *)
    exec $CLI "$@"
    ;;
esac
