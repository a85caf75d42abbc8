"""Real checkpoints still load through the restricted loader (the attack suite is beside this).

torch >= 2.6 loads with weights_only=True by default; MMEngine 0.10.7 relies on the old default.
These tests train a tiny model with a real MMEngine ``Runner``, then resume from and load the
checkpoint it saved; and they load numpy / HistoryBuffer content written by numpy 2 and (module
names rewritten) numpy 1, in torch's zip and legacy formats, from files and URLs.
"""
import fractions
import functools
import http.server
import io
import subprocess
import sys
import threading
import zipfile
from collections import OrderedDict

import numpy as np
import pytest
import torch
from mmengine.logging import HistoryBuffer
from mmengine.model import BaseModel
from mmengine.runner import CheckpointLoader, Runner
from mmengine.runner import checkpoint as mmengine_checkpoint
from torch import nn

from pickle_payloads import FORMATS, attacks, bound_attacks

from eba_prnetcc_mmpose.utils import (TRUST_ENV, UnsafeCheckpointError, load_checkpoint_safely,
                                      load_url_safely)
from eba_prnetcc_mmpose.utils import safe_load


class ToyModel(BaseModel):
    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(2, 1)

    def forward(self, inputs, labels=None, mode='tensor'):
        out = self.linear(torch.stack(inputs))
        if mode == 'loss':
            return dict(loss=(out - torch.stack(labels)).square().mean())
        return out


DATA = [dict(inputs=torch.tensor([float(i), 1.0]), labels=torch.tensor([2.0 * i]))
        for i in range(8)]


def make_runner(work_dir, max_iters, resume=False):
    return Runner(
        model=ToyModel(),
        work_dir=str(work_dir),
        train_dataloader=dict(dataset=DATA, sampler=dict(type='DefaultSampler', shuffle=True),
                              batch_size=2, collate_fn=dict(type='pseudo_collate')),
        optim_wrapper=dict(optimizer=dict(type='AdamW', lr=0.01)),
        param_scheduler=dict(type='MultiStepLR', milestones=[3], by_epoch=False),
        train_cfg=dict(by_epoch=False, max_iters=max_iters),
        default_hooks=dict(checkpoint=dict(type='CheckpointHook', interval=2, by_epoch=False),
                           logger=dict(type='LoggerHook', interval=1)),
        resume=resume, randomness=dict(seed=0), default_scope='mmengine')


@pytest.fixture(scope='module')
def saved_checkpoint(tmp_path_factory):
    work_dir = tmp_path_factory.mktemp('toy')
    runner = make_runner(work_dir, max_iters=2)
    runner.train()
    return work_dir, work_dir / 'iter_2.pth'


LOAD = 'from mmengine.runner import CheckpointLoader; CheckpointLoader.load_checkpoint({!r})'


