"""Satisfaction surveys: scheduling after a resolution, the answers, and the numbers they feed."""
