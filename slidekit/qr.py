"""``::qr [size=320]``: a QR code of the audience link, drawn by the demo server.

The audience URL is only known when the server runs (its host, or its LAN
address with ``--host 0.0.0.0``), so the slide holds an image of the
server's ``join/qr.svg`` that the live plugin (static/live/deck-live.js)
resolves against the server base like widgets, with the URL under it. Opened
from a file or printed, the slide shows a clear placeholder instead.
"""

from .directives import directive
from .errors import SlideError

#: Path of the QR image and of the URL text on the demo server, relative to its base.
QR_PATH = "join/qr.svg"
URL_PATH = "join.json"
#: Default side of the code in logical pixels.
QR_SIZE = 320


@directive("qr")
def qr(d, ctx):
    """The audience link as a QR code, or its offline placeholder."""
    d.only("size")
    if d.args:
        raise SlideError(f"::qr takes no words, only size=PIXELS, not '{d.args[0]}'")
    size = d.options.get("size", str(QR_SIZE))
    if not size.isdigit() or not 80 <= int(size) <= 1000:
        raise SlideError(f"::qr size must be a number of pixels between 80 and 1000, not '{size}'")
    box = (f"width:{size}px;height:{size}px;box-sizing:border-box;display:flex;flex-direction:column;"
           "align-items:center;justify-content:center;gap:.4em;padding:.8em;text-align:center;font-size:22px;"
           "color:var(--muted);border:3px dashed var(--muted);border-radius:8px;background:var(--code-bg)")
    return (f'<figure class="qr" data-qr="{QR_PATH}" data-qr-url="{URL_PATH}" '
            f'style="margin:0 auto;text-align:center;width:{size}px">'
            f'<img class="qr-img" alt="QR code of the audience link" width="{size}" height="{size}" hidden '
            'style="background:#fff;border-radius:8px">'
            f'<div class="qr-offline" role="note" style="{box}"><strong style="color:var(--fg)">Scan to follow along</strong>'
            '<span>The QR code of the audience link appears here when the demo server serves the deck '
            '(<code>make demo</code>, then <code>/deck/</code>).</span></div>'
            '<figcaption class="qr-url" style="font-family:var(--font-mono);font-size:.7em;margin-top:.3em"></figcaption>'
            '</figure>\n')
