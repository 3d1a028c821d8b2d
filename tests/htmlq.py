"""A small HTML reader for tests (standard library only): find elements, read form values and text."""
from __future__ import annotations

from html.parser import HTMLParser

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track", "wbr"}


class Node:
    def __init__(self, tag: str, attrs: dict[str, str | None], parent: Node | None):
        self.tag, self.attrs, self.parent = tag, attrs, parent
        self.children: list[Node | str] = []

    def text(self) -> str:
        parts = [c if isinstance(c, str) else c.text() for c in self.children]
        return " ".join(" ".join(parts).split())

    def iter(self):
        for child in self.children:
            if isinstance(child, Node):
                yield child
                yield from child.iter()

    def find_all(self, tag: str | None = None, **attrs) -> list[Node]:
        """Attributes by name (`class_` for class); a value of True means "present"."""
        wanted = {k.rstrip("_").replace("_", "-") if k != "class_" else "class": v for k, v in attrs.items()}
        found = []
        for node in self.iter():
            if tag and node.tag != tag:
                continue
            if all((name in node.attrs) if value is True else node.attrs.get(name) == value
                   for name, value in wanted.items()):
                found.append(node)
        return found

    def find(self, tag: str | None = None, **attrs) -> Node | None:
        found = self.find_all(tag, **attrs)
        return found[0] if found else None

    def by_id(self, element_id: str) -> Node | None:
        return self.find(id=element_id)

    def __repr__(self) -> str:
        return f"<{self.tag} {self.attrs}>"


class _Builder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {}, None)
        self.current = self.root

    def handle_starttag(self, tag, attrs):
        node = Node(tag, dict(attrs), self.current)
        self.current.children.append(node)
        if tag not in VOID:
            self.current = node

    def handle_startendtag(self, tag, attrs):
        self.current.children.append(Node(tag, dict(attrs), self.current))

    def handle_endtag(self, tag):
        node = self.current
        while node is not None and node.tag != tag:
            node = node.parent
        if node is not None and node.parent is not None:
            self.current = node.parent

    def handle_data(self, data):
        self.current.children.append(data)


def parse(html: str | bytes) -> Node:
    builder = _Builder()
    builder.feed(html.decode() if isinstance(html, bytes) else html)
    builder.close()
    return builder.root


def page(response) -> Node:
    return parse(response.get_data(as_text=True))


def value(doc: Node, name: str) -> str | None:
    """What a form field named `name` shows: an input's value, a textarea's text, a select's chosen option."""
    for node in doc.iter():
        if node.tag not in ("input", "textarea", "select") or node.attrs.get("name") != name:
            continue
        if node.tag == "textarea":
            text = "".join(c for c in node.children if isinstance(c, str))
            return text[2:] if text.startswith("\r\n") else text[1:] if text.startswith("\n") else text
        if node.tag == "select":
            chosen = node.find("option", selected=True)
            return chosen.attrs.get("value") if chosen else None
        if node.attrs.get("type") in ("checkbox", "radio"):
            if "checked" in node.attrs:
                return node.attrs.get("value", "on")
            continue
        return node.attrs.get("value", "")
    return None


def checked(doc: Node, name: str) -> list[str]:
    return [n.attrs.get("value", "on") for n in doc.find_all("input", name=name) if "checked" in n.attrs]


def error_for(doc: Node, field_id: str) -> str | None:
    """The message shown next to a field, or None. The field (or, for a group of checkboxes, its
    fieldset) must point at the message with aria-describedby, so a screen reader reads it too."""
    error = doc.by_id(f"{field_id}-error")
    if error is None:
        return None
    pointing = [n for n in doc.iter() if f"{field_id}-error" in (n.attrs.get("aria-describedby") or "").split()]
    assert pointing, f"nothing points at #{field_id}-error"
    return error.text()


def flashes(doc: Node) -> list[str]:
    return [n.text() for n in doc.iter() if "alert" in (n.attrs.get("class") or "").split()]


def form_data(form: Node) -> dict[str, str | list[str]]:
    """What a browser would send for this form as it stands (no button pressed)."""
    data: dict[str, list[str]] = {}
    for node in form.iter():
        name = node.attrs.get("name")
        if not name or node.tag not in ("input", "textarea", "select"):
            continue
        kind = node.attrs.get("type", "text")
        if node.tag == "input" and kind in ("submit", "button", "file", "image", "reset"):
            continue
        if node.tag == "input" and kind in ("checkbox", "radio") and "checked" not in node.attrs:
            continue
        if node.tag == "select":
            options = node.find_all("option")
            chosen = [o for o in options if "selected" in o.attrs] or options[:1]
            values = [o.attrs.get("value", o.text()) for o in chosen]
        elif node.tag == "textarea":
            values = [value(node.parent, name) or ""]
        else:
            values = [node.attrs.get("value", "on" if kind in ("checkbox", "radio") else "")]
        data.setdefault(name, []).extend(values)
    return {k: v[0] if len(v) == 1 else v for k, v in data.items()}