def test_mmengine_alone_cannot_load_its_checkpoint_under_torch_2_6(saved_checkpoint):
    """The failure this module fixes is real."""
    _, ckpt = saved_checkpoint
    res = subprocess.run([sys.executable, '-c', LOAD.format(str(ckpt))], capture_output=True,
                         text=True)
    assert res.returncode != 0 and 'weights_only' in res.stderr
    res = subprocess.run([sys.executable, '-c', 'import eba_prnetcc_mmpose; '
                          + LOAD.format(str(ckpt))], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr


def test_checkpoint_loads_safely_with_the_plugin(saved_checkpoint):
    _, ckpt = saved_checkpoint
    state = CheckpointLoader.load_checkpoint(str(ckpt), map_location='cpu')
    assert state['meta']['iter'] == 2 and 'message_hub' in state
    assert isinstance(state['message_hub']['log_scalars']['train/loss'], HistoryBuffer)
    # torch itself is untouched: plain torch.load is as strict as before
    with pytest.raises(Exception, match='weights_only'):
        torch.load(ckpt, weights_only=True)


def test_resume_restores_iteration_optimizer_and_scheduler(saved_checkpoint):
    work_dir, ckpt = saved_checkpoint
    saved = CheckpointLoader.load_checkpoint(str(ckpt), map_location='cpu')
    runner = make_runner(work_dir, max_iters=4, resume=True)
    runner.load_or_resume()
    assert runner.iter == 2
    adam_state = runner.optim_wrapper.optimizer.state_dict()['state']
    torch.testing.assert_close(adam_state[0]['exp_avg'], saved['optimizer']['state'][0]['exp_avg'])
    assert saved['param_schedulers'][0]['last_step'] >= 1  # a fresh scheduler starts at 0
    assert runner.param_schedulers[0].last_step == saved['param_schedulers'][0]['last_step']
    # the message hub's logged history comes back as real HistoryBuffers with the saved values
    saved_loss = saved['message_hub']['log_scalars']['train/loss']
    resumed_loss = runner.message_hub.get_scalar('train/loss')
    assert type(resumed_loss) is HistoryBuffer and len(saved_loss.data[0]) == 2
    np.testing.assert_array_equal(resumed_loss.data[0], saved_loss.data[0])
    assert resumed_loss.mean() == pytest.approx(float(np.mean(saved_loss.data[0])))
    runner.train()
    assert runner.iter == 4


def _meta():
    hb = HistoryBuffer(max_length=7)
    for v in (1.0, 2.0, 6.0):
        hb.update(v)
    meta = dict(sigmas=np.linspace(0, 1, 17).astype(np.float32),
                flip=np.array([[1, 2], [3, 4]], dtype=np.int64),
                fortran=np.asfortranarray(np.arange(6.).reshape(2, 3)),
                big_endian=np.arange(5, dtype='>i4'), empty=np.zeros((0, 3)),
                zero_d=np.array(1.5), flag=np.bool_(True), f64=np.float64(2.5),
                i64=np.int64(7), u8=np.arange(3, dtype=np.uint8), c=np.complex64(1 + 2j))
    return dict(state_dict=OrderedDict(w=torch.arange(6.).reshape(2, 3)),
                meta=dict(arrays=meta), message_hub=dict(loss=hb))


def _numpy1_names(data: bytes, zip_format: bool) -> bytes:
    """Rewrite numpy 2 module paths to numpy 1's, as an older writer produced them."""
    if not zip_format:
        return data.replace(b'numpy._core.multiarray', b'numpy.core.multiarray')
    src, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(out, 'w', zipfile.ZIP_STORED) as dst:
        for item in src.infolist():
            blob = src.read(item)
            if item.filename.endswith('data.pkl'):
                assert b'numpy._core.multiarray' in blob
                blob = blob.replace(b'numpy._core.multiarray', b'numpy.core.multiarray')
            dst.writestr(item, blob)
    return out.getvalue()


@pytest.mark.parametrize('numpy1', [False, True], ids=['numpy2-names', 'numpy1-names'])
@pytest.mark.parametrize('zip_format', [True, False], ids=['zip', 'legacy'])
def test_numpy_and_history_buffer_content_round_trips(tmp_path, zip_format, numpy1):
    original = _meta()
    path = tmp_path / 'ckpt.pth'
    torch.save(original, path, _use_new_zipfile_serialization=zip_format)
    if numpy1:
        path.write_bytes(_numpy1_names(path.read_bytes(), zip_format))
    methods = dict(HistoryBuffer._statistics_methods)
    loaded = CheckpointLoader.load_checkpoint(str(path), map_location='cpu')
    assert HistoryBuffer._statistics_methods == methods  # class state untouched
    for key, want in original['meta']['arrays'].items():
        got = loaded['meta']['arrays'][key]
        assert type(got) is type(want) and got.dtype == want.dtype, key
        np.testing.assert_array_equal(got, want)
    assert loaded['meta']['arrays']['fortran'].flags.f_contiguous
    hb = loaded['message_hub']['loss']
    assert type(hb) is HistoryBuffer and hb.max_length == 7
    assert (hb.mean(), hb.max(), hb.min(), hb.current()) == (3.0, 6.0, 1.0, 6.0)
    assert hb.mean(window_size=2) == 4.0  # statistics computed by the real class
    torch.testing.assert_close(loaded['state_dict']['w'], original['state_dict']['w'])


def test_torchvision_style_state_dict_loads(tmp_path):
    """A plain ``OrderedDict`` of tensors (torchvision / MMPose zoo files) needs no stand-in."""
    sd = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4)).state_dict()
    path = tmp_path / 'resnet.pth'
    torch.save(sd, path)
    loaded = CheckpointLoader.load_checkpoint(str(path))
    assert list(loaded) == list(sd)
    for k in sd:
        torch.testing.assert_close(loaded[k], sd[k])


