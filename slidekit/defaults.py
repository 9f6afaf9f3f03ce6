"""Every default of the deck builder in one place."""

#: Themes the runtime's deck.css defines (CSS variables under ``[data-theme=...]``).
THEMES = ("light", "dark", "contrast")

#: Front matter keys of the first slide file, with their defaults.
FRONT_MATTER = {
    "title": "Slides",  #: the page title and the deck.json title
    "author": "",  #: shown in the page metadata
    "theme": "light",  #: light, dark or contrast (high-contrast projector theme)
    "width": 1280,  #: logical slide width in CSS pixels, scaled to the screen
    "height": 720,  #: logical slide height
    "lang": "en",  #: the page language
    "server": "",  #: demo server base URL for live widgets when the deck is opened from file://
    "dialect": "",  #: slidekit, marp or slidev; empty: told from the front matter (slidekit/dialects.py)
}

#: Longest separator pattern (reveal-md's separator, verticalSeparator, notesSeparator) a deck may set.
PATTERN_MAX = 200

#: Live widgets the ``::widget NAME`` directive knows: name -> (path on the demo server, label).
WIDGETS = {
    "dashboard": ("dashboard?embed=1", "the queue dashboard"),
    "blocking": ("demo/blocking?embed=1", "the blocking request demo"),
    "highlight": ("demo/highlight?embed=1", "the highlighting demo"),
    "mail": ("demo/mail?embed=1", "the mail demo"),
    "retries": ("demo/retries?embed=1", "the retries demo"),
    "schedule": ("demo/schedule?embed=1", "the scheduling demo"),
    "workers": ("demo/workers?embed=1", "the workers demo"),
    "submit": ("demo/submit?embed=1", "the job submission panel"),
    "join": ("join?embed=1", "the audience join page"),
    "redis": ("demo/redis?embed=1", "the Redis console"),
}

#: Longest slide title taken from an image's alt text (a slide with no heading), cut at a word.
ALT_TITLE_MAX = 60

#: Fewest slides to render before a build spreads them over the cores (forking costs about 10 ms a worker).
PARALLEL_MIN = 100

#: Default height of a live widget frame, in logical pixels.
WIDGET_HEIGHT = 520

#: File name extensions treated as images for slide backgrounds.
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp", ".avif")

#: Where the built site keeps copied images, relative to its root.
MEDIA_DIR = "media"

#: Where the built site keeps the runtime (deck.js, deck.css), relative to its root.
RUNTIME_DIR = "deck"

#: The marker line in index.html that a server replaces with its own script tags.
INJECT_MARKER = "<!-- omq:inject -->"
