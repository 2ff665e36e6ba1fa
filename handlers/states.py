"""All conversation states in one place."""

from aiogram.fsm.state import State, StatesGroup


class OrgSearch(StatesGroup):
    """The organisation picker is on screen: typed text is a search by name."""

    typing = State()


class BroadcastCompose(StatesGroup):
    """An admin composing a broadcast; the draft itself is a row in `broadcasts`."""

    message = State()
    schedule_time = State()


class Answering(StatesGroup):
    """An officer on a questionnaire question; typed text is the answer."""

    question = State()


class EventCreate(StatesGroup):
    """An admin creating an event: each typed step has its own state; answers in the data."""

    title = State()
    description = State()
    kind = State()
    starts = State()
    ends = State()
    place = State()
    audience = State()
    topic = State()
    capacity = State()
    confirm = State()


class EventFeedback(StatesGroup):
    """A participant has rated an event: typed text is the optional comment."""

    comment = State()