@pytest.fixture
def custom_object_ckpt(tmp_path):
    path = tmp_path / 'custom.pth'
    torch.save({'meta': {'ratio': fractions.Fraction(1, 3)}, 'w': torch.ones(2)}, path)
    return path


def test_unknown_objects_are_refused_with_the_way_out(custom_object_ckpt):
    with pytest.raises(UnsafeCheckpointError) as info:
        CheckpointLoader.load_checkpoint(str(custom_object_ckpt))
    msg = str(info.value)
    assert str(custom_object_ckpt) in msg and 'fractions.Fraction' in msg
    assert TRUST_ENV in msg and 'add_safe_globals' not in msg and 'weights_only' not in msg


def test_trusted_file_is_the_only_opt_in(custom_object_ckpt, tmp_path, monkeypatch):
    other = tmp_path / 'other.pth'
    monkeypatch.setenv(TRUST_ENV, str(other))  # trusting another file changes nothing
    with pytest.raises(UnsafeCheckpointError):
        load_checkpoint_safely(str(custom_object_ckpt))
    monkeypatch.setenv(TRUST_ENV, f'{other}:{custom_object_ckpt}')
    loaded = load_checkpoint_safely(str(custom_object_ckpt))
    assert loaded['meta']['ratio'] == fractions.Fraction(1, 3)


@pytest.fixture
def http_root(tmp_path):
    """A loopback HTTP server over ``tmp_path / 'www'`` (URL schemes without the internet)."""
    root = tmp_path / 'www'
    root.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *a, **k: None
    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield root, f'http://127.0.0.1:{server.server_address[1]}'
    server.shutdown()


def test_urls_go_through_the_restricted_loader(http_root, tmp_path, monkeypatch,
                                               custom_object_ckpt):
    monkeypatch.setattr(torch.hub, 'get_dir', lambda: str(tmp_path / 'hub'))
    assert mmengine_checkpoint.load_url is load_url_safely  # what every URL scheme calls
    root, url = http_root
    torch.save(_meta(), root / 'good.pth')
    (root / 'evil.pth').write_bytes(custom_object_ckpt.read_bytes())
    loaded = CheckpointLoader.load_checkpoint(f'{url}/good.pth')
    assert isinstance(loaded['message_hub']['loss'], HistoryBuffer)
    with pytest.raises(UnsafeCheckpointError, match='fractions.Fraction'):
        CheckpointLoader.load_checkpoint(f'{url}/evil.pth')


@pytest.mark.parametrize('server', ['stalls', 'endless', 'wrong-hash'])
def test_a_download_that_stalls_or_never_ends_is_given_up(tmp_path, monkeypatch, server):
    """torch's downloader waits forever and writes whatever it is sent; ours does not."""
    import socket
    monkeypatch.setattr(safe_load, 'DOWNLOAD_TIMEOUT', 1)
    monkeypatch.setattr(safe_load, 'DOWNLOAD_LIMIT', 2**20)
    listener = socket.socket()
    listener.bind(('127.0.0.1', 0))
    listener.listen(1)

    def serve():
        conn, _ = listener.accept()
        conn.recv(4096)
        conn.sendall(b'HTTP/1.0 200 OK\r\n\r\n')
        if server == 'endless':
            try:
                while True:
                    conn.sendall(b'\0' * 65536)
            except OSError:
                pass
        elif server == 'wrong-hash':
            conn.sendall(b'not the file')
        else:
            threading.Event().wait(5)
        conn.close()

    threading.Thread(target=serve, daemon=True).start()
    name = 'r18-0123abcd.pth' if server == 'wrong-hash' else 'r18.pth'
    url = f'http://127.0.0.1:{listener.getsockname()[1]}/{name}'
    match = {'stalls': 'timed out', 'endless': 'more than 1048576 bytes',
             'wrong-hash': 'does not match'}[server]
    with pytest.raises(ConnectionError, match=match):
        load_url_safely(url, model_dir=str(tmp_path), check_hash=True, progress=False)
    assert list(tmp_path.iterdir()) == []  # no partial file left, nothing cached
    listener.close()


