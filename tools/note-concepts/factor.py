"""Factor regex alternations of words by their first letter: (?:wife|woman|aunt) -> (?:w(?:ife|oman)|aunt).

Semantics-preserving: alternatives with different first letters cannot match at the same position,
and the relative order of those that share one is kept. Only non-capturing groups whose every
alternative starts with a plain letter (not quantified) are rewritten."""

import re

QUANT = set("?*+{")


def _match_paren(s, i):
    """Index of the ')' closing the '(' at s[i]."""
    depth = 0
    j = i
    while j < len(s):
        c = s[j]
        if c == "\\":
            j += 2
            continue
        if c == "[":
            j += 1
            if j < len(s) and s[j] == "^":
                j += 1
            if j < len(s) and s[j] == "]":
                j += 1
            while s[j] != "]":
                if s[j] == "\\":
                    j += 1
                j += 1
            j += 1
            continue
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0:
                return j
        j += 1
    raise ValueError("unbalanced")


def _split_top(s):
    parts, depth, j, start = [], 0, 0, 0
    while j < len(s):
        c = s[j]
        if c == "\\":
            j += 2
            continue
        if c == "[":
            j = _skip_class(s, j)
            continue
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
        elif c == "|" and depth == 0:
            parts.append(s[start:j])
            start = j + 1
        j += 1
    parts.append(s[start:])
    return parts


def _skip_class(s, j):
    j += 1
    if j < len(s) and s[j] == "^":
        j += 1
    if j < len(s) and s[j] == "]":
        j += 1
    while s[j] != "]":
        if s[j] == "\\":
            j += 1
        j += 1
    return j + 1


def factor(s):
    out = []
    j = 0
    while j < len(s):
        c = s[j]
        if c == "\\":
            out.append(s[j : j + 2])
            j += 2
            continue
        if c == "[":
            k = _skip_class(s, j)
            out.append(s[j:k])
            j = k
            continue
        if c == "(":
            k = _match_paren(s, j)
            if s.startswith("(?:", j):
                inner = factor(s[j + 3 : k])
                out.append("(?:" + _factor_alts(inner) + ")")
            elif (
                s.startswith("(?", j) and not s.startswith("(?-i", j) and not s.startswith("(?i", j)
            ):
                # lookarounds etc: (?=, (?!, (?<=, (?<!
                m = re.match(r"\(\?(?:=|!|<=|<!)", s[j:])
                head = m.group(0) if m else s[j : j + 3]
                out.append(head + factor(s[j + len(head) : k]) + ")")
            else:
                out.append(s[j : k + 1])  # scoped flags or capturing: left as is
            j = k + 1
            continue
        out.append(c)
        j += 1
    return "".join(out)


def _factor_alts(inner):
    alts = _split_top(inner)
    if len(alts) < 4:
        return inner
    for a in alts:
        if not a or not a[0].isalpha() or (len(a) > 1 and a[1] in QUANT):
            return inner
    groups, order = {}, []
    for a in alts:
        key = a[0].lower()
        if key not in groups:
            groups[key] = []
            order.append(key)
        groups[key].append(a)
    if len(order) == len(alts):
        return inner
    pieces = []
    for key in order:
        g = groups[key]
        if len(g) == 1:
            pieces.append(g[0])
        elif len({a[0] for a in g}) > 1:
            pieces.extend(g)  # mixed case first letters: leave them
        else:
            rests = [a[1:] for a in g]
            if any(r == "" for r in rests):
                # "a" and "ab": keep order, an empty rest becomes an empty alternative
                pieces.append(g[0][0] + "(?:" + "|".join(rests) + ")")
            else:
                pieces.append(g[0][0] + "(?:" + "|".join(rests) + ")")
    return "|".join(pieces)
