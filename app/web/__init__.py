"""What the blueprints share: access decorators, lookups that answer 404, the confirm
form, the respondent's browser session, and the settings read from the application's
configuration. Blueprints import from here, never from each other."""