def test_only_http_urls_are_downloaded(tmp_path):
    secret = tmp_path / 'secret.pth'
    secret.write_bytes(b'local file')
    with pytest.raises(ConnectionError, match='only http'):
        load_url_safely(secret.as_uri(), model_dir=str(tmp_path / 'cache'), progress=False)
    assert list((tmp_path / 'cache').iterdir()) == []


def test_torchvision_scheme_uses_the_cached_file_safely(tmp_path, monkeypatch,
                                                       custom_object_ckpt):
    """``torchvision://resnet18`` resolves to a URL; the cached download is loaded safely."""
    monkeypatch.setattr(torch.hub, 'get_dir', lambda: str(tmp_path / 'hub'))
    url = mmengine_checkpoint.get_torchvision_models()['resnet18']
    cached = tmp_path / 'hub' / 'checkpoints' / url.rsplit('/', 1)[-1]
    cached.parent.mkdir(parents=True)
    cached.write_bytes(custom_object_ckpt.read_bytes())
    with pytest.raises(UnsafeCheckpointError, match=str(cached)):
        CheckpointLoader.load_checkpoint('torchvision://resnet18')
    torch.save({'conv1.weight': torch.ones(1)}, cached)
    assert list(CheckpointLoader.load_checkpoint('torchvision://resnet18')) == ['conv1.weight']


def test_failed_download_says_so(tmp_path, http_root):
    _, url = http_root
    with pytest.raises(ConnectionError) as info:
        load_url_safely(f'{url}/missing.pth', model_dir=str(tmp_path / 'hub'))
    msg = str(info.value)
    assert 'Could not download' in msg and 'init_cfg=None' in msg
    assert not (tmp_path / 'hub' / 'missing.pth').exists()


@pytest.mark.parametrize('payload', ['reduce_os_system', 'numpy_object_array_pointers'])
def test_pretrained_init_of_our_backbone_passes_the_refusal_through(tmp_path, payload):
    """``init_cfg=Pretrained`` with a hostile file: the refusal, not "damaged, download again"."""
    from eba_prnetcc_mmpose.models import EBAResNet
    path = tmp_path / 'pretrained.pth'
    path.write_bytes(FORMATS['zip'](attacks(str(tmp_path / 'm'), '/s')[payload]))
    backbone = EBAResNet(18, init_cfg=dict(type='Pretrained', checkpoint=str(path)))
    with pytest.raises(UnsafeCheckpointError, match='Refused to load checkpoint'):
        backbone.init_weights()
    assert not (tmp_path / 'm').exists()


# ------------------------------------------------------------------ what MMEngine does next
EVIL_CONFIG = "import os\nopen({marker!r}, 'w').write('pwned')\ngpu_ids = [0, 1, 2]\n"


def _with_config_text(src, dst, text):
    """A copy of checkpoint ``src`` whose config texts are ``text`` (written by us: trusted)."""
    ckpt = torch.load(src, weights_only=False)
    ckpt['meta']['config'] = ckpt['meta']['cfg'] = text
    ckpt['message_hub'].setdefault('runtime_info', {})['cfg'] = text
    torch.save(ckpt, dst)
    return dst


