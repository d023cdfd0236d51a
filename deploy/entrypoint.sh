#!/bin/sh
# The image's entry point. No command, or `serve`: migrate the database, then serve the web
# app and API on 0.0.0.0 (port TRADELOOP_WEB_PORT, default 8000) in TRADELOOP_WEB_WORKERS
# server processes (default 2). Any other command runs as given, e.g. compose's bot
# supervisor `tradeloop bots run`. `exec`: the server itself receives docker's SIGTERM.
set -eu
umask 077  # files made in the data directory are the owner's only
if [ "$#" -eq 0 ] || [ "$1" = serve ]; then
    tradeloop db upgrade
    exec tradeloop serve --host 0.0.0.0 --port "${TRADELOOP_WEB_PORT:-8000}" \
        --workers "${TRADELOOP_WEB_WORKERS:-2}"
fi
exec "$@"
