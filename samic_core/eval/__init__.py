"""`samic eval`: few-shot benchmark harness, prompt metrics, PerSAM and trivial baselines.

datasets: FSS-1000 / PerSeg / SAMBOX readers; benchmarks: Pascal-5i and the fold definitions;
coco20i: COCO-20i; ref_lists: the papers' fixed lists and the standard label; folder:
image + mask folders (Kvasir-SEG, TSMU, NWPU VHR-10); davis: DAVIS-16/17 sequences; labels: mask
files as label values; prompts: mask -> reference clicks rule; episodes: fixed-seed K-shot
episodes; metrics: HSNet-style mIoU / FB-IoU and SAM-independent prompt metrics; vos_metrics:
DAVIS J and F; methods: SAMIC, PerSAM, copy, center; harness: the image run; video: the DAVIS
run; report: JSON, markdown, chart; paper: the paper's published numbers; synth: a generated
dataset in FSS-1000 layout; to_sambox: mask dataset -> SAMBOX folder.
"""
