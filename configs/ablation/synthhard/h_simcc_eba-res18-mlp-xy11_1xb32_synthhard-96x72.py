# Study variant (h) = (d) with the x:y weighting of 'sum' at the scale of 'mean': axis_weights
# (2 Bx, 2 By) / (Bx + By) = (6/7, 8/7) for Bx = 144, By = 192 bins, so x:y is 1:1 as in (g).
# (d) -> (h) is the x:y re-weighting alone; (h) -> (g) is then the overall scale alone (Adam:
# ~nothing).
_base_ = ['./base_simcc_eba-res18-mlp_1xb32_synthhard-96x72.py']

model = dict(head=dict(loss=dict(axis_weights=(6 / 7, 8 / 7))))
