"""The adversary of the confidentiality tests: read numbers off surfaces, then try to derive.

Reading. Every surface is turned into `Seen` numbers -- (period, group, measure, value) -- by
parsers that know the shapes OrgWell prints: plotly traces (hover text, text, customdata,
hovertemplate, names, annotations), pages (data attributes, headlines, any sentence with a
count), CSV rows, API entries, the survey campaign page's wave table and alert mails. A text
that carries a count in a shape no parser knows is an `unread` text: the test fails on it, so
that new wording can never hide a number from the adversary.
What can be derived from the numbers read is tests/metrics/derivation.py's part.
"""
from __future__ import annotations

import csv
import html
import io
import json
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from html.parser import HTMLParser

from tests.metrics.hover_templates import hover_texts

MONTHS = "Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec"
DAY = re.compile(rf"\b(\d{{1,2}}) ((?:{MONTHS})[a-z]*) (\d{{4}})\b|\b(\d{{4}}-\d\d-\d\d)\b")
COUNT_WORDS = re.compile(
    r"\d+\)? (?:respondents?|responses?|answered|invited|people|persons?|modules?|overdue"
    r"|staff|members?)\b|\b\d+ of \d+\b", re.IGNORECASE)
COMPLETION_MEASURES = ("released", "completed", "overdue")


@dataclass(frozen=True)
class Seen:
    """One number shown: where, to whom, and what it is the count of."""

    surface: str
    viewer: str
    when: int  # index of the collection (numbers seen before and after a team moved)
    period: tuple  # ("wave", opens on, opens on) or ("week", Monday, counted as of)
    group: str  # "org", "clinic:<id>", "team:<id>"
    measure: str  # "responded", "invited", "n:<scale>", "released", "completed", "overdue"
    value: int


@dataclass(frozen=True)
class Claim:
    """A count in a sentence, checked against the viewer's shown cells of the groups named."""

    surface: str
    viewer: str
    when: int
    text: str
    value: int
    groups: frozenset[str]
    periods: frozenset[tuple]


@dataclass
class View:
    """What the parsers need to know about one response they read."""

    surface: str
    viewer: str
    when: int
    scale: str | None  # the scale a figure's "N responses" counts (the page's scale)
    labels: Mapping[str, str]  # group label -> group key
    names: Mapping[tuple[str, str], str]  # (kind, team name) as the API names them -> key
    periods: Mapping[object, tuple]  # a shown date, ("week", date) or ("wave-id", id) -> period
    seen: list[Seen] = field(default_factory=list)
    claims: list[Claim] = field(default_factory=list)
    unread: list[str] = field(default_factory=list)
    sums: set[int] = field(default_factory=set)  # pooled sums of shown cells (figure 5)

    def add(self, label_or_key: str, day, measure: str, value) -> None:
        if value is None:
            return
        key = label_or_key if label_or_key in self.labels.values() else self.key(label_or_key)
        period = self.period(day)
        if key is None or period is None:
            self.unread.append(f"{self.surface}: no group/period for {label_or_key!r} {day!r}")
            return
        self.seen.append(Seen(self.surface, self.viewer, self.when, period, key, measure,
                              int(value)))

    def key(self, label: str) -> str | None:
        return self.labels.get(" ".join(label.split()))

    def period(self, day) -> tuple | None:
        if isinstance(day, tuple) and day[0] in ("wave", "week") and len(day) == 3:
            return day
        if isinstance(day, tuple):
            return self.periods.get(day)
        found = day if isinstance(day, date) else parse_day(str(day))
        return self.periods.get(found) if found else None


def parse_day(text: str) -> date | None:
    match = DAY.search(text)
    if not match:
        return None
    if match.group(4):
        return date.fromisoformat(match.group(4))
    return datetime.strptime(f"{match.group(1)} {match.group(2)[:3]} {match.group(3)}",
                             "%d %b %Y").date()


def all_days(text: str) -> list[date]:
    return [parse_day(m.group(0)) for m in DAY.finditer(text)]


