"""Checks Telegram applies to message content: formatting, lengths, inline keyboards.

The HTML renderer turns `parse_mode="HTML"` text into plain text plus entities (offsets in
UTF-16 code units, as Telegram counts them) and rejects the mistakes Telegram rejects:
unsupported or unbalanced tags and a stray `<` — typically unescaped user input in a template.
It is a small tokenizer, not a full HTML parser, which is enough to catch those bugs while
keeping the broadcast hot path cheap (text without `<` or `&` skips it entirely).
"""

from __future__ import annotations

import html
import re
from typing import Any

from .state import ApiError, JsonDict, bad_request

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
CALLBACK_DATA_LIMIT = 64  # bytes

_SIMPLE_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "code": "code",
    "pre": "pre",
    "a": "text_link",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
    "span": "spoiler",  # only with class="tg-spoiler", checked below
}
_TAG_RE = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)([^<>]*)>")
# name="value", name='value', name=value, or a bare name (<blockquote expandable>).
_ATTR_RE = re.compile(r"""([a-zA-Z-]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?""")
# Characters MarkdownV2 reserves that never start formatting, so an unescaped one is an error.
_MDV2_RESERVED = re.compile(r"(?<!\\)((?:\\\\)*)([#+\-={}.!])")
_MDV2_VERBATIM = re.compile(r"```.*?```|`[^`]*`|\]\([^)]*\)", re.DOTALL)

_INLINE_ACTIONS = frozenset(
    {
        "url",
        "callback_data",
        "web_app",
        "login_url",
        "switch_inline_query",
        "switch_inline_query_current_chat",
        "switch_inline_query_chosen_chat",
        "copy_text",
        "callback_game",
        "pay",
    }
)


def utf16_len(text: str) -> int:
    return len(text) if text.isascii() else len(text.encode("utf-16-le")) // 2


def _parse_error(reason: str) -> ApiError:
    return bad_request(f"can't parse entities: {reason}")


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode())


def _attrs(raw: str) -> dict[str, str]:
    return {m[1].lower(): m[2] or m[3] or m[4] or "" for m in _ATTR_RE.finditer(raw)}


def _entity_for(tag: str, attrs: dict[str, str], offset: int, length: int) -> JsonDict | None:
    kind = _SIMPLE_TAGS[tag]
    entity: JsonDict = {"type": kind, "offset": offset, "length": length}
    if tag == "a":
        url = attrs.get("href")
        if not url:
            return None
        entity["url"] = url
    elif tag == "tg-emoji":
        entity["custom_emoji_id"] = attrs.get("emoji-id", "")
    elif tag == "blockquote" and "expandable" in attrs:
        entity["type"] = "expandable_blockquote"
    return entity


