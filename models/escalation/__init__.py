"""Deadlines that escalate: reminders before a case's deadlines, then the community party
committee (level 2) and the street office (level 3), and what the escalated level does."""
