"""The property management fund: applications for rewards, subsidies, party-building funding and
repair grants, decided by the street property office within each fund type's yearly budget.

Money is integers of fen throughout (``money.py``); every step is a line in the application's
history (``tables.FundEvent``) and the applicant is told through the outbox.
"""