def parse_html(text: str) -> tuple[str, list[JsonDict]]:
    """Render Telegram HTML into (plain text, entities) or raise 400 "can't parse entities"."""
    if "<" not in text and "&" not in text:
        return text, []
    plain: list[str] = []
    position = 0  # UTF-16 offset in the plain text built so far
    # Open tags: (name, attrs, plain-text offset where it starts, index of the tag in `text`).
    stack: list[tuple[str, dict[str, str], int, int]] = []
    # (position of the start tag in `text`, entity): the position orders nested entities.
    found: list[tuple[int, JsonDict]] = []
    cursor = 0
    while True:
        lt = text.find("<", cursor)
        chunk = text[cursor:] if lt < 0 else text[cursor:lt]
        if chunk:
            # A bare ">" or "&" is tolerated by Telegram; only "<" must be escaped.
            rendered = html.unescape(chunk)
            plain.append(rendered)
            position += utf16_len(rendered)
        if lt < 0:
            break
        match = _TAG_RE.match(text, lt)
        if match is None:
            raise _parse_error(f'Unsupported start tag "" at byte offset {_byte_offset(text, lt)}')
        closing, name, raw_attrs = match[1] == "/", match[2].lower(), match[3]
        if closing:
            if not stack:
                raise _parse_error(f"Unexpected end tag at byte offset {_byte_offset(text, lt)}")
            open_name, attrs, start, opened_at = stack.pop()
            if open_name != name:
                raise _parse_error(
                    f"Unmatched end tag at byte offset {_byte_offset(text, lt)}, "
                    f'expected "</{open_name}>", found "</{name}>"'
                )
            if name == "code" and stack and stack[-1][0] == "pre":
                # <pre><code class="language-x"> is one `pre` entity with a language.
                language = attrs.get("class", "")
                if language.startswith("language-"):
                    stack[-1][1]["_language"] = language.removeprefix("language-")
            elif position > start:
                entity = _entity_for(name, attrs, start, position - start)
                if entity is not None:
                    if name == "pre" and "_language" in attrs:
                        entity["language"] = attrs["_language"]
                    found.append((opened_at, entity))
        else:
            attrs = _attrs(raw_attrs)
            if name not in _SIMPLE_TAGS or (name == "span" and attrs.get("class") != "tg-spoiler"):
                raise _parse_error(
                    f'Unsupported start tag "{name}" at byte offset {_byte_offset(text, lt)}'
                )
            stack.append((name, attrs, position, lt))
        cursor = match.end()
    if stack:
        raise _parse_error(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    # Telegram lists entities by offset, an enclosing entity before the enclosed one.
    found.sort(key=lambda item: (item[1]["offset"], -item[1]["length"], item[0]))
    return "".join(plain), [entity for _, entity in found]


def _check_markdown_v2(text: str) -> str:
    # Code spans and link targets have their own escaping rules; only check the prose.
    match = _MDV2_RESERVED.search(_MDV2_VERBATIM.sub("", text))
    if match is not None:
        char = match[2]
        raise _parse_error(
            f"Character '{char}' is reserved and must be escaped with the preceding '\\'"
        )
    # Formatting markers are not rendered; dropping the escapes is enough for assertions.
    return re.sub(r"\\(.)", r"\1", text)


def render(
    text: Any,
    parse_mode: Any,
    entities: Any,
    *,
    limit: int,
    what: str,
    allow_empty: bool = False,
) -> tuple[str | None, list[JsonDict] | None]:
    """Validate `text` the way Telegram does and return (plain text, entities or None).

    `what` is "message" or "caption", as in Telegram's error descriptions.
    """
    if text is None or text == "":
        if allow_empty:
            return None, None
        raise bad_request(f"{what} text is empty")
    if not isinstance(text, str):
        text = str(text)
    mode = parse_mode.lower() if isinstance(parse_mode, str) else None
    if mode == "html":
        plain, parsed = parse_html(text)
    elif mode == "markdownv2":
        plain, parsed = _check_markdown_v2(text), []
    else:
        plain, parsed = text, entities if isinstance(entities, list) else []
    if not plain.strip():
        if allow_empty:
            return None, None
        raise bad_request(f"{what} text is empty")
    if len(plain) > limit:
        raise bad_request(
            "message is too long" if what == "message" else "message caption is too long"
        )
    return plain, parsed or None


def check_reply_markup(markup: Any) -> None:
    """Reject inline keyboards Telegram rejects (bad callback_data, text-only buttons)."""
    if markup is None:
        return
    if not isinstance(markup, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    rows = markup.get("inline_keyboard")
    if rows is None:
        return
    if not isinstance(rows, list):
        raise bad_request('field "inline_keyboard" of the InlineKeyboardMarkup should be an Array')
    for row in rows:
        for button in row:
            if not isinstance(button, dict) or not isinstance(button.get("text"), str):
                raise bad_request("can't parse inline keyboard button: Text not specified")
            if _INLINE_ACTIONS.isdisjoint(button):
                raise bad_request(
                    "can't parse inline keyboard button: "
                    "Text buttons are unallowed in the inline keyboard"
                )
            data = button.get("callback_data")
            if data is not None and not 1 <= len(str(data).encode()) <= CALLBACK_DATA_LIMIT:
                raise bad_request("BUTTON_DATA_INVALID")
            url = button.get("url")
            if url is not None and not str(url).startswith(("http://", "https://", "tg://")):
                raise bad_request("BUTTON_URL_INVALID")
