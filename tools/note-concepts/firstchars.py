import re
from re import _constants as C
from re import _parser as P


def _first(items, i=0):
    """First characters of items[i:] as a set of lower-case chars; None = anything; also returns
    whether the sequence can match empty."""
    out = set()
    while i < len(items):
        op, av = items[i]
        if op in (C.AT, C.ASSERT, C.ASSERT_NOT):
            i += 1
            continue
        f, empty = _one(op, av)
        if f is None:
            return None, False
        out |= f
        if not empty:
            return out, False
        i += 1
    return out, True


def _one(op, av):
    if op is C.LITERAL:
        return {chr(av).lower(), chr(av).upper()}, False
    if op is C.IN:
        s = set()
        for o, a in av:
            if o is C.LITERAL:
                s |= {chr(a).lower(), chr(a).upper()}
            elif o is C.RANGE:
                if a[1] - a[0] > 200:
                    return None, False
                for c in range(a[0], a[1] + 1):
                    s |= {chr(c).lower(), chr(c).upper()}
            else:
                return None, False
        return s, False
    if op is C.SUBPATTERN:
        return _first(list(av[-1]))
    if op is C.BRANCH:
        s, empty = set(), False
        for b in av[1]:
            f, e = _first(list(b))
            if f is None:
                return None, False
            s |= f
            empty |= e
        return s, empty
    if op in (C.MAX_REPEAT, C.MIN_REPEAT, getattr(C, "POSSESSIVE_REPEAT", None)):
        lo, hi, item = av
        f, e = _first(list(item))
        if f is None:
            return None, False
        return f, (lo == 0 or e)
    return None, False


def first_chars(pattern):
    f, empty = _first(list(P.parse(pattern, re.I)))
    if f is None or empty:
        return None
    return f


def charclass(chars):
    return (
        "[" + "".join(sorted(re.escape(c) if c not in "-]\\^" else "\\" + c for c in chars)) + "]"
    )


END = "\x00"  # marks a prefix that cannot be extended (what follows is not enumerable)


def _seq_prefixes(items, k, limit):
    """Prefixes (lower-case, at most k chars) one of which starts every match of ``items``; a
    prefix ending in END could not be extended further (it still starts the match)."""
    partial = {""}
    for op, av in items:
        if op in (C.AT, C.ASSERT, C.ASSERT_NOT):
            continue
        if all(p.endswith(END) or len(p) >= k for p in partial):
            break
        opts = _item_strings(op, av, k, limit)
        if opts is None:
            return {p if p.endswith(END) or len(p) >= k else p + END for p in partial}
        nxt = set()
        for p in partial:
            if p.endswith(END) or len(p) >= k:
                nxt.add(p)
                continue
            for o in opts:
                q = p + o
                nxt.add(q if q.endswith(END) and len(q) - 1 < k else q.replace(END, "")[:k])
        if len(nxt) > limit:
            return {p if p.endswith(END) or len(p) >= k else p + END for p in partial}
        partial = nxt
    return partial


def _item_strings(op, av, k, limit):
    if op is C.LITERAL:
        return {chr(av).lower()}
    if op is C.IN:
        s = set()
        for o, a in av:
            if o is C.LITERAL:
                s.add(chr(a).lower())
            elif o is C.RANGE and a[1] - a[0] <= 60:
                s |= {chr(c).lower() for c in range(a[0], a[1] + 1)}
            else:
                return None
        return s
    if op is C.SUBPATTERN:
        return _seq_prefixes(list(av[-1]), k, limit)
    if op is C.BRANCH:
        s = set()
        for b in av[1]:
            s |= _seq_prefixes(list(b), k, limit)
        return s if len(s) <= limit else None
    if op in (C.MAX_REPEAT, C.MIN_REPEAT):
        lo, hi, item = av
        one = _seq_prefixes(list(item), k, limit)
        out = {""} if lo == 0 else set()
        cur = {""}
        for n in range(1, min(hi, k) + 1):
            nxt = set()
            for c in cur:
                if c.endswith(END) or len(c) >= k:
                    nxt.add(c)
                    continue
                for o in one:
                    q = c + o
                    nxt.add(q if q.endswith(END) and len(q) - 1 < k else q.replace(END, "")[:k])
            cur = nxt
            if n >= lo:
                out |= cur
            if len(cur) > limit:
                return None
        if hi > min(hi, k):
            out |= {c if c.endswith(END) or len(c) >= k else c + END for c in cur}
        return out
    return None


def prefixes(pattern, k=2, limit=150):
    """Lower-case prefixes (<= k chars) one of which starts any match, or None (no useful set)."""
    s = {p.replace(END, "") for p in _seq_prefixes(list(P.parse(pattern, re.I)), k, limit)}
    if not s or "" in s:
        return None
    return s


def prefix_gate(pattern, k=2):
    """A lookahead on the first k characters of any match ("" when they cannot be enumerated)."""
    pre = prefixes(pattern, k)
    if pre is None:
        return ""
    by_first = {}
    for p in pre:
        by_first.setdefault(p[0], set()).add(p[1:])
    parts = []
    for c, rests in sorted(by_first.items()):
        ce = re.escape(c)
        if "" in rests:
            parts.append(ce)
        else:
            parts.append(ce + charclass(rests))
    return "(?=" + "|".join(parts) + ")"
