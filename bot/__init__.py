"""Application assembly for the Red Property bot: config, app factory, CLI, i18n, jobs."""
