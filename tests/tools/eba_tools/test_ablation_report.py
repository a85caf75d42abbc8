"""The ablation's report: summary rows, tables that say what the intervals say, the README
block, the full page and its figures, from a hand-made study JSON."""
import pytest

from eba_tools.ablation_report import (README_END, README_START, findings, results_table,
                                       steps_table, summarize, update_marked_block,
                                       write_report)


def _run(variant, seed, ap):
    return {'variant': variant, 'seed': seed, 'coco/AP': ap, 'coco/AP .5': ap + 0.3,
            'coco/AP .75': ap / 2, 'coco/AR': ap + 0.1, 's_per_epoch': 5.0, 'train_time_s': 150.0,
            'wall_time_s': 200.0, 'ap_per_epoch': [[5, ap / 2], [10, ap]]}


@pytest.fixture
def results():
    return dict(
        budget=dict(epochs=10, num_train=20, num_val=5, val_interval=5, data_seed=0),
        variants={k: dict(params=1_000_000 * (i + 1), macs=100_000_000) for i, k in
                  enumerate('abc')},
        runs=[_run('a', s, ap) for s, ap in enumerate([0.10, 0.11, 0.12])]
        + [_run('b', s, ap) for s, ap in enumerate([0.11, 0.13, 0.12])]      # +0.01: noise
        + [_run('c', s, ap) for s, ap in enumerate([0.30, 0.31, 0.32])])     # +0.20: real


def test_summary_against_the_reference_and_the_parent(results):
    rows = summarize(results)
    assert [r['key'] for r in rows] == ['a', 'b', 'c']
    assert rows[0]['vs_ref'] is None and rows[0]['ap_mean'] == pytest.approx(0.11)
    assert rows[1]['vs_ref']['inside_noise'] and rows[1]['vs_ref']['diff'] == pytest.approx(0.01)
    assert not rows[2]['vs_ref']['inside_noise'] and rows[2]['vs_ref']['low'] > 0
    assert rows[2]['vs_parent']['diff'] == pytest.approx(0.19)  # (c) against its parent (b)


def test_tables_and_findings_say_what_the_intervals_say(results):
    rows = summarize(results)
    table = results_table(rows)
    assert '0.110 ± 0.010 (n=3)' in table and 'inside the noise' in table
    assert 'higher than (a)' in table and '| 1.00 M | 100.0 M | 5.0 |' in table
    assert '(b) → (c)' in steps_table(rows)
    said = findings(rows)
    assert any(s.startswith('(b) + MLP-Mish head vs (a)') and 'inside the noise' in s
               for s in said)
    assert any(s.startswith('(c)') and '**higher**' in s for s in said)


def test_readme_block_is_replaced_between_the_markers(tmp_path):
    readme = tmp_path / 'README.md'
    readme.write_text(f'intro\n{README_START}\nold table\n{README_END}\noutro\n')
    update_marked_block(str(readme), 'new table\n')
    assert readme.read_text() == f'intro\n{README_START}\nnew table\n{README_END}\noutro\n'
    readme.write_text('no markers\n')
    with pytest.raises(ValueError, match='ablation:start'):
        update_marked_block(str(readme), 'x')


def test_write_report_writes_the_page_figures_and_readme_block(results, tmp_path):
    readme = tmp_path / 'README.md'
    readme.write_text(f'# x\n{README_START}\n{README_END}\n')
    written = write_report(results, str(tmp_path / 'docs' / 'ablation.md'), str(readme),
                           json_path=str(tmp_path / 'ablation.json'))
    assert len(written) == 4
    page = (tmp_path / 'docs' / 'ablation.md').read_text()
    assert '(c) + bridge attention (ReLU trunk)' in page and 'Welch' in page
    for png in ('ablation_ap.png', 'ablation_ap_epoch.png'):
        assert (tmp_path / 'docs' / png).read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'
    assert '| (a) stock SimCC |' in readme.read_text()