# --- figures -----------------------------------------------------------------------------------

N = r"(\d+) (?:responses?|respondents?)"
HOVERS = [  # (pattern over a hover text with <br> as "\n", what its groups are)
    ("mean", re.compile(rf"^(?P<label>[^\n]+)\n(?P<day>[^\n:]+): mean [\d.]+"
                        rf"(?:\n95% interval [\d.-]+ to [\d.-]+)?\n{N}$")),
    ("share", re.compile(rf"^(?P<label>[^\n]+)\n(?P<day>[^\n:]+): \d+% scored [^\n]+\n{N}$")),
    ("participation", re.compile(
        r"^(?P<label>[^\n]+)\n(?P<day>[^\n:]+): (\d+) of (\d+) answered(?: \(\d+%\))?$")),
    ("completion", re.compile(
        r"^(?P<label>[^\n]+)\nWeek of (?P<day>[^\n:]+): (\d+) of (\d+) modules completed"
        r"(?: \(\d+%\))?, (\d+) overdue$")),
    ("pooled", re.compile(
        rf"^(?P<label>[^\n]+), pooled \((\d+) \w+\)\nBefore: mean [\d.]+ \({N}\)\nLatest: "
        rf"mean [\d.]+ \({N}\)\nChange [+-]?[\d.]+ points$")),
    ("change", re.compile(
        rf"^(?P<label>[^\n]+)\n(?P<day>[^\n:]+): mean [\d.]+ \({N}\)\n(?P<day2>[^\n:]+): "
        rf"mean [\d.]+ \({N}\)\nChange [+-]?[\d.]+ points$")),
    ("did", re.compile(
        r"^Difference in change: [^\n]+(?:\n\d+% interval [^\n]+)?\nEnrolled: (\d+) then "
        r"(\d+) responses\nNot enrolled: (\d+) then (\d+) responses$")),
    ("hidden", re.compile(r"^(?P<label>[^\n]+)\n(?:(?P<day>[^\n:]+): )?hidden \([^\n]+\)$")),
]


def _strings(value) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)


def _plain(text: str) -> str:
    return html.unescape(text.replace("<br>", "\n"))


def read_figure(figure: Mapping, view: View) -> None:
    """Every count of a plotly figure (its JSON as plotly.js gets it)."""
    changes: dict[bool, list[tuple[int, int]]] = defaultdict(list)
    pooled: list[tuple[int, int]] = []
    for trace in figure.get("data", []):
        # A hover template is read as plotly.js fills it in for each point, not as written.
        hovers = hover_texts(trace)
        named = ("text", "name") if "hovertemplate" in trace else ("text", "customdata", "name")
        texts = [*_strings(hovers), *(t for name in named for t in _strings(trace.get(name)))]
        _hidden_points_have_no_value(trace, view)
        for text in texts:
            kind = _read_hover(_plain(text), view, changes, pooled, trace)
            if kind is None and COUNT_WORDS.search(_plain(text)):
                view.unread.append(f"{view.surface}: {text!r}")
    for note in figure.get("layout", {}).get("annotations", []):
        for text in _strings([note.get("text"), note.get("hovertext")]):
            if COUNT_WORDS.search(_plain(text)):
                view.unread.append(f"{view.surface} (annotation): {text!r}")
    # Figure 5's pooled numbers are sums of the arm's shown cells: check them as such.
    for before, after in pooled:
        arms = [a for a in changes.values() if (sum(b for b, _ in a), sum(c for _, c in a))
                == (before, after)]
        if not arms:
            view.unread.append(f"{view.surface}: pooled {before}/{after} is no sum of shown "
                               f"groups {dict(changes)}")
        view.sums.update((before, after))


