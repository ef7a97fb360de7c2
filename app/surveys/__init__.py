"""The survey engine: questionnaire files (YAML with line numbers, checks, the condition
language), immutable versions, rounds, responses and their typed answers, the form rules
every section of a questionnaire is built, checked and rendered with (one section state
for the respondent pages, the staff preview and the history import), answers drawn within
a questionnaire's rules, the import of earlier answers, and reading a response back.
"""
