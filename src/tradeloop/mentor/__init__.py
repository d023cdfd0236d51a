"""The mentor: trading sessions, the daily report engine, chat with tools."""
