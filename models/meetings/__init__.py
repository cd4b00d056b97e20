"""The monthly Red Property Affairs Hall (红色物业议事厅): meetings, their automatic agenda,
attendance, decisions and the action items that follow them up."""
