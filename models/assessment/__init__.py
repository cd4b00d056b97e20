"""The quarterly star assessment of property enterprises: the scheme, governance records, the
computation, and its life from draft to finalised snapshot, with the three-quarter rule."""
