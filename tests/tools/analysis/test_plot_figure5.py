"""tools/analysis/plot_figure5.py draws the paper's Figure 5 from a get_flops JSON."""
import json

from eba_tools.paper import PAPER_ROWS, ZOO_CONFIGS


def test_plot_from_a_complexity_json(run_script, tmp_path):
    rows = [dict(name=r['name'], params_M=r['params_M'] * 1.02, GFLOPs=r['GFLOPs'] * 1.3)
            for r in PAPER_ROWS]
    rows += [dict(name=f'{name} (MMPose zoo)', params_M=30.0, GFLOPs=5.0) for name in ZOO_CONFIGS]
    (tmp_path / 'c.json').write_text(json.dumps(rows))
    png = tmp_path / 'fig5.png'
    code, out, err = run_script('analysis/plot_figure5.py', ['--complexity',
                                                            str(tmp_path / 'c.json'),
                                                            '--out', str(png)])
    assert code == 0, err
    assert png.read_bytes()[:8] == b'\x89PNG\r\n\x1a\n' and png.stat().st_size > 20000
