"""Instructors' visits: where an instructor "walked in", what they noted and photographed, the
problems found, and the cases opened on the spot; counted per instructor per month."""
