"""Information officers: the quarterly questionnaire."""
