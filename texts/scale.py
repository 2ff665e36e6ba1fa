"""Operator-facing lines of running several replicas (the log, in Russian and English)."""

from typing import Final

SECOND_REPLICA_REFUSED: Final = (
    "Бот уже запущен на этой базе данных другим процессом ({holder}), а REDIS_URL не задан: "
    "без Redis состояние диалогов и защита от флуда живут в памяти одного процесса, и вторая "
    "копия выдавала бы людям устаревшие шаги. Остановите первую копию или задайте REDIS_URL "
    "для всех копий. / The bot already runs on this database in another process ({holder}) "
    "and REDIS_URL is not set: without Redis a second replica would serve stale conversation "
    "state. Stop the other process, or set REDIS_URL for every replica. Refusing to start."
)
