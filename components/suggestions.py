""" "Did you mean ...?" for a mistyped key or value. Pure."""

from collections.abc import Iterable


def edit_distance(a: str, b: str) -> int:
    """Optimal-string-alignment distance: insertions, deletions, substitutions and swaps of neighbours cost 1."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, start=1):
        current = [i]
        for j, char_b in enumerate(b, start=1):
            cost = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char_a != char_b))
            if i > 1 and j > 1 and char_a == b[j - 2] and a[i - 2] == char_b:
                cost = min(cost, previous2[j - 2] + 1)
            current.append(cost)
        previous2, previous = previous, current
    return previous[-1]


def nearest(word: str, candidates: Iterable[str], *, max_distance: int | None = None) -> list[str]:
    """The candidates closest to `word` (all of them on a tie), if within `max_distance` edits (default: a third of
    the word, rounded up, at least 2); case-insensitive."""
    if max_distance is None:
        max_distance = max(2, (len(word) + 2) // 3)
    scored = [(edit_distance(word.lower(), candidate.lower()), candidate) for candidate in candidates]
    near = [(distance, candidate) for distance, candidate in scored if candidate != word and distance <= max_distance]
    if not near:
        return []
    best = min(distance for distance, _ in near)
    return sorted(candidate for distance, candidate in near if distance == best)


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    """`; did you mean x?` / `; did you mean x or y?`, or '' when nothing is close."""
    near = nearest(word, candidates)
    return f"; did you mean {' or '.join(near)}?" if near else ""
