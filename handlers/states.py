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


class PlanReporting(StatesGroup):
    """A responsible person writing the report of execution (item and period in FSM data)."""

    text = State()


class PlanLinking(StatesGroup):
    """A regional admin typing a name to link a name of the plan to (name key in FSM data)."""

    query = State()
