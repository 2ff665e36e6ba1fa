"""All conversation states in one place."""

from aiogram.fsm.state import State, StatesGroup


class OrgSearch(StatesGroup):
    """The organisation picker is on screen: typed text is a search by name."""

    typing = State()
