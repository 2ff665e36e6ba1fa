"""The programme's plan of events: due periods, import, responsible people, reports, reminders."""
