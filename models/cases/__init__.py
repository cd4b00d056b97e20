"""Cases: opening and routing, the timeline and its status machine, the actions on a case,
reopening, and the views (a resident's list, a case's timeline, a handler's work list)."""
