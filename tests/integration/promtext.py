"""A strict parser of the Prometheus text exposition format (0.0.4), written
for the tests from the format's description
(https://prometheus.io/docs/instrumenting/exposition_formats/): it refuses
what Prometheus would refuse, and more that the conventions forbid.

parse(text) returns {family: Family} and raises ValueError naming the line
for: a malformed line, name, label or value; a bad escape in a label value;
TYPE or HELP given twice or TYPE after the family's samples; samples of one
family not together; the same series twice; a counter not named *_total or
negative; a sample without a TYPE line (stricter than the format, which
takes it as untyped: every family here declares its type); a histogram whose buckets are not cumulative, lack le="+Inf", or
disagree with _count, or lacks _sum."""
import math
import re

NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
LABEL = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
TYPES = {"counter", "gauge", "histogram", "summary", "untyped"}
SUFFIXES = {"histogram": ("_bucket", "_sum", "_count"), "summary": ("_sum", "_count")}


class Family:
    def __init__(self, name):
        self.name, self.type, self.help, self.samples = name, "untyped", None, []

    def get(self, name=None, **labels):
        """The value of the sample with exactly these labels (0 when absent).
        A relay on PostgreSQL labels its own figures with its node; unless
        asked for, that label is left out of the comparison."""
        name = name or self.name
        for n, l, v in self.samples:
            if "node" not in labels:
                l = {k: x for k, x in l.items() if k != "node"}
            if n == name and l == labels:
                return v
        return 0.0

    def where(self, name=None, **labels):
        """Samples whose labels include these: [(labels, value)]."""
        name = name or self.name
        return [(l, v) for n, l, v in self.samples if n == name and all(l.get(k) == x for k, x in labels.items())]


def _value(text, where):
    if text in ("+Inf", "Inf"):
        return math.inf
    if text == "-Inf":
        return -math.inf
    if text == "NaN":
        return math.nan
    if not re.fullmatch(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?", text):
        raise ValueError("%s: %r is not a number" % (where, text))
    return float(text)


def _labels(text, where):
    """'{a="x",b="y"}' (the braces included) → dict, and what follows."""
    labels, i = {}, 1
    while True:
        if text[i] == "}":
            return labels, text[i + 1:]
        m = LABEL.match(text, i)
        if not m or text[m.end():m.end() + 2] != '="':
            raise ValueError("%s: bad label at %r" % (where, text[i:]))
        name, i, value = m.group(), m.end() + 2, ""
        while text[i] != '"':
            if text[i] == "\\":
                esc = text[i + 1]
                if esc not in '\\"n':
                    raise ValueError("%s: bad escape \\%s" % (where, esc))
                value += {"n": "\n"}.get(esc, esc)
                i += 2
            elif text[i] == "\n":
                raise ValueError("%s: newline in a label value" % where)
            else:
                value += text[i]
                i += 1
        if name in labels:
            raise ValueError("%s: label %s given twice" % (where, name))
        labels[name] = value
        i += 1
        if text[i] == ",":
            i += 1
        elif text[i] != "}":
            raise ValueError("%s: expected , or } after a label" % where)


def _family_of(name, families):
    for fam in families.values():
        if name == fam.name or any(name == fam.name + s for s in SUFFIXES.get(fam.type, ())):
            return fam
    return None


def parse(text):
    if not text.endswith("\n"):
        raise ValueError("the exposition must end with a newline")
    families, order, seen = {}, [], set()
    for n, line in enumerate(text.split("\n")[:-1], 1):
        where = "line %d" % n
        if not line.strip():
            continue
        if line.startswith("#"):
            parts = line.split(" ", 3)
            if len(parts) >= 3 and parts[1] in ("HELP", "TYPE"):
                name = parts[2]
                if not NAME.fullmatch(name):
                    raise ValueError("%s: bad metric name %r" % (where, name))
                fam = families.setdefault(name, Family(name))
                if fam.samples:
                    raise ValueError("%s: %s of %s after its samples" % (where, parts[1], name))
                if parts[1] == "TYPE":
                    if getattr(fam, "_typed", False):
                        raise ValueError("%s: TYPE of %s given twice" % (where, name))
                    if len(parts) != 4 or parts[3] not in TYPES:
                        raise ValueError("%s: bad TYPE line" % where)
                    fam.type, fam._typed = parts[3], True
                else:
                    if fam.help is not None:
                        raise ValueError("%s: HELP of %s given twice" % (where, name))
                    fam.help = parts[3] if len(parts) == 4 else ""
                if not order or order[-1] != name:
                    if name in order:
                        raise ValueError("%s: %s comes back after another family" % (where, name))
                    order.append(name)
            continue
        m = NAME.match(line)
        if not m:
            raise ValueError("%s: bad sample line %r" % (where, line))
        name, rest = m.group(), line[m.end():]
        labels = {}
        if rest.startswith("{"):
            labels, rest = _labels(rest, where)
        fields = rest.split(" ")
        if fields[0] != "" or len(fields) not in (2, 3):
            raise ValueError("%s: expected one space, a value and maybe a timestamp: %r" % (where, line))
        value = _value(fields[1], where)
        if len(fields) == 3 and not re.fullmatch(r"-?\d+", fields[2]):
            raise ValueError("%s: bad timestamp" % where)
        fam = _family_of(name, families)
        if not fam or not getattr(fam, "_typed", False):
            raise ValueError("%s: sample %s has no TYPE line before it" % (where, name))
        if order and order[-1] != fam.name:
            if fam.name in order:
                raise ValueError("%s: samples of %s are not together" % (where, fam.name))
            order.append(fam.name)
        elif not order:
            order.append(fam.name)
        key = (name, tuple(sorted(labels.items())))
        if key in seen:
            raise ValueError("%s: series %s%s given twice" % (where, name, labels))
        seen.add(key)
        fam.samples.append((name, labels, value))
    for fam in families.values():
        _check(fam)
    return families


def _check(fam):
    if fam.type == "counter":
        if not fam.name.endswith("_total"):
            raise ValueError("counter %s is not named *_total" % fam.name)
        for _, l, v in fam.samples:
            if v < 0 or math.isnan(v):
                raise ValueError("counter %s%s is %r" % (fam.name, l, v))
    if fam.type != "histogram":
        return
    series = {}
    for name, l, v in fam.samples:
        base = tuple(sorted((k, x) for k, x in l.items() if k != "le"))
        s = series.setdefault(base, {"buckets": [], "sum": None, "count": None})
        if name == fam.name + "_bucket":
            if "le" not in l:
                raise ValueError("%s bucket without le" % fam.name)
            s["buckets"].append((_value(l["le"], fam.name), v))
        elif name == fam.name + "_sum":
            s["sum"] = v
        elif name == fam.name + "_count":
            s["count"] = v
        else:
            raise ValueError("histogram %s has a sample %s" % (fam.name, name))
    for base, s in series.items():
        les = [le for le, _ in s["buckets"]]
        if not les or les[-1] != math.inf or les != sorted(les) or len(set(les)) != len(les):
            raise ValueError("histogram %s%s: buckets must rise to le=\"+Inf\"" % (fam.name, dict(base)))
        counts = [c for _, c in s["buckets"]]
        if counts != sorted(counts):
            raise ValueError("histogram %s%s: buckets are not cumulative" % (fam.name, dict(base)))
        if s["count"] != counts[-1] or s["sum"] is None:
            raise ValueError("histogram %s%s: _count must equal the +Inf bucket, and _sum be there"
                             % (fam.name, dict(base)))
