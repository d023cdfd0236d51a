"""What the JSON API and the web pages share: request dependencies, error answers, limits."""