def _read_hover(text, view, changes, pooled, trace) -> str | None:
    for kind, pattern in HOVERS:
        match = pattern.match(text)
        if not match:
            continue
        numbers = [int(g) for g in match.groups() if g is not None and g.isdigit()]
        if kind in ("mean", "share"):
            view.add(match["label"], match["day"], f"n:{view.scale}", numbers[-1])
        elif kind == "participation":
            view.add(match["label"], match["day"], "responded", numbers[-2])
            view.add(match["label"], match["day"], "invited", numbers[-1])
        elif kind == "completion":
            completed, released, overdue = numbers[-3:]
            label = match["label"].split(" · ")[0]  # "<group> · <program>" with several programs
            for measure, value in zip(COMPLETION_MEASURES, (released, completed, overdue),
                                      strict=True):
                view.add(label, ("week", parse_day(match["day"])), measure, value)
        elif kind == "change":
            label = re.sub(r" \((?:enrolled|not enrolled)\)$", "", match["label"])
            view.add(label, match["day"], f"n:{view.scale}", numbers[-2])
            view.add(label, match["day2"], f"n:{view.scale}", numbers[-1])
            enrolled = "not enrolled" not in str(trace.get("name", "")).lower()
            changes[enrolled].append((numbers[-2], numbers[-1]))
        elif kind == "pooled":
            pooled.append((numbers[-2], numbers[-1]))
        elif kind == "did":
            pooled.extend([(numbers[0], numbers[1]), (numbers[2], numbers[3])])
        return kind
    return None


def _hidden_points_have_no_value(trace, view: View) -> None:
    """A point whose hover says "hidden" carries no number (markers of hidden cells aside)."""
    name = str(trace.get("name", ""))
    if name.lower().startswith("hidden"):
        return
    hover = hover_texts(trace)
    values = trace.get("z") if trace.get("type") == "heatmap" else trace.get("y")
    if not isinstance(hover, list) or not isinstance(values, list):
        return
    for texts, numbers in zip(hover, values, strict=False):
        pairs = zip(texts, numbers, strict=False) if isinstance(texts, list) else [(texts,
                                                                                 numbers)]
        for text, number in pairs:
            if isinstance(text, str) and HOVERS[-1][1].match(_plain(text)) and number is not None:
                view.unread.append(f"{view.surface}: hidden point has value {number}: {text!r}")


# --- pages -------------------------------------------------------------------------------------

FIGURE_BLOCK = re.compile(
    r'<script type="application/json" id="figure-data-[\w-]+">(.*?)</script>', re.S)
BLOCKS = {"p", "div", "li", "td", "th", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "dd", "dt",
          "section", "figcaption", "caption", "br", "table", "ul", "ol", "span"}


class _Page(HTMLParser):
    """Visible text in lines, and the attributes of every element that has data-* numbers."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = [""]
        self.elements: list[dict] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1
        if tag in BLOCKS:
            self.lines.append("")
        found = dict(attrs)
        if any(k.startswith("data-") for k in found):
            self.elements.append(found)

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._skip -= 1
        if tag in BLOCKS:
            self.lines.append("")

    def handle_data(self, data):
        if not self._skip:
            self.lines[-1] += data


def read_page(text: str, view: View) -> None:
    """Figures embedded in a page, its stat cards' data attributes, and every sentence."""
    for block in FIGURE_BLOCK.findall(text):
        read_figure(json.loads(block), view)
    page = _Page()
    page.feed(text)
    scale = None
    for attrs in page.elements:
        scale = attrs.get("data-scale", scale)
        group, wave = attrs.get("data-group"), attrs.get("data-wave")
        if group is None or wave is None:
            continue
        day = view.periods.get(("wave-id", int(wave)))
        for attr, measure in (("data-n", f"n:{scale}"), ("data-invited", "invited"),
                              ("data-responded", "responded")):
            if attrs.get(attr) not in (None, "None"):
                view.add(group, day, measure, int(attrs[attr]))
    read_sentences([" ".join(line.split()) for line in page.lines], view)


