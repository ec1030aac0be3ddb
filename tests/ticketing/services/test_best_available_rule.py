"""The best-available rule on its own (no database): ranking, strands, scattered seats."""

import random

from ticketing.services.best_available import (
    SeatSpot,
    _rows,
    block_best,
    block_near_best,
    blocks_ranked,
    singles_ranked,
)


def row(
    length: int, taken: set[int] = frozenset(), *, row_index: int = 0, section: int = 1
) -> list[SeatSpot]:
    return [
        SeatSpot(
            id=section * 1000 + row_index * 100 + n,
            section_position=section,
            section_id=section,
            row_index=row_index,
            number=n,
            free=n not in taken,
        )
        for n in range(1, length + 1)
    ]


def numbers(pick) -> list[int]:
    return [seat_id % 100 for seat_id in pick.seat_ids]


def test_an_empty_row_gives_the_middle():
    assert numbers(blocks_ranked(row(8), count=2)[0]) == [4, 5]
    assert numbers(blocks_ranked(row(9), count=3)[0]) == [4, 5, 6]


def test_ties_go_to_the_lower_numbers():
    # 3 of 8: 3-4-5 and 4-5-6 are equally off the middle (4.5)
    assert numbers(blocks_ranked(row(8), count=3)[0]) == [3, 4, 5]


def test_front_rows_come_first_even_off_centre():
    spots = row(8, taken={3, 4, 5, 6}) + row(8, row_index=1)
    best = blocks_ranked(spots, count=2)[0]
    assert best.key[1] == 0 and numbers(best) in ([1, 2], [7, 8])


def test_a_block_that_strands_a_single_seat_loses_to_one_that_does_not():
    # given: seat 2 taken; the middle pair 4-5 would leave seat 3 alone between 2 and 4
    ranked = blocks_ranked(row(8, taken={2}), count=2)
    # then: 3-4 is chosen, and 4-5 is ranked after every block that strands nobody
    assert numbers(ranked[0]) == [3, 4]
    stranding = [numbers(pick) for pick in ranked if pick.key[0] > 0]
    assert [4, 5] in stranding
    assert all(pick.key[0] == 0 for pick in ranked[: len(ranked) - len(stranding)])


def test_a_strand_free_block_in_a_back_row_beats_a_stranding_one_in_front():
    front = row(6, taken={1, 5})  # only 2-3 or 3-4 fit, each strands a seat
    back = row(6, row_index=1)
    assert blocks_ranked(front + back, count=2)[0].key[:2] == (0, 1)


def test_when_every_block_strands_the_best_of_them_is_still_offered():
    ranked = blocks_ranked(row(6, taken={1, 5}), count=2)
    assert [numbers(pick) for pick in ranked] == [[3, 4], [2, 3]]
    assert all(pick.key[0] == 1 for pick in ranked)


def test_a_row_end_is_not_a_wall_for_the_strand_rule():
    # 2 of 3 free seats at the end of a row: leaving seat 1 next to the aisle is fine
    ranked = blocks_ranked(row(3), count=2)
    assert all(pick.key[0] == 0 for pick in ranked)


def test_seats_being_claimed_elsewhere_count_as_taken():
    spots = row(8)
    taken = frozenset(spot.id for spot in spots if spot.number in (4, 5))
    assert numbers(blocks_ranked(spots, count=2, taken=taken)[0]) in ([2, 3], [6, 7])


def test_no_block_when_the_free_seats_are_scattered_and_singles_take_the_best_ones():
    spots = row(8, taken={1, 3, 5, 7})
    assert blocks_ranked(spots, count=2) == []
    assert sorted(numbers(singles_ranked(spots, count=2))) == [4, 6]
    assert singles_ranked(spots, count=5) is None


def random_hall(rng, rows: int = 6, sections: int = 3) -> list[SeatSpot]:
    spots = []
    for section in range(1, sections + 1):
        for row_index in range(rows):
            length = rng.randint(3, 14)
            taken = {n for n in range(1, length + 1) if rng.random() < 0.45}
            spots += row(length, taken, row_index=row_index, section=section)
    return spots


def test_the_early_stopping_search_agrees_with_the_full_ranking():
    rng = random.Random(7)
    for _ in range(300):
        spots = random_hall(rng)
        for count in (1, 2, 3, 4):
            ranked = blocks_ranked(spots, count=count)
            best = block_best(_rows(spots), count=count, taken=frozenset())
            assert best == (ranked[0] if ranked else None)


def test_under_contention_the_pick_is_among_the_best_rows_and_strands_no_more():
    rng = random.Random(11)
    for _ in range(200):
        spots = random_hall(rng)
        ranked = blocks_ranked(spots, count=2)
        if not ranked:
            continue
        pick = block_near_best(_rows(spots), count=2, taken=frozenset(), spread=4, rng=rng)
        assert pick.key[0] == ranked[0].key[0]
        best_per_row = sorted(
            {p.seat_ids[0] // 100: p for p in reversed(ranked)}.values(), key=lambda p: p.key
        )
        assert pick in [p for p in best_per_row if p.key[0] == ranked[0].key[0]][:4]