def test_resume_never_runs_the_config_text_of_a_checkpoint(saved_checkpoint, tmp_path,
                                                           monkeypatch):
    """``Runner.resume`` hands ``meta.config`` to ``Config.fromstring`` (runs it as Python)."""
    work_dir, ckpt = saved_checkpoint
    marker = tmp_path / 'pwned'
    evil = _with_config_text(ckpt, tmp_path / 'evil.pth', EVIL_CONFIG.format(marker=str(marker)))
    runner = make_runner(tmp_path / 'run', max_iters=4)
    runner._resume = True
    runner._load_from = str(evil)
    warnings = []
    monkeypatch.setattr(safe_load, 'print_log', lambda msg, **kw: warnings.append(msg))
    runner.load_or_resume()  # gpu_ids=[0, 1, 2] would raise if the text were read
    assert runner.iter == 2 and not marker.exists()
    log = ' '.join(warnings)
    assert str(evil) in log and 'meta.config' in log and 'run it as Python' in log


@pytest.mark.parametrize('text', [
    EVIL_CONFIG,
    # literals only, but MMEngine's registry imports a dotted type and calls it
    "model = dict(type='os.system', command='touch {marker}')\n"])
def test_inferencer_never_runs_the_config_text_of_a_checkpoint(saved_checkpoint, tmp_path,
                                                               text):
    """MMEngine's ``BaseInferencer(model=None, weights=ckpt)`` reads ``runtime_info.cfg``."""
    from mmpose.apis.inferencers import Pose2DInferencer
    _, ckpt = saved_checkpoint
    marker = tmp_path / 'pwned'
    evil = _with_config_text(ckpt, tmp_path / 'evil.pth', text.format(marker=str(marker)))
    with pytest.raises(ValueError, match='Cannot find the config in the checkpoint'):
        Pose2DInferencer(model=None, weights=str(evil), device='cpu')
    assert not marker.exists()
    loaded = load_checkpoint_safely(str(evil))
    assert 'cfg' not in loaded['meta'] and 'config' not in loaded['meta']
    assert 'cfg' not in loaded['message_hub']['runtime_info']


def _with_runtime_state(src, dst, runtime_info=None, dataset_meta=None):
    """A copy of ``src`` with extra runtime info / dataset meta (written by us: trusted)."""
    ckpt = torch.load(src, weights_only=False)
    ckpt['message_hub'].setdefault('runtime_info', {}).update(runtime_info or {})
    if dataset_meta is not None:
        ckpt['meta']['dataset_meta'] = dataset_meta
    torch.save(ckpt, dst)
    return dst


@pytest.mark.parametrize('key,value,kept', [
    ('best_ckpt', '{here}/best_coco_AP_epoch_2.pth', True),
    ('best_ckpt_coco/AP', '{here}/best_coco_AP_epoch_2.pth', True),
    ('best_ckpt', '{victim}', False),  # CheckpointHook would rmtree it after resuming
    ('best_ckpt', '{here}/../best_coco_AP_epoch_2.pth', False),
    ('best_ckpt', '{here}/notes.txt', False),
    ('best_ckpt', 'best_coco_AP_epoch_2.pth', False),  # relative: whatever the cwd holds
    ('best_ckpt', ['{here}/best_coco_AP_epoch_2.pth'], False),
    ('keep_ckpt_ids', [1, 2, 3], True),
    ('keep_ckpt_ids', [1, '../../x'], False),
    ('keep_ckpt_ids', [-1], False)])
@pytest.mark.parametrize('in_place', [True, False], ids=['resumed-in-place', 'moved'])
def test_runtime_info_that_names_files_is_kept_only_in_place_and_beside_the_checkpoint(
        saved_checkpoint, tmp_path, key, value, kept, in_place):
    _, ckpt = saved_checkpoint
    here, victim = tmp_path / 'work', tmp_path / 'victim'
    here.mkdir()
    fill = (lambda v: v.format(here=here, victim=victim)) if not isinstance(value, list) else \
        (lambda v: [x.format(here=here) if isinstance(x, str) else x for x in v])
    saved_at = here / 'epoch_3.pth'
    path = _with_runtime_state(ckpt, saved_at if in_place else here / 'downloaded.pth',
                               {key: fill(value), 'last_ckpt': str(saved_at)})
    info = load_checkpoint_safely(str(path))['message_hub']['runtime_info']
    kept = kept and in_place
    assert (info.get(key) == fill(value)) is kept and (key in info) is kept
    assert ('last_ckpt' in info) is in_place


