"""The web front's sessions live on the server side (Flask-Session): the browser's cookie holds only a
random id (256 bits), the officer's token and everything else stay with the web front. Signing out
deletes the stored session, so a copy of the cookie taken before is worth nothing afterwards, in every
browser and on every process of the web front.

Where: Redis when `WEB_SESSION_REDIS_URL` is set (several hosts share it, and it expires sessions by
itself), otherwise one file a session under `CNUM_VAR_DIR/web-sessions` (one host; the files of expired
sessions are pruned once there are many).
"""

from __future__ import annotations

from typing import Any, cast

from cachelib.file import FileSystemCache
from flask import Flask, current_app, session
from flask_session.base import ServerSideSession, ServerSideSessionInterface
from flask_session.cachelib import CacheLibSessionInterface
from flask_session.redis import RedisSessionInterface
from redis import Redis

from web.config import WebSettings

KEY_PREFIX = "cnum-web-session:"
#: Past this many session files, the expired ones are removed (and a third of the others, cachelib's
#: rule, which then signs those officers out: far more than the officers of one host).
FILE_THRESHOLD = 50_000


def install_sessions(app: Flask, settings: WebSettings) -> None:
    interface: ServerSideSessionInterface
    if settings.session_redis_url:
        interface = RedisSessionInterface(
            app, client=Redis.from_url(settings.session_redis_url), key_prefix=KEY_PREFIX
        )
    else:
        directory = settings.session_directory
        directory.mkdir(parents=True, exist_ok=True)
        interface = CacheLibSessionInterface(
            client=FileSystemCache(str(directory), threshold=FILE_THRESHOLD, mode=0o600),
            key_prefix=KEY_PREFIX,
        )
    app.session_interface = interface


def start_new_session() -> None:
    """Forget the current session and give the browser a new id (at sign-in: no fixation; at sign-out:
    the old id is no longer anything). Whatever was stored under the old id is deleted."""
    interface = cast(ServerSideSessionInterface, current_app.session_interface)
    current = cast(ServerSideSession, session)
    session.clear()
    interface._delete_session(interface._get_store_id(cast(Any, current).sid))
    current.sid = interface._generate_sid(interface.sid_length)
    current.modified = True
