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
    # The /start deep-link payload (`org_<code>`, `inv_<token>`), carried through consent.
    link: str = ""


class OrgAction(StrEnum):
    TERRITORIES = "t"
    OPEN = "o"
    PICK = "p"
    SKIP = "s"
    MORE = "m"  # the next page of the typed search (the query is in the FSM data)


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


class BcStep(StrEnum):
    """Steps of composing a broadcast; every button names its draft."""

    KIND = "k"
    TOPIC = "t"
    TOPICS_DONE = "n"
    AUDIENCE = "a"
    TERRITORIES = "l"
    PRIMARIES = "p"
    ORG = "o"
    SEND = "s"
    SCHEDULE = "c"
    CHANGE = "e"
    REPLACE = "r"
    CANCEL = "x"


class BcCB(CallbackData, prefix="bc"):
    step: BcStep
    draft: int
    value: str = ""
    org_id: int = 0
    page: int = 0


class BcControl(StrEnum):
    """What an admin does with a confirmed broadcast."""

    OPEN = "o"
    PAUSE = "p"
    RESUME = "r"
    CANCEL = "c"
    RECALL = "a"
    RECALL_YES = "y"
    RECALL_NO = "n"


class BcControlCB(CallbackData, prefix="bcc"):
    action: BcControl
    broadcast: int


class QAction(StrEnum):
    """What an officer does on a questionnaire screen."""

    ORG = "g"
    CHOOSE = "c"
    TOGGLE = "t"
    DONE = "d"
    NEXT = "x"
    SAME = "s"
    SKIP = "k"
    BACK = "b"
    EDIT = "e"
    SUBMIT = "u"
    EXIT = "q"


class QCB(CallbackData, prefix="q"):
    """Indexes, not ids, keep it within Telegram's 64 bytes; the campaign freezes the version."""

    action: QAction
    sub: int  # the submission (for ORG: the organisation)
    qi: int = -1  # the question's index in the questionnaire
    ci: int = -1  # the choice's index (yes/no: 1/0)

    @classmethod
    def packed(cls, action: QAction, sub: int, qi: int = -1, ci: int = -1) -> str:
        """`QCB(...).pack()` without building the model: a questionnaire screen has up to a
        dozen buttons, and each officer's update draws one."""
        return f"{cls.__prefix__}:{action.value}:{sub}:{qi}:{ci}"


class MonAction(StrEnum):
    """An admin's buttons on the monitoring table."""

    TABLE = "t"
    TERRITORY = "d"
    REMIND = "r"
    EXTEND = "x"
    CLOSE = "c"
    OPEN = "o"


class MonCB(CallbackData, prefix="mon"):
    action: MonAction
    campaign: int = 0
    org_id: int = 0


class ReportCB(CallbackData, prefix="rep"):
    """A report button: `kind` is a ReportKind value, or "menu" for the quarter arrows and
    the territory choice; `campaign` 0 is the latest; `org` the territory of an admin of
    several (0: the first)."""

    kind: str
    campaign: int = 0
    org: int = 0


class AuditAction(StrEnum):
    """The /audit screens: a page of the journal, the kind filter, the person filter."""

    PAGE = "p"
    KINDS = "k"
    PEOPLE = "w"


class AuditCB(CallbackData, prefix="aud"):
    """Every button carries the filters: `kind` an AuditKind value or "", `person` a person's
    id or 0 (everyone)."""

    action: AuditAction
    page: int = 0
    kind: str = ""
    person: int = 0


class MatAction(StrEnum):
    """The library's buttons: reading (members) and managing (admins), and /material_add."""

    MENU = "m"
    CATEGORY = "c"  # id: the category, page
    FOUND = "f"  # page of the typed search (the query is in the FSM data)
    OPEN = "o"  # id: the material
    CARD = "r"  # an admin's card of the material, without sending it again
    TITLE = "t"
    CATEGORIES = "g"  # choose a new category
    SET_CATEGORY = "s"  # id: the material, value: the category
    HIDE = "h"
    SHOW = "w"
    DELETE = "d"
    DELETE_YES = "y"
    ANNOUNCE = "a"
    ADD_CATEGORY = "k"  # value: the category
    ADD_AUDIENCE = "u"  # value: a MaterialAudience
    ADD_CANCEL = "x"


class MatCB(CallbackData, prefix="mat"):
    action: MatAction
    id: int = 0
    page: int = 0
    value: str = ""


class PlanAction(StrEnum):
    """The plan of events: the list (with filters), an item, its reports, marking it done,
    linking a name of the plan to a person."""

    LIST = "l"
    STATES = "s"
    PEOPLE = "w"
    ITEM = "i"
    REPORTS = "r"
    CANCEL_ITEM = "x"
    MARK = "m"
    NAMES = "n"
    NAME = "a"
    LINK = "k"
    ABORT = "q"
    EXPORT = "e"


class PlanCB(CallbackData, prefix="plan"):
    """`state` a PlanState value or "", `person` a person id or 0, `period` "YYYY-MM" or
    "open", `name` the index of an unlinked name in the list shown."""

    action: PlanAction
    year: int = 0
    item_id: int = 0
    period: str = ""
    state: str = ""
    person: int = 0
    name: int = 0


class EvAction(StrEnum):
    """Buttons of seminars and trainings."""

    JOIN = "j"
    LEAVE = "l"
    OPEN = "o"  # a member's view of one event
    CARD = "c"  # the organiser's card
    ATTENDANCE = "a"
    MARK = "m"  # value: the person's id
    XLSX = "x"
    RATE = "r"  # value: 1–5
    SKIP = "s"
    CANCEL_ASK = "k"  # the organiser: «Отменить мероприятие», then the confirmation
    CANCEL_DO = "K"


class EvCB(CallbackData, prefix="ev"):
    action: EvAction
    event: int
    value: int = 0


class EvNewStep(StrEnum):
    """The creation wizard's buttons; the draft itself is in the FSM data."""

    KIND = "k"
    AUDIENCE = "a"
    TOPIC = "t"
    NO_LIMIT = "n"
    PLAN = "p"  # value: a plan item's id, "0": none
    TERRITORY = "r"  # value: a territorial organisation's id, one of the admin's
    ANNOUNCE = "s"
    BACK = "b"
    CANCEL = "x"


class EvNewCB(CallbackData, prefix="evn"):
    step: EvNewStep
    value: str = ""


class AisAction(StrEnum):
    GRANT = "g"
    REVOKE = "r"
    CANCEL = "c"


class AisCB(CallbackData, prefix="ais"):
    """/ais: the confirmation of granting or withdrawing the AIS role of one person."""

    action: AisAction
    person: int