def test_resume_keeps_the_dataset_meta_and_never_lets_it_override_samples(
        saved_checkpoint, tmp_path):
    """MMEngine's resume compares ``pickle.dumps`` of the checkpoint's and the dataset's meta;
    MMPose's inference copies ``dataset_meta`` over every sample (``img_path`` picks the image)."""
    import pickle
    from mmpose.datasets.datasets.utils import parse_pose_metainfo
    import json
    meta = parse_pose_metainfo(dict(from_file='configs/_base_/datasets/coco.py'))
    # what CocoDataset adds from the annotation file: equal strings, distinct objects
    meta['CLASSES'] = json.loads('[{"id": 1, "name": "person", "supercategory": "person"}]')
    _, ckpt = saved_checkpoint
    path = _with_runtime_state(ckpt, tmp_path / 'm.pth',
                               dataset_meta=dict(meta, img_path='/etc/passwd', bbox=[0, 0, 9, 9]))
    loaded = load_checkpoint_safely(str(path))['meta']['dataset_meta']
    assert set(loaded) == set(meta)
    # byte-equal, as with torch.load: no false "metainfo is different" warning on resume
    assert pickle.dumps(loaded) == pickle.dumps(meta)


# ------------------------------------------------------------------ process state
def test_a_users_torch_load_in_another_thread_is_unaffected(tmp_path):
    """Our loads never touch torch's process-wide safe-globals list or its unpickler."""
    mine = tmp_path / 'frac.pth'
    torch.save({'r': fractions.Fraction(1, 3)}, mine)
    ours = tmp_path / 'ours.pth'
    torch.save(_meta(), ours)
    before = list(torch.serialization.get_safe_globals())
    errors, stop = [], threading.Event()

    def user():
        try:
            while not stop.is_set():
                with torch.serialization.safe_globals([fractions.Fraction]):
                    assert torch.load(mine, weights_only=True)['r'] == fractions.Fraction(1, 3)
        except Exception as e:  # noqa: BLE001
            errors.append(e)

    thread = threading.Thread(target=user)
    thread.start()
    try:
        for _ in range(5):
            assert isinstance(load_checkpoint_safely(str(ours))['message_hub']['loss'],
                              HistoryBuffer)
    finally:
        stop.set()
        thread.join()
    assert errors == []
    assert set(map(repr, torch.serialization.get_safe_globals())) == set(map(repr, before))


def test_a_refused_sparse_file_does_not_break_the_next_load(tmp_path):
    bad = tmp_path / 'sparse.pth'
    bad.write_bytes(bound_attacks('/m', '/s')['sparse_out_of_bounds']['zip'])
    with pytest.raises(UnsafeCheckpointError):
        load_checkpoint_safely(str(bad))
    good = tmp_path / 'good.pth'
    torch.save({'w': torch.ones(3)}, good)
    assert torch.equal(load_checkpoint_safely(str(good))['w'], torch.ones(3))
    assert not torch._utils._sparse_tensors_to_validate


def test_import_and_loads_leave_torch_state_alone(saved_checkpoint):
    _, ckpt = saved_checkpoint
    code = (
        'import torch, mmpose.models, mmpose.apis\n'  # what a config imports anyway
        'from mmengine.runner import CheckpointLoader\n'
        'state = lambda: (sorted(map(repr, torch.serialization.get_safe_globals())),'
        ' torch.get_num_threads(), torch.get_default_dtype(),'
        ' list(torch._utils._sparse_tensors_to_validate))\n'
        'before = state()\n'
        'import eba_prnetcc_mmpose\n'
        f'CheckpointLoader.load_checkpoint({str(ckpt)!r})\n'
        'assert state() == before, (state(), before)\n')
    res = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr[-2000:]


