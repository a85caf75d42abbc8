"""The ablation's report: summary rows, paired steps with Holm's correction and verdicts that
say what the intervals say, the README block, the full page and its figures, from a hand-made
study JSON."""
import pytest

from eba_tools.ablation_report import (README_END, README_START, findings, paired_steps,
                                       readme_block, results_table, steps_table, summarize,
                                       update_marked_block, write_report)

NOISE = [0.00, 0.03, -0.02, 0.01, -0.01]  # shared by every variant of a seed (the pairing)


def _run(variant, seed, ap):
    return {'variant': variant, 'seed': seed, 'coco/AP': ap, 'coco/AP .5': ap + 0.3,
            'coco/AP .75': ap / 2, 'coco/AR': ap + 0.1, 's_per_epoch': 5.0, 'train_time_s': 150.0,
            'wall_time_s': 200.0, 'ap_per_epoch': [[5, ap / 2], [10, ap]],
            'finished_at': f'2026-12-02T03:0{seed}:00Z'}


@pytest.fixture
def results():
    effect = dict(a=0.0, b=0.05, c=0.05, d=0.05, e=0.05, g=0.0, h=0.05)  # b helps, g hurts
    jitter = [0.001, -0.001, 0.0005, -0.0005, 0.0]
    return dict(
        budget=dict(epochs=10, num_train=20, num_val=5, val_interval=5, data_seed=0),
        data=dict(val_instances=1212, train_images=20, val_images=5, image_size=[192, 192],
                  max_persons=6),
        variants={k: dict(params=1_000_000 * (i + 1), macs=100_000_000) for i, k in
                  enumerate('abcdegh')},
        runs=[_run(k, s, round(0.5 + effect[k] + NOISE[s] + (jitter[s] if k in 'ce' else 0),
                               4)) for s in range(5) for k in 'abcdegh'])


def test_summary_rows_in_chain_order(results):
    rows = summarize(results)
    assert [r['key'] for r in rows] == list('abcdegh')
    assert rows[0]['ap_mean'] == pytest.approx(0.502) and rows[0]['n'] == 5


def test_paired_steps_remove_the_shared_noise_and_are_corrected(results):
    steps = {(s['frm'], s['to']): s for s in paired_steps(results)}
    ab = steps['a', 'b']
    assert ab['diffs'] == pytest.approx([0.05] * 5) and ab['verdict'] == 'helps'
    assert steps['d', 'g']['verdict'] == 'hurts'
    bc = steps['b', 'c']  # +-0.001 around 0: bounded well within 0.01
    assert bc['verdict'].startswith('bounded within ±') and bc['within_bound']
    assert all(s['p_holm'] >= s['p'] for s in steps.values())


def test_tables_findings_and_readme_say_what_the_intervals_say(results):
    steps = paired_steps(results)
    table = steps_table(steps)
    assert '(a) → (b)' in table and '**helps**' in table and '**hurts**' in table
    assert '99.17 % CI (Bonferroni, 6 steps)' in table
    said = findings(steps)
    assert any(s.startswith('**stock head -> MLP-Mish head**') and 'helps here' in s
               for s in said)
    assert any('hurts here' in s and 'COCO' in s for s in said)
    assert '0.5020 ± 0.0192 (n=5)' in results_table(summarize(results))
    block = readme_block(summarize(results), steps, results, 'docs/ablation.md', 'b.json')
    assert '1212 validation people' in block and '(a) → (b)' in block


def test_missing_pairs_are_reported_not_guessed(results):
    results['runs'] = [r for r in results['runs'] if r['variant'] != 'h' or r['seed'] == 0]
    steps = {(s['frm'], s['to']): s for s in paired_steps(results)}
    assert steps['d', 'h']['verdict'] == 'n/a' and 'p' not in steps['d', 'h']
    assert 'needs ≥ 2 paired seeds' in steps_table(list(steps.values()))


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
    assert len(written) == 5
    page = (tmp_path / 'docs' / 'ablation.md').read_text()
    assert '(c) + bridge attention (ReLU trunk)' in page and 'Holm' in page
    assert '## Verdict' in page and 'noise floor' in page and 'earlier study' in page
    for png in ('ablation_steps.png', 'ablation_ap.png', 'ablation_ap_epoch.png'):
        assert (tmp_path / 'docs' / png).read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'
    assert '| (a) → (b) |' in readme.read_text()


def test_extra_seeds_for_some_variants_are_said_and_paired_where_they_exist(results, tmp_path):
    """Seeds added to (d), (e), (g), (h) only: the d-based steps use every pair, the others
    keep theirs, and the page and README block say which seeds each variant ran and why."""
    extra = [0.004, -0.006, 0.002, 0.0]
    results['runs'] += [_run(k, s, round(0.55 + extra[s - 5] + (0.001 if k == 'g' else 0), 4))
                        for s in range(5, 9) for k in 'degh']
    results['history'] = [dict(date='2026-12-02', runs='(d), (e), (g), (h), seeds 5-8',
                               what='added to narrow the undecided steps')]
    steps = {(s['frm'], s['to']): s for s in paired_steps(results)}
    assert len(steps['d', 'g']['diffs']) == 9 and len(steps['a', 'b']['diffs']) == 5
    assert steps['d', 'g']['diffs'][5:] == pytest.approx([0.001] * 4)
    rows = summarize(results)
    block = readme_block(rows, list(steps.values()), results, 'docs/ablation.md', 'b.json')
    assert '5-9 seeds per variant' in block
    write_report(results, str(tmp_path / 'ablation.md'))
    page = (tmp_path / 'ablation.md').read_text()
    assert '(a), (b), (c): seeds 0-4; (d), (e), (g), (h): seeds 0-8' in page
    assert '## How the study grew' in page and 'added to narrow the undecided steps' in page
