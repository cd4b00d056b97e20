"""The directory: streets, enterprises, communities, people and their roles.

Also the invites that bind a Telegram account to an entry, where residents live, and the
directory file an office imports and exports.
"""
