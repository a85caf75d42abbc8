"""tools/generate_synthetic_coco.py: both kinds, skips a complete set, one-line errors."""
import pytest

from eba_tools.synthetic_coco import dataset_is_complete
from eba_tools.synthetic_squares import squares_dataset_is_complete

SCRIPT = 'generate_synthetic_coco.py'


def test_person_set(run_script, tmp_path):
    code, out, err = run_script(SCRIPT, ['--out-dir', str(tmp_path / 'p'), '--num-train', '2',
                                         '--num-val', '1', '--size', '64', '64'])
    assert code == 0, err
    assert 'person_keypoints_train.json' in out
    assert dataset_is_complete(str(tmp_path / 'p'), num_train=2, num_val=1, image_size=(64, 64))


def test_squares_set_and_skipping_a_complete_one(run_script, tmp_path):
    args = ['--kind', 'squares', '--out-dir', str(tmp_path / 's'), '--num-train', '2',
            '--num-val', '1']
    code, out, err = run_script(SCRIPT, args)
    assert code == 0, err
    assert squares_dataset_is_complete(str(tmp_path / 's'), num_train=2, num_val=1)  # 96x96
    code, out, _ = run_script(SCRIPT, args)
    assert code == 0 and 'already holds this dataset' in out and 'done in' not in out


@pytest.mark.parametrize('args,key_fact', [
    (['--num-train', '0'], '--num-train'),
    (['--size', '8', '8'], '--size'),
    (['--kind', 'cats'], '--kind'),
])
def test_bad_arguments_one_line(run_script, args, key_fact):
    code, _, err = run_script(SCRIPT, args)
    assert code == 2 and 'Traceback' not in err
    last = err.strip().splitlines()[-1]
    assert last.startswith('tools/generate_synthetic_coco.py: error: ') and key_fact in last


def test_help_shows_defaults(run_script):
    code, out, _ = run_script(SCRIPT, ['--help'])
    assert code == 0
    for arg in ('--kind', '--out-dir', '--num-train', '--num-val', '--size', '--seed',
                '--max-instances', '--force'):
        assert arg in out
    assert '(default: person)' in out and '(default: 0)' in out
