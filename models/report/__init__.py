"""The street's work report for a year or a quarter: the numbers a street office publishes
(suggestions, problems solved, cases by category and duty, satisfaction and willingness to pay
overall and after fund-paid repairs, shared property, the fund, instructors' visits)."""
