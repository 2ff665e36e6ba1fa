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


class MaterialAdd(StatesGroup):
    """An admin adding a material; what was sent and typed waits in the FSM data."""

    content = State()
    title = State()
    category = State()
    audience = State()


class MaterialBrowse(StatesGroup):
    """The library is on screen: typed words search it."""

    typing = State()
    new_title = State()  # an admin renaming a material (its id in the FSM data)


class Asking(StatesGroup):
    """A member's question to the committee; the draft itself is a row in `questions`."""

    writing = State()
    clarifying = State()
    rating_comment = State()
    faq_search = State()


class Consulting(StatesGroup):
    """An answerer's step on a question: the answer, a closing reason, a FAQ entry, its edit."""

    answering = State()
    close_reason = State()
    faq_question = State()
    faq_answer = State()
    faq_edit = State()  # a FAQ entry's new question or answer (entry and field in the data)


class PlanReporting(StatesGroup):
    """A responsible person writing the report of execution (item and period in FSM data)."""

    text = State()


class PlanLinking(StatesGroup):
    """A regional admin typing a name to link a name of the plan to (name key in FSM data)."""

    query = State()


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
    territory = State()  # a territorial admin of several territories: which one
    capacity = State()
    plan_item = State()  # regional admins, once there is a plan: the item it carries out
    confirm = State()


class EventFeedback(StatesGroup):
    """A participant has rated an event: typed text is the optional comment."""

    comment = State()