def test_trust_follows_the_opened_file_not_its_name(custom_object_ckpt, tmp_path, monkeypatch):
    """A symlink flipped between the trust check and the open cannot get a file full pickle."""
    evil = tmp_path / 'evil.pth'
    evil.write_bytes(FORMATS['zip'](attacks(str(tmp_path / 'pwned'), '/s')['reduce_os_system']))
    link = tmp_path / 'link.pth'
    link.symlink_to(evil)
    monkeypatch.setenv(TRUST_ENV, str(custom_object_ckpt))
    real_open = safe_load.os.open

    def open_then_flip(path, *args, **kwargs):
        fd = real_open(path, *args, **kwargs)  # opens evil.pth ...
        link.unlink()
        link.symlink_to(custom_object_ckpt)  # ... then the name points at the trusted file
        return fd

    monkeypatch.setattr(safe_load.os, 'open', open_then_flip)
    with pytest.raises(UnsafeCheckpointError, match='os.system'):
        load_checkpoint_safely(str(link))
    assert not (tmp_path / 'pwned').exists()


@pytest.mark.parametrize('map_location', [None, 'cpu', torch.device('cpu'), {'cpu': 'cpu'},
                                          lambda storage, location: storage])
def test_map_location_forms(tmp_path, map_location):
    sd = {'w': torch.arange(6.).reshape(2, 3).t(), 'p': nn.Parameter(torch.ones(2))}
    torch.save(sd, tmp_path / 'x.pth')
    loaded = load_checkpoint_safely(str(tmp_path / 'x.pth'), map_location=map_location)
    assert torch.equal(loaded['w'], sd['w']) and loaded['w'].stride() == (1, 3)
    assert type(loaded['p']) is nn.Parameter and loaded['p'].requires_grad


def _tensor_record(a, storage='FloatStorage', numel=2, loc='cpu', offset=0, size=(2,),
                   stride=(1,), rg=False, param=False):
    """One ``_rebuild_tensor_v2`` (optionally inside ``_rebuild_parameter``) record."""
    if param:
        a.glob('torch._utils', '_rebuild_parameter').mark()
    a.glob('torch._utils', '_rebuild_tensor_v2').mark()
    a.mark().str('storage').glob('torch', storage).str('0').str(loc).int(numel).tuple().op(b'Q')
    a.int(offset).push_tuple(size).push_tuple(stride)
    (a.true() if rg else a.false())
    a.glob('collections', 'OrderedDict').empty_tuple().reduce().tuple().reduce()
    if param:
        (a.true() if rg else a.false())
        a.glob('collections', 'OrderedDict').empty_tuple().reduce().tuple().reduce()


@pytest.mark.parametrize('record,why', [
    (dict(loc='xyz'), 'RuntimeError'), (dict(loc='meta'), 'meta device'),
    (dict(loc='cuda:7'), 'RuntimeError'),  # no such GPU here: torch's error, as a corrupt file
    (dict(storage='LongStorage', numel=1, size=(1,), rg=True), 'RuntimeError'),
    (dict(storage='LongStorage', numel=1, size=(1,), rg=True, param=True), 'RuntimeError'),
    (dict(size=(2**40, 2**40), stride=(0, 0)), 'stride-0 view'),
    (dict(size=(2**35,), stride=(0,)), 'stride-0 view'),  # 8 bytes read as 128 GiB
    (dict(offset=2**61, size=(0,)), 'reaches past its storage')])
def test_tensor_records_torch_would_refuse_are_corrupt_not_raw_errors(tmp_path, record, why):
    from pickle_payloads import Asm, as_zip_with_storage
    from eba_prnetcc_mmpose.utils import CorruptCheckpointError
    a = Asm()
    a.mark().str('state_dict').empty_dict().str('w')
    _tensor_record(a, **record)
    a.setitem().op(b'd')
    path = tmp_path / 'edge.pth'
    itemsize = 8 if record.get('storage') == 'LongStorage' else 4
    path.write_bytes(as_zip_with_storage(a.stop(), b'\1' * (record.get('numel', 2) * itemsize)))
    if record.get('loc') == 'cuda:7' and torch.cuda.device_count() > 7:
        pytest.skip('this machine has a GPU 7')
    with pytest.raises(CorruptCheckpointError, match=why) as info:
        load_checkpoint_safely(str(path))
    assert isinstance(info.value, RuntimeError)  # what torch.load raises for a damaged file
