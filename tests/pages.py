"""Reading a rendered page the way a person does: its visible text."""

from html.parser import HTMLParser

INVISIBLE_ELEMENTS = {"script", "style", "template", "head"}


class _VisibleText(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in INVISIBLE_ELEMENTS:
            self.hidden += 1

    def handle_endtag(self, tag):
        if tag in INVISIBLE_ELEMENTS and self.hidden:
            self.hidden -= 1

    def handle_data(self, data):
        if not self.hidden:
            self.parts.append(data)


def visible_text(html: str) -> str:
    """The text of a page without its tags, attributes, scripts, styles and head."""
    parser = _VisibleText()
    parser.feed(html)
    parser.close()
    return " ".join(" ".join(parser.parts).split())
