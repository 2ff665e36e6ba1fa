"""Bot API method implementations of the fake, independent of HTTP.

`BotApi.call()` takes a decoded request and returns the `result` of the answer or raises
`ApiError`.  Every method that produces a message goes through `_deliver()`, parametrised
by the kind of content, so sendMessage / sendDocument / copyMessage / ... share one path,
including the failure-injection, chat-status and flood-control gate in front of it.
"""

from __future__ import annotations

import mimetypes
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from .content import CAPTION_LIMIT, TEXT_LIMIT, check_reply_markup, render
from .state import (
    ApiError,
    ChatMessage,
    ChatStatus,
    FailureRule,
    JsonDict,
    RateLimiter,
    Stats,
    StoredFile,
    UploadedFile,
    World,
    bad_request,
)
from .updates import UpdateQueue
from .webhook import WebhookPusher

Handler = Callable[[JsonDict], Any]

# Media kinds: folder of file_path, and fields Telegram always fills for that kind.
MEDIA_KINDS: dict[str, tuple[str, JsonDict]] = {
    "document": ("documents", {}),
    "photo": ("photos", {"width": 800, "height": 600}),
    "video": ("videos", {"width": 640, "height": 360, "duration": 1}),
    "animation": ("animations", {"width": 320, "height": 240, "duration": 1}),
    "audio": ("music", {"duration": 1}),
    "voice": ("voice", {"duration": 1}),
    "video_note": ("video_notes", {"length": 240, "duration": 1}),
    "sticker": (
        "stickers",
        {"type": "regular", "width": 512, "height": 512, "is_animated": False, "is_video": False},
    ),
}
# Kinds whose object carries file_name / mime_type in Telegram.
_NAMED_KINDS = frozenset({"document", "video", "animation", "audio"})

_SEND_METHODS = {
    "sendMessage": "text",
    "sendDocument": "document",
    "sendPhoto": "photo",
    "sendVideo": "video",
    "sendAnimation": "animation",
    "sendAudio": "audio",
    "sendVoice": "voice",
    "sendVideoNote": "video_note",
    "sendSticker": "sticker",
}
# Methods implemented as just "answer true" (like any unknown method), named for recording.
_TRUE_METHODS = (
    "getUpdates",  # served by the server itself, listed for its spelling only
    "sendChatAction",
    "pinChatMessage",
    "unpinChatMessage",
    "unpinAllChatMessages",
    "close",
    "logOut",
)
# Methods that deliver something to `chat_id` besides send*: subject to block / flood control.
_DELIVERING = frozenset({"copymessage", "copymessages", "forwardmessage", "forwardmessages"})

NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)
_INVALID_QUERY = "query is too old and response timeout expired or query ID is invalid"


def is_send_like(method: str) -> bool:
    """`method` is lower-case; sendChatAction counts too, as Telegram rejects it when blocked."""
    return method.startswith("send") or method in _DELIVERING


def _now() -> int:
    return int(time.time())


