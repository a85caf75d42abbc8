"""The accuracy study's pieces: distances, the jump analysis, decoding from stored logits and
the docs section it replaces."""
import numpy as np

from eba_tools.bench_accuracy import (MARK_END, MARK_START, decode, distances, replace_section,
                                      tie_analysis)

META = dict(input_size=[4, 4], simcc_split_ratio=1.0)


def pred_of(x, y):
    n = len(x)
    return decode(dict(simcc_x=np.asarray(x, np.float32), simcc_y=np.asarray(y, np.float32),
                       centers=np.full((n, 2), 2.0, np.float32),
                       scales=np.full((n, 2), 4.0, np.float32)), META)


def test_distances_in_image_pixels():
    ref = np.zeros((2, 3, 2))
    kpts = ref.copy()
    kpts[0, 0] = [3, 4]
    d = distances(kpts, ref)
    assert d['max_px'] == 5 and d['mean_px'] == 5 / 6 and d['over_1px'] == 1 / 6


def test_a_near_tie_that_moves_is_a_jump_with_a_small_margin():
    ref_x = [[[0, 10.0, 9.999, 0]]]  # two near-equal bins 1 apart; the low precision flips them
    low_x = [[[0, 9.999, 10.0, 0]]]
    y = [[[0, 0, 5.0, 0]]]
    t = tie_analysis(pred_of(low_x, y), pred_of(ref_x, y), jump_px=0.5)
    assert t['jumps'] == 1 and t['moved_axes'] == 1 and t['tied_axes'] == 0
    assert t['median_rel_margin'] < 1e-3 and t['median_bins_apart'] == 1


def test_exact_ties_are_counted():
    t = tie_analysis(pred_of([[[0, 0, 7.0, 7.0]]], [[[5.0, 0, 0, 0]]]),
                     pred_of([[[0, 0, 7.0, 7.5]]], [[[5.0, 0, 0, 0]]]), jump_px=0.5)
    assert t['tied_axes'] == 1


def test_replace_section_keeps_the_rest_and_appends_when_missing(tmp_path):
    doc = tmp_path / 'd.md'
    doc.write_text(f'A\n{MARK_START}\nold\n{MARK_END}\nB\n')
    replace_section(str(doc), f'{MARK_START}\nnew\n{MARK_END}')
    assert doc.read_text() == f'A\n{MARK_START}\nnew\n{MARK_END}\nB\n'
    other = tmp_path / 'o.md'
    other.write_text('text\n')
    replace_section(str(other), f'{MARK_START}\nx\n{MARK_END}')
    assert other.read_text() == f'text\n\n{MARK_START}\nx\n{MARK_END}\n'
