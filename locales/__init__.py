"""Gettext catalogs: ``<locale>/LC_MESSAGES/messages.po``, extracted with pybabel from babel.cfg."""