def read_sentences(lines: Iterable[str], view: View) -> None:
    labels = sorted(view.labels, key=len, reverse=True)
    for line in lines:
        for sentence in re.split(r"(?<=[.;])\s+", line):
            # Names go first ("Practice 0 answered" is no count), then dates ("2 Mar 2026").
            rest, groups = sentence, set()
            for label in labels:
                if label and label in rest:
                    groups.add(view.labels[label])
                    rest = rest.replace(label, "(group)")
            periods = frozenset(p for p in (view.period(d) for d in all_days(rest)) if p)
            rest = DAY.sub("(day)", rest)
            for hit in COUNT_WORDS.finditer(rest):
                numbers = [int(n) for n in re.findall(r"\d+", hit.group(0))]
                if re.search(r"\bresults?\b|\bcells?\b", rest[hit.end():hit.end() + 9]):
                    continue  # "8 of 15 results are hidden": cells, not people
                if re.search(r"(?:at least|fewer than|under|below) $", rest[:hit.start()]):
                    continue  # the threshold k, said in words
                for value in numbers:
                    view.claims.append(Claim(view.surface, view.viewer, view.when, sentence,
                                             value, frozenset(groups), periods))


# --- CSV, API, campaign page, mail ------------------------------------------------------------

def read_csv(text: str, view: View, scale_of_table: Mapping[str, str]) -> None:
    for row in csv.DictReader(io.StringIO(text)):
        label = row["group"].lstrip("'")
        if row["table"].startswith("Program completion"):
            for measure in COMPLETION_MEASURES:
                if row[measure]:
                    view.add(label, ("week", date.fromisoformat(row["date"])), measure,
                             int(row[measure]))
            continue
        if row["table"] == "Survey participation":
            measures = {"responded": row["responded"], "invited": row["invited"]}
        else:
            measures = {f"n:{scale_of_table[row['table']]}": row["n"]}
        for measure, value in measures.items():
            if value:
                view.add(label, row["date"], measure, int(value))


def read_api(body: Mapping, view: View, measure: str | None) -> None:
    """Entries of the burnout (measure "n:<scale>") or participation (measure None) API."""
    for entry in body["series"]:
        key = "org" if entry["team"] is None else view.names.get((entry["kind"], entry["team"]))
        if measure is None:
            view.add(key or "?", entry["wave"], "responded", entry["responded"])
            view.add(key or "?", entry["wave"], "invited", entry["invited"])
        else:
            view.add(key or "?", entry["wave"], measure, entry["n"])


def read_campaign_page(text: str, view: View, group: str) -> None:
    """The wave table of a survey campaign page: invited and answered of the whole audience."""
    for row in re.findall(r'<tr data-wave="(\d+)">(.*?)</tr>', text, re.S):
        wave_id, cells = int(row[0]), re.findall(r'<td class="text-end">(.*?)</td>', row[1], re.S)
        day = view.periods.get(("wave-id", wave_id))
        for measure, cell in zip(("invited", "responded"), cells, strict=False):
            value = re.sub(r"<[^>]+>", "", cell).strip()
            if value.isdigit():
                view.add(group, day, measure, int(value))
    page = _Page()
    page.feed(text)
    read_sentences([" ".join(line.split()) for line in page.lines], view)


MAIL_ROW = re.compile(r"^- (?P<label>.+), (?P<scale>[^,:]+): \d+ -> \d+ \((?P<why>[^;]*); "
                      r"(?P<n>\d+) respondents\)$", re.M)


def read_mail(text_body: str, html_body: str, view: View, wave: date,
              scale_keys: Mapping[str, str]) -> None:
    """An alert mail: each row's respondents count, for its group and scale, in `wave`."""
    rows = list(MAIL_ROW.finditer(text_body))
    for row in rows:
        view.add(row["label"], wave, f"n:{scale_keys[row['scale']]}", int(row["n"]))
    listed = {int(row["n"]) for row in rows}
    for text in (MAIL_ROW.sub("", text_body), re.sub(r"<[^>]+>", " ", html_body or "")):
        for hit in COUNT_WORDS.finditer(html.unescape(text)):
            numbers = {int(n) for n in re.findall(r"\d+", hit.group(0))}
            if not numbers <= listed:
                view.unread.append(f"{view.surface}: {hit.group(0)!r} in a mail")