class BotApi:
    """The methods of one fake bot over a shared `World`."""

    def __init__(
        self,
        world: World,
        queue: UpdateQueue,
        bot_user: JsonDict,
        *,
        strict: bool,
    ) -> None:
        self.world = world
        self.queue = queue
        self.webhook = WebhookPusher(queue)
        self.bot_user = bot_user
        self.strict = strict
        self.stats = Stats()
        self.limiter = RateLimiter()
        self.failures: list[FailureRule] = []
        self.callback_answers: list[JsonDict] = []
        self.open_callback_ids: set[str] = set()
        # A process that makes its own updates (python -m fakeapi --any-callback-query) has
        # callback ids this server never issued: each may then be answered once.
        self.any_callback_query = False
        self._answered_unknown: set[str] = set()
        self.commands: dict[str, Any] = {}
        handlers: dict[str, Handler] = {
            "getMe": lambda p: self.bot_user,
            "setWebhook": self.set_webhook,
            "deleteWebhook": self.delete_webhook,
            "getWebhookInfo": self.get_webhook_info,
            "setMyCommands": self.set_my_commands,
            "deleteMyCommands": self.delete_my_commands,
            "getMyCommands": self.get_my_commands,
            "sendMediaGroup": self.send_media_group,
            "copyMessage": self.copy_message,
            "copyMessages": self.copy_messages,
            "forwardMessage": self.forward_message,
            "forwardMessages": self.forward_messages,
            "editMessageText": self.edit_message_text,
            "editMessageCaption": self.edit_message_caption,
            "editMessageReplyMarkup": self.edit_message_reply_markup,
            "deleteMessage": self.delete_message,
            "deleteMessages": self.delete_messages,
            "answerCallbackQuery": self.answer_callback_query,
            "getFile": self.get_file,
            "getChat": self.get_chat,
            "getChatMember": self.get_chat_member,
        }
        for name, kind in _SEND_METHODS.items():
            handlers[name] = self._send_handler(kind)
        self.handlers = {name.lower(): handler for name, handler in handlers.items()}
        # Names as Telegram spells them, for recording; unknown methods keep the sent spelling.
        self.canonical = {name.lower(): name for name in (*handlers, *_TRUE_METHODS)}

    # -- the gate every call passes ------------------------------------------------------

    def call(self, method: str, params: JsonDict) -> Any:
        """Run lower-case `method`; bookkeeping of stats happens here, in one place."""
        self.stats.calls += 1
        try:
            return self._call(method, params)
        except ApiError as error:
            stats = self.stats
            stats.errors += 1
            if error.status == 429:
                stats.rate_limited += 1
            elif error.status == 403:
                stats.blocked += 1
            raise

    def _call(self, method: str, params: JsonDict) -> Any:
        chat_id = params.get("chat_id")
        if self.failures:
            self.take_failure(method, chat_id)
        handler = self.handlers.get(method)
        if not is_send_like(method):
            return True if handler is None else handler(params)
        limiter = self.limiter
        target = chat_id if isinstance(chat_id, int) else None
        if target is None:
            raise bad_request("chat not found")
        status = self.world.statuses.get(target)
        if status is not None:
            raise status.error()
        now = time.monotonic()
        if limiter.active:
            error = limiter.check(target, now)
            if error is not None:
                raise error
        result = True if handler is None else handler(params)
        if limiter.active:
            limiter.accept(target, now)
        self.stats.sent += 1
        return result

    def take_failure(self, method: str, chat_id: Any) -> None:
        """Raise the first matching `fail_next` rule, consuming one of its `times`."""
        for rule in self.failures:
            if rule.matches(method, chat_id):
                rule.times -= 1
                if rule.times <= 0:
                    self.failures.remove(rule)
                raise rule.error

    # -- messages --------------------------------------------------------------------------

    def message_dict(self, message: ChatMessage) -> JsonDict:
        """The Telegram `Message` object for a stored message (built per call; it is small)."""
        chat = self.world.chat(message.chat_id)
        result: JsonDict = {
            "message_id": message.message_id,
            "date": message.date,
            "chat": chat.info,
            "from": self.bot_user if message.from_bot else (chat.user or chat.info),
        }
        if message.kind == "text":
            result["text"] = message.plain_text or ""
            if message.entities:
                result["entities"] = message.entities
        else:
            result[message.kind] = message.media
            if message.plain_text is not None:
                result["caption"] = message.plain_text
            if message.entities:
                result["caption_entities"] = message.entities
        # Only inline keyboards are part of a Message; reply keyboards belong to the client.
        if message.inline_markup is not None:
            result["reply_markup"] = message.inline_markup
        if message.edit_date is not None:
            result["edit_date"] = message.edit_date
        if message.media_group_id is not None:
            result["media_group_id"] = message.media_group_id
        if message.forward_origin is not None:
            result["forward_origin"] = message.forward_origin
        return result

    def _deliver(
        self,
        chat_id: int,
        kind: str,
        params: JsonDict,
        *,
        media: Any = None,
        media_group_id: str | None = None,
    ) -> ChatMessage:
        """Validate and store one bot message of `kind` built from send-style `params`."""
        if kind == "text":
            plain, entities = render(
                params.get("text"),
                params.get("parse_mode"),
                params.get("entities"),
                limit=TEXT_LIMIT,
                what="message",
            )
            text = params.get("text")
        else:
            plain, entities = render(
                params.get("caption"),
                params.get("parse_mode"),
                params.get("caption_entities"),
                limit=CAPTION_LIMIT,
                what="caption",
                allow_empty=True,
            )
            text = params.get("caption") if plain is not None else None
        markup = params.get("reply_markup")
        check_reply_markup(markup)
        chat = self.world.chat(chat_id)
        message = ChatMessage(
            message_id=chat.take_message_id(),
            chat_id=chat_id,
            date=_now(),
            kind=kind,
            text=text if text is None else str(text),
            parse_mode=params.get("parse_mode"),
            plain_text=plain,
            entities=entities,
            reply_markup=markup,
            media=media,
            media_group_id=media_group_id,
        )
        chat.messages[message.message_id] = message
        return message

    def _send_handler(self, kind: str) -> Handler:
        def send(params: JsonDict) -> JsonDict:
            media = None if kind == "text" else self._media(kind, params.get(kind))
            message = self._deliver(params["chat_id"], kind, params, media=media)
            return self.message_dict(message)

        return send

    def _media(self, kind: str, value: Any) -> Any:
        """The Telegram media object for an uploaded file, a known file_id or a URL."""
        if kind not in MEDIA_KINDS:
            raise bad_request(f"unsupported media type {kind!r}")
        folder, extra = MEDIA_KINDS[kind]
        if isinstance(value, UploadedFile):
            mime = value.content_type
            if not mime or mime == "application/octet-stream":
                mime = mimetypes.guess_type(value.filename)[0] or mime
            stored = self.world.store_file(
                value.content, folder=folder, file_name=value.filename, mime_type=mime
            )
        elif isinstance(value, str) and value:
            known = self.world.files.get(value)
            if known is not None:
                stored = known
            elif value.startswith(("http://", "https://")) or not self.strict:
                name = value.rsplit("/", 1)[-1] or None
                stored = self.world.store_file(None, folder=folder, file_name=name)
            else:
                raise bad_request("wrong file identifier/HTTP URL specified")
        else:
            raise bad_request(f"there is no {kind} in the request")
        return media_object(kind, stored, extra)

    def send_media_group(self, params: JsonDict) -> list[JsonDict]:
        media = params.get("media")
        if not isinstance(media, list) or not 2 <= len(media) <= 10:
            raise bad_request("wrong number of messages to send; must be in range 2-10")
        chat_id: int = params["chat_id"]
        group_id = f"G{chat_id}x{self.world.chat(chat_id).next_message_id}"
        # Validate every item before storing any, so a bad item leaves the chat untouched.
        prepared = []
        for item in media:
            if not isinstance(item, dict):
                raise bad_request("can't parse InputMedia JSON object")
            kind = str(item.get("type"))
            prepared.append((kind, item, self._media(kind, item.get("media"))))
        return [
            self.message_dict(
                self._deliver(chat_id, kind, item, media=obj, media_group_id=group_id)
            )
            for kind, item, obj in prepared
        ]

    def _source(self, params: JsonDict, message_id: Any, action: str) -> ChatMessage | None:
        from_chat_id = params.get("from_chat_id")
        source = self.world.find_message(from_chat_id, message_id)
        if source is not None:
            return source
        if self.strict:
            raise bad_request(f"message to {action} not found")
        return None

    def _copy(self, params: JsonDict, message_id: Any, *, forward: bool) -> ChatMessage:
        """Store a copy (or a forward) of a source message in `chat_id`."""
        chat_id: int = params["chat_id"]
        source = self._source(params, message_id, "forward" if forward else "copy")
        if source is None:
            # Lenient mode (benchmark): the source lives in a chat the fake never saw.
            source = ChatMessage(
                message_id=message_id if isinstance(message_id, int) else 0,
                chat_id=params.get("from_chat_id") or 0,
                date=_now(),
                text=f"[message {message_id} of chat {params.get('from_chat_id')}]",
            )
            source.plain_text = source.text
        chat = self.world.chat(chat_id)
        copy = replace(
            source,
            message_id=chat.take_message_id(),
            chat_id=chat_id,
            date=_now(),
            from_bot=True,
            deleted=False,
            edit_date=None,
            media_group_id=None,
            reply_markup=None,
        )
        if forward:
            origin_chat = self.world.chat(source.chat_id)
            sender = self.bot_user if source.from_bot else (origin_chat.user or origin_chat.info)
            copy.forward_origin = {"type": "user", "date": source.date, "sender_user": sender}
        else:
            copy.forward_origin = None
            markup = params.get("reply_markup")
            check_reply_markup(markup)
            copy.reply_markup = markup
            if copy.kind != "text" and (
                "caption" in params or params.get("remove_caption") is True
            ):
                caption = None if params.get("remove_caption") is True else params["caption"]
                copy.plain_text, copy.entities = render(
                    caption,
                    params.get("parse_mode"),
                    params.get("caption_entities"),
                    limit=CAPTION_LIMIT,
                    what="caption",
                    allow_empty=True,
                )
                copy.text = caption if copy.plain_text is not None else None
                copy.parse_mode = params.get("parse_mode")
        chat.messages[copy.message_id] = copy
        return copy

    def copy_message(self, params: JsonDict) -> JsonDict:
        copy = self._copy(params, params.get("message_id"), forward=False)
        return {"message_id": copy.message_id}

    def copy_messages(self, params: JsonDict) -> list[JsonDict]:
        return self._copy_many(params, forward=False)

    def forward_message(self, params: JsonDict) -> JsonDict:
        copy = self._copy(params, params.get("message_id"), forward=True)
        return self.message_dict(copy)

    def forward_messages(self, params: JsonDict) -> list[JsonDict]:
        return self._copy_many(params, forward=True)

    def _copy_many(self, params: JsonDict, *, forward: bool) -> list[JsonDict]:
        ids = params.get("message_ids")
        if not isinstance(ids, list) or not ids:
            raise bad_request("message identifiers are not specified")
        from_chat_id = params.get("from_chat_id")
        results = []
        for message_id in ids:
            # Telegram silently skips messages it cannot find in batch copies.
            if self.strict and self.world.find_message(from_chat_id, message_id) is None:
                continue
            copy = self._copy(params, message_id, forward=forward)
            results.append({"message_id": copy.message_id})
        if not results:
            raise bad_request(
                "there are no messages to forward" if forward else "there are no messages to copy"
            )
        return results

    # -- edits and deletes -----------------------------------------------------------------

    def _edit(self, params: JsonDict, field: str) -> Any:
        """editMessageText / editMessageCaption / editMessageReplyMarkup; `field` says which."""
        if params.get("inline_message_id") is not None:
            return True  # inline messages are not tracked; Telegram answers `true` for them
        message = self.world.find_message(params.get("chat_id"), params.get("message_id"))
        if message is None:
            raise bad_request("message to edit not found")
        if not message.from_bot:
            raise bad_request("message can't be edited")
        markup = params.get("reply_markup")
        check_reply_markup(markup)
        plain, entities = message.plain_text, message.entities
        text, parse_mode = message.text, message.parse_mode
        if field == "text":
            if message.kind != "text":
                raise bad_request("there is no text in the message to edit")
            plain, entities = render(
                params.get("text"),
                params.get("parse_mode"),
                params.get("entities"),
                limit=TEXT_LIMIT,
                what="message",
            )
            text, parse_mode = params.get("text"), params.get("parse_mode")
        elif field == "caption":
            if message.kind == "text":
                raise bad_request("there is no caption in the message to edit")
            plain, entities = render(
                params.get("caption"),
                params.get("parse_mode"),
                params.get("caption_entities"),
                limit=CAPTION_LIMIT,
                what="caption",
                allow_empty=True,
            )
            text = params.get("caption") if plain is not None else None
            parse_mode = params.get("parse_mode")
        # An edit without reply_markup removes the inline keyboard, as in Telegram.
        new_inline = markup if markup is not None and "inline_keyboard" in markup else None
        if (plain, entities, new_inline) == (
            message.plain_text,
            message.entities,
            message.inline_markup,
        ):
            raise bad_request(NOT_MODIFIED)
        message.plain_text, message.entities = plain, entities
        message.text = text if text is None else str(text)
        message.parse_mode = parse_mode
        if markup is not None or message.inline_markup is not None:
            message.reply_markup = markup
        message.edit_date = _now()
        return self.message_dict(message)

    def edit_message_text(self, params: JsonDict) -> Any:
        return self._edit(params, "text")

    def edit_message_caption(self, params: JsonDict) -> Any:
        return self._edit(params, "caption")

    def edit_message_reply_markup(self, params: JsonDict) -> Any:
        return self._edit(params, "markup")

    def delete_message(self, params: JsonDict) -> bool:
        message = self.world.find_message(params.get("chat_id"), params.get("message_id"))
        if message is None:
            raise bad_request("message to delete not found")
        message.deleted = True
        return True

    def delete_messages(self, params: JsonDict) -> bool:
        ids = params.get("message_ids")
        if not isinstance(ids, list) or not ids:
            raise bad_request("message identifiers are not specified")
        for message_id in ids:
            message = self.world.find_message(params.get("chat_id"), message_id)
            if message is not None:
                message.deleted = True
        return True

    # -- everything else -------------------------------------------------------------------

    def answer_callback_query(self, params: JsonDict) -> bool:
        query_id = str(params.get("callback_query_id"))
        # A query can be answered once; a second answer is an error in Telegram too.
        if query_id in self.open_callback_ids:
            self.open_callback_ids.discard(query_id)
        elif self.any_callback_query and query_id not in self._answered_unknown:
            self._answered_unknown.add(query_id)
        else:
            raise bad_request(_INVALID_QUERY)
        self.callback_answers.append(params)
        return True

    def get_file(self, params: JsonDict) -> JsonDict:
        stored = self.world.files.get(str(params.get("file_id")))
        if stored is None:
            raise bad_request("invalid file_id")
        if stored.file_size > 20 * 1024 * 1024:
            raise bad_request("file is too big")
        return stored.file_dict()

    def get_chat(self, params: JsonDict) -> JsonDict:
        chat_id = params.get("chat_id")
        # A user who blocked the bot is still a known chat; only "chat not found" hides it.
        if (
            not isinstance(chat_id, int)
            or self.world.statuses.get(chat_id) is ChatStatus.NOT_FOUND
        ):
            raise bad_request("chat not found")
        info = self.world.chat(chat_id).info
        return {
            **info,
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": True,
                "limited_gifts": True,
                "unique_gifts": True,
                "premium_subscription": True,
                "gifts_from_channels": True,
            },
        }

    def get_chat_member(self, params: JsonDict) -> JsonDict:
        user_id = params.get("user_id")
        if not isinstance(user_id, int):
            raise bad_request("invalid user_id specified")
        chat = self.world.chats.get(user_id)
        user = (
            chat.user
            if chat is not None and chat.user is not None
            else {
                "id": user_id,
                "is_bot": False,
                "first_name": f"User{user_id}",
            }
        )
        return {"status": "member", "user": user}

    def set_webhook(self, params: JsonDict) -> bool:
        url = params.get("url")
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise bad_request("bad webhook: an HTTPS URL must be provided for webhook")
        if params.get("drop_pending_updates") is True:
            self.queue.drop_pending()
        self.webhook.set(url, str(params.get("secret_token") or ""))
        return True

    def delete_webhook(self, params: JsonDict) -> bool:
        if params.get("drop_pending_updates") is True:
            self.queue.drop_pending()
        self.webhook.delete()
        return True

    def get_webhook_info(self, params: JsonDict) -> JsonDict:
        return {
            "url": self.webhook.url,
            "has_custom_certificate": False,
            "pending_update_count": self.queue.pending_count,
        }

    @staticmethod
    def _commands_key(params: JsonDict) -> str:
        scope = params.get("scope") or {"type": "default"}
        return f"{scope}|{params.get('language_code') or ''}"

    def set_my_commands(self, params: JsonDict) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list):
            raise bad_request("can't parse commands JSON object")
        self.commands[self._commands_key(params)] = commands
        return True

    def delete_my_commands(self, params: JsonDict) -> bool:
        self.commands.pop(self._commands_key(params), None)
        return True

    def get_my_commands(self, params: JsonDict) -> Any:
        return self.commands.get(self._commands_key(params), [])


def media_object(kind: str, stored: StoredFile, extra: JsonDict | None = None) -> Any:
    """The Telegram object of `kind` for a stored file (a one-size list for photos)."""
    if extra is None:
        extra = MEDIA_KINDS[kind][1]
    obj: JsonDict = {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        **extra,
    }
    if stored.content is not None:
        obj["file_size"] = stored.file_size
    if kind in _NAMED_KINDS and stored.file_name is not None:
        obj["file_name"] = stored.file_name
    if kind != "photo" and kind != "sticker" and stored.mime_type is not None:
        obj["mime_type"] = stored.mime_type
    return [obj] if kind == "photo" else obj
