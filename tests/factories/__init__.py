"""Test factories: one id scheme (``ids``), the directory's rows (``directory``), cases and
surveys (``cases``), and the one street the tests are set in (``world``)."""
