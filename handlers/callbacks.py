"""Callback data factories for every button; aiogram validates them on the way in."""

from __future__ import annotations

from enum import StrEnum

from aiogram.filters.callback_data import CallbackData


class Flow(StrEnum):
    """Where a shared screen returns to: the first registration or the profile."""

    ONBOARDING = "o"
    PROFILE = "p"


class ConsentAnswer(StrEnum):
    YES = "y"
    NO = "n"


class ConsentCB(CallbackData, prefix="consent"):
    answer: ConsentAnswer
    # Organisation code from the deep link `org_<code>`, carried through the consent step.
    org: str = ""


class OrgAction(StrEnum):
    TERRITORIES = "t"
    OPEN = "o"
    PICK = "p"
    SKIP = "s"


class OrgCB(CallbackData, prefix="org"):
    action: OrgAction
    flow: Flow
    org_id: int = 0
    page: int = 0


class TopicAction(StrEnum):
    TOGGLE = "t"
    DONE = "d"


class TopicCB(CallbackData, prefix="topic"):
    action: TopicAction
    flow: Flow
    topic_id: int = 0


class ProfileAction(StrEnum):
    ORG = "o"
    TOPICS = "t"


class ProfileCB(CallbackData, prefix="profile"):
    action: ProfileAction


class ForgetCB(CallbackData, prefix="forget"):
    confirm: bool
