"""`samic eval`: few-shot benchmark harness, prompt metrics, PerSAM and trivial baselines.

datasets: FSS-1000 / PerSeg / SAMBOX readers; prompts: mask -> reference clicks rule;
episodes: fixed-seed K-shot episodes; metrics: HSNet-style mIoU / FB-IoU and SAM-independent
prompt metrics; methods: SAMIC, PerSAM, copy, center; harness: the run; report: JSON, markdown,
chart; synth: a generated dataset in FSS-1000 layout; to_sambox: mask dataset -> SAMBOX folder.
"""
